//! The real `ledgerbridge` binary as a child process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The binary under test: `LEDGERBRIDGE_BIN`, else the workspace's debug build, which
/// `cargo xtask test` (and any `cargo test --workspace`) builds before tests run.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("LEDGERBRIDGE_BIN") {
        return PathBuf::from(path);
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join("debug/ledgerbridge");
    assert!(path.is_file(), "{} is missing: run the tests with `cargo xtask test`", path.display());
    path
}

/// The release build of the binary, for benchmarks: `LEDGERBRIDGE_BIN`, else built here
/// (cargo builds only what changed).
pub fn release_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("LEDGERBRIDGE_BIN") {
        return PathBuf::from(path);
    }
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(workspace_root())
        .args(["build", "--release", "--quiet", "-p", "ledgerbridge", "--bin", "ledgerbridge"])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the release build failed");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    target.join("release/ledgerbridge")
}

/// The built dashboard, which `cargo xtask test` produces.
pub fn dashboard_dir() -> PathBuf {
    let dir = workspace_root().join("frontend/dist");
    assert!(dir.join("index.html").is_file(), "the dashboard is not built: run the tests with `cargo xtask test`");
    dir
}

/// A command for the binary with a clean environment: no settings leak in from the caller.
pub fn command() -> Command {
    command_for(&binary())
}

/// [`command`] for another build of the binary (benchmarks run the release build).
pub fn command_for(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    for var in [
        "DATABASE_URL",
        "LEDGERBRIDGE_LISTEN",
        "LEDGERBRIDGE_PUBLIC_URL",
        "LEDGERBRIDGE_DASHBOARD_DIR",
        "LEDGERBRIDGE_CONFIG",
    ] {
        command.env_remove(var);
    }
    command.env("RUST_LOG", "warn");
    command
}

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `ledgerbridge serve` with `args` (listening on a free port unless the arguments
    /// or environment say otherwise) and waits until it prints that it is running.
    pub fn start(mut command: Command) -> Server {
        command.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = command.spawn().expect("the ledgerbridge binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut printed = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(port) = line.strip_prefix("Listening on port ").and_then(|rest| rest.split('.').next())
                    {
                        let port = port.parse().expect("a port number");
                        printed.push(line);
                        return Server { child, port, lines };
                    }
                    printed.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("the server did not report it was running; it printed: {printed:?}");
                }
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit code and what it
    /// printed after starting.
    /// The server's process id (to kill it from another thread at a moment of the test's choosing).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn terminate(mut self) -> (Option<i32>, Vec<String>) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let rest = self.lines.try_iter().collect();
                return (status.code(), rest);
            }
            assert!(Instant::now() < deadline, "the server did not stop within 15 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh PostgreSQL database for one test, dropped when this is dropped; `None` when
/// `LEDGERBRIDGE_TEST_POSTGRES_URL` is not set.
pub struct PostgresDatabase {
    base: String,
    name: String,
    pub url: String,
}

impl PostgresDatabase {
    pub fn create() -> Option<Self> {
        let base = std::env::var("LEDGERBRIDGE_TEST_POSTGRES_URL").ok()?;
        let name = format!("lb_e2e_{}", std::process::id()) + &format!("_{}", rand_suffix());
        psql(&base, &format!("CREATE DATABASE \"{name}\""));
        let url = match base.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{name}"),
            None => panic!("LEDGERBRIDGE_TEST_POSTGRES_URL names no database"),
        };
        Some(Self { base, name, url })
    }
}

impl PostgresDatabase {
    /// Makes the database refuse every connection (and ends the open ones), or accept them
    /// again: to the server, PostgreSQL is down, then back.
    pub fn set_available(&self, available: bool) {
        psql(&self.base, &format!("ALTER DATABASE \"{}\" ALLOW_CONNECTIONS {available}", self.name));
        if !available {
            psql(
                &self.base,
                &format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
                    self.name
                ),
            );
        }
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .status()
        .expect("psql runs (Debian package postgresql-client)");
    assert!(status.success(), "psql failed: {sql}");
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([self.base.as_str(), "-qc", &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)])
            .status();
    }
}
