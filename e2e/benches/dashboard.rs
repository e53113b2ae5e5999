//! The dashboard's weight and first render: the release build's wasm and JavaScript gzipped
//! (limit 400 KB), and the time from navigation to the first page on screen in headless
//! Chromium (limit 1 s), cold (empty cache) and warm. The app marks its first render with
//! `performance.mark("ledgerbridge-first-render")`; the figure is that mark's time since the
//! navigation began. Run with `cargo bench -p e2e --bench dashboard`.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use e2e::browser::Browser;
use e2e::server::{Server, command_for, dashboard_dir, release_binary, workspace_root};

const SIZE_LIMIT: f64 = 400.0 * 1024.0;
const RENDER_LIMIT_MS: f64 = 1000.0;
const WARM_LOADS: usize = 9;

fn gzipped(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&bytes).expect("gzip");
    encoder.finish().expect("gzip").len()
}

/// Loads `url` and waits for the app's first-render mark; its time in ms since navigation.
fn first_render(browser: &Browser, url: &str) -> f64 {
    browser.goto(url);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mark = browser.script(
            "const m = performance.getEntriesByName('ledgerbridge-first-render')[0]; return m ? m.startTime : null",
        );
        if let Some(ms) = mark.as_f64() {
            return ms;
        }
        assert!(std::time::Instant::now() < deadline, "the dashboard never rendered at {url}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn main() {
    // The release dashboard, as `cargo xtask run` serves it.
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(workspace_root())
        .args(["xtask", "dashboard"])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the dashboard build failed");
    let dist = dashboard_dir();
    let wasm = gzipped(&dist.join("frontend_bg.wasm"));
    let js = gzipped(&dist.join("frontend.js"));
    let total = (wasm + js) as f64;

    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut serve = command_for(&release_binary());
    serve.current_dir(dir.path()).env("RUST_LOG", "error").args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--dashboard-dir",
    ]);
    serve.arg(&dist);
    let server = Server::start(serve);
    let browser = Browser::start();
    let url = server.url("/login");
    let cold = first_render(&browser, &url);
    let mut warm: Vec<f64> = (0..WARM_LOADS).map(|_| first_render(&browser, &url)).collect();
    warm.sort_by(f64::total_cmp);
    let warm_median = warm[warm.len() / 2];

    println!("Dashboard, measured {} on this machine, in one run:", chrono::Utc::now().format("%Y-%m-%d"));
    println!();
    println!("| measure | ours | limit | ratio (ours / limit) | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| release wasm + JS, gzipped (wasm {:.0} KB, JS {:.1} KB) | {:.0} KB | 400 KB | {:.2} | ≤ 1 |",
        wasm as f64 / 1024.0,
        js as f64 / 1024.0,
        total / 1024.0,
        total / SIZE_LIMIT
    );
    println!(
        "| first render in headless Chromium, cold cache | {cold:.0} ms | 1 s | {:.2} | ≤ 1 |",
        cold / RENDER_LIMIT_MS
    );
    println!(
        "| first render in headless Chromium, warm (median of {WARM_LOADS}) | {warm_median:.0} ms | 1 s | {:.2} | ≤ 1 |",
        warm_median / RENDER_LIMIT_MS
    );
    let met = total <= SIZE_LIMIT && cold <= RENDER_LIMIT_MS && warm_median <= RENDER_LIMIT_MS;
    if !met {
        eprintln!("a dashboard target is not met");
        std::process::exit(1);
    }
}
