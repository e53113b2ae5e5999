//! Headless Chromium (Debian's package) for looking at the dashboard as a merchant would.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(profile: &Path) -> Command {
    assert!(Path::new(CHROMIUM).is_file(), "{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)");
    let mut command = Command::new(CHROMIUM);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // The wasm app renders after load; virtual time lets it finish before the dump.
        "--virtual-time-budget=8000",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

/// The page's DOM after its scripts ran.
pub fn rendered_dom(url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let output = chromium(profile.path()).args(["--dump-dom", url]).output().expect("chromium runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Saves a screenshot of the page under `e2e/artifacts/` and returns its path.
pub fn screenshot(url: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    let path = dir.join(format!("{name}.png"));
    let profile = tempfile::tempdir().expect("profile dir");
    let status = chromium(profile.path())
        .args(["--window-size=1280,800", &format!("--screenshot={}", path.display()), url])
        .output()
        .expect("chromium runs");
    assert!(status.status.success(), "chromium could not take a screenshot");
    path
}
