//! `cargo xtask <command>`: the project's two entry points, kept to one command each.
//!
//! - `cargo xtask run [serve options]`: builds the dashboard and the server, then serves.
//! - `cargo xtask test`: builds the dashboard and the server, then runs every test.
//! - `cargo xtask dashboard`: builds only the dashboard into `frontend/dist`.
//! - `cargo xtask bench`: builds, then runs the benchmark suite and prints one table.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("dashboard") => build_dashboard().map(|_| ()),
        Some("bench") => bench(),
        _ => {
            eprintln!(
                "usage: cargo xtask run [serve options] | cargo xtask test [cargo test options] | cargo xtask dashboard | cargo xtask bench"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(workspace_root());
    command
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

fn check(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("cannot start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// Compiles the Yew app to wasm, generates its JavaScript glue with wasm-bindgen (the library,
/// so no separately installed CLI has to match its version), and lays out `frontend/dist`.
fn build_dashboard() -> Result<PathBuf> {
    let root = workspace_root();
    let dist = root.join("frontend/dist");
    ensure_wasm_target()?;
    eprintln!("xtask: building the dashboard (wasm)…");
    check(cargo().args([
        "build",
        "--package",
        "frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "dashboard",
    ]))?;
    let wasm = target_dir().join("wasm32-unknown-unknown/dashboard/frontend.wasm");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).with_context(|| format!("cannot clear {}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .typescript(false)
        // Function names and the toolchain's signature are not needed in the browser; they
        // would be a fifth of the download.
        .remove_name_section(true)
        .remove_producers_section(true)
        .out_name("frontend")
        .generate(&dist)
        .context("wasm-bindgen could not process the dashboard")?;
    for entry in std::fs::read_dir(root.join("frontend/static"))? {
        let entry = entry?;
        std::fs::copy(entry.path(), dist.join(entry.file_name()))?;
    }
    eprintln!("xtask: dashboard ready in {}", dist.display());
    Ok(dist)
}

/// A fresh machine lacks the wasm target; rustup fetches it from the Rust distribution server.
fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup").args(["target", "list", "--installed"]).output();
    match installed {
        Ok(output) if String::from_utf8_lossy(&output.stdout).lines().any(|l| l.trim() == WASM_TARGET) => Ok(()),
        Ok(_) => {
            eprintln!("xtask: installing the {WASM_TARGET} target (once)…");
            check(Command::new("rustup").args(["target", "add", WASM_TARGET]))
        }
        // Without rustup (a distribution's Rust), the target has to come with the toolchain.
        Err(_) => Ok(()),
    }
}

const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn run(serve_args: &[String]) -> Result<()> {
    let dist = build_dashboard()?;
    eprintln!("xtask: building and starting the server…");
    let mut command = cargo();
    command
        .args(["run", "--quiet", "--package", "ledgerbridge", "--", "serve"])
        .args(serve_args)
        .env("LEDGERBRIDGE_DASHBOARD_DIR", &dist);
    check(&mut command)
}

fn test(extra: &[String]) -> Result<()> {
    build_dashboard()?;
    // The black-box tests in e2e/ start the ledgerbridge binary. No separate build step: cargo
    // builds a package's binaries for its integration tests, with the very features of this
    // test run, so the binary is always fresh and never compiled twice.
    if std::env::var_os("LEDGERBRIDGE_TEST_POSTGRES_URL").is_none() {
        eprintln!(
            "xtask: LEDGERBRIDGE_TEST_POSTGRES_URL is not set: database tests run on SQLite only \
             (set it to e.g. postgres://postgres@127.0.0.1:5432/test to run them on PostgreSQL too)"
        );
    }
    let mut command = cargo();
    command.args(["test", "--workspace", "--exclude", "frontend"]).args(extra).stdout(Stdio::piped());
    let mut child = command.spawn().context("cannot start cargo test")?;
    let stdout = child.stdout.take().context("cargo test's output")?;
    let (mut passed, mut failed) = (0u64, 0u64);
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some((p, f)) = result_counts(&line) {
            passed += p;
            failed += f;
        }
    }
    let status = child.wait()?;
    // One closing line for the whole run: cargo's own last line is often a doc-test binary's "0 passed".
    println!("tests: {passed} passed, {failed} failed");
    if !status.success() {
        bail!("cargo test failed ({status})");
    }
    Ok(())
}

/// The suite's benchmarks, in the order they run: (package, bench target).
const SUITE: [(&str, &str); 4] =
    [("ledgerbridge", "qbxml"), ("e2e", "api"), ("e2e", "webhook_intake"), ("e2e", "web_connector_run")];

/// Builds the release server and every benchmark first (not timed), then runs the suite and
/// prints one table of ours / limit / ratio from this one run, also written to
/// `target/benchmarks.md`. Each benchmark exits non-zero when it missed a target; the suite
/// still runs them all, then fails.
fn bench() -> Result<()> {
    eprintln!("xtask: building the release server and the benchmarks…");
    check(cargo().args(["build", "--release", "--package", "ledgerbridge", "--bin", "ledgerbridge"]))?;
    for (package, target) in SUITE {
        check(cargo().args(["bench", "--no-run", "--package", package, "--bench", target]))?;
    }
    let server = target_dir().join("release/ledgerbridge");
    if std::env::var_os("LEDGERBRIDGE_TEST_POSTGRES_URL").is_none() {
        eprintln!("xtask: LEDGERBRIDGE_TEST_POSTGRES_URL is not set: the PostgreSQL rows are left out");
    }
    let started = std::time::Instant::now();
    let mut rows = Vec::new();
    let mut missed = Vec::new();
    for (package, target) in SUITE {
        eprintln!("xtask: running {target}…");
        let output = cargo()
            .args(["bench", "--quiet", "--package", package, "--bench", target])
            // The server built above; the suite's shorter form of the long runs.
            .env("LEDGERBRIDGE_BIN", &server)
            .env("LEDGERBRIDGE_BENCH_SUITE", "1")
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("cannot run the {target} benchmark"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        rows.extend(table_rows(&stdout));
        if !output.status.success() {
            missed.push(target);
        }
    }
    let elapsed = started.elapsed();
    let mut table = String::from("| measure | ours | limit | ratio | target |\n|---|---|---|---|---|\n");
    for row in rows {
        table.push_str(&row);
        table.push('\n');
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let report = format!(
        "`cargo xtask bench`, {cores} cores, measured in {:.0} s (builds not counted):\n\n{table}",
        elapsed.as_secs_f64()
    );
    println!("{report}");
    std::fs::write(target_dir().join("benchmarks.md"), &report)?;
    if !missed.is_empty() {
        bail!("targets missed in: {} (see the table)", missed.join(", "));
    }
    Ok(())
}

/// The body rows of the markdown tables a benchmark printed (headers and rules left out).
fn table_rows(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| measure |"))
        .map(str::to_owned)
        .collect()
}

/// The counts in a libtest summary line: "test result: ok. 12 passed; 0 failed; ...".
fn result_counts(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("test result: ")?;
    let count = |word: &str| -> Option<u64> {
        rest.split(';').find_map(|part| {
            part.trim()
                .trim_start_matches("ok. ")
                .trim_start_matches("FAILED. ")
                .strip_suffix(word)?
                .trim()
                .parse()
                .ok()
        })
    };
    Some((count(" passed")?, count(" failed")?))
}

#[cfg(test)]
mod tests {
    use super::result_counts;

    #[test]
    fn only_the_body_rows_of_a_benchmark_table_are_kept() {
        let output = "PostgreSQL skipped\n| measure | ours | limit | ratio | target |\n|---|---|---|---|---|\n| a | 1 | 2 | 0.50 | ≥ 0.5 |\n\nA target was missed.";
        assert_eq!(super::table_rows(output), vec!["| a | 1 | 2 | 0.50 | ≥ 0.5 |".to_owned()]);
    }

    #[test]
    fn libtest_summaries_are_counted() {
        assert_eq!(
            result_counts(
                "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.1s"
            ),
            Some((12, 0))
        );
        assert_eq!(result_counts("test result: FAILED. 3 passed; 2 failed; 0 ignored"), Some((3, 2)));
        assert_eq!(result_counts("running 3 tests"), None);
    }
}
