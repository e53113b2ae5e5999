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

/// A real Chromium driven over WebDriver (Debian's chromedriver), with a blocking interface
/// so tests can mix it with the blocking Web Connector stand-in. Dropping it ends the
/// browser and the driver.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<fantoccini::Client>,
    driver: std::process::Child,
    _profile: tempfile::TempDir,
}

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

impl Browser {
    pub fn start() -> Browser {
        assert!(Path::new(CHROMEDRIVER).is_file(), "{CHROMEDRIVER} is missing: install chromium-driver (.ci/run does)");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("profile dir");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--window-size=1280,900", format!("--user-data-dir={}", profile.path().display())]
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        };
        let client = runtime.block_on(async {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            loop {
                // chromedriver is on loopback: plain HTTP, no TLS stack needed.
                let connected =
                    fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                        .capabilities(capabilities.clone())
                        .connect(&format!("http://127.0.0.1:{port}"))
                        .await;
                match connected {
                    Ok(client) => break client,
                    Err(err) if std::time::Instant::now() > deadline => panic!("chromedriver did not answer: {err}"),
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                }
            }
        });
        Browser { runtime, client: Some(client), driver, _profile: profile }
    }

    fn client(&self) -> &fantoccini::Client {
        self.client.as_ref().expect("the browser is open")
    }

    pub fn goto(&self, url: &str) {
        self.runtime.block_on(self.client().goto(url)).expect("the page loads");
    }

    pub fn current_url(&self) -> String {
        self.runtime.block_on(self.client().current_url()).expect("a URL").to_string()
    }

    fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.runtime
            .block_on(
                self.client()
                    .wait()
                    .at_most(std::time::Duration::from_secs(15))
                    .for_element(fantoccini::Locator::Css(css)),
            )
            .unwrap_or_else(|err| panic!("no `{css}` on the page: {err}"))
    }

    /// Types into the field `css` (after clearing it).
    pub fn fill(&self, css: &str, text: &str) {
        let field = self.find(css);
        self.runtime.block_on(async {
            field.clear().await.expect("clear");
            field.send_keys(text).await.expect("typing")
        });
    }

    /// Chooses the option with `value` in the drop-down `css`.
    pub fn select(&self, css: &str, value: &str) {
        let select = self.find(css);
        self.runtime
            .block_on(select.select_by_value(value))
            .unwrap_or_else(|err| panic!("no option {value} in {css}: {err}"));
    }

    pub fn click(&self, css: &str) {
        let element = self.find(css);
        self.runtime.block_on(element.click()).expect("click");
    }

    /// Waits until the text of the page's body contains `text`; returns that text.
    pub fn wait_for_text(&self, text: &str, timeout: std::time::Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let body = self.find("body");
            let now = self.runtime.block_on(body.text()).unwrap_or_default();
            if now.contains(text) {
                return now;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "\"{text}\" did not appear in {timeout:?}; the page says:\n{now}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Waits until the JavaScript expression `js` is true in the page.
    pub fn wait_until(&self, js: &str, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        while self.script(&format!("return Boolean({js})")) != serde_json::Value::Bool(true) {
            assert!(std::time::Instant::now() < deadline, "`{js}` did not become true in {timeout:?}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Runs JavaScript in the page and returns its result.
    pub fn script(&self, js: &str) -> serde_json::Value {
        self.runtime.block_on(self.client().execute(js, vec![])).expect("the script runs")
    }

    /// Sets the window's size in CSS pixels (a tablet is 768 wide).
    pub fn resize(&self, width: u32, height: u32) {
        self.runtime.block_on(self.client().set_window_size(width, height)).expect("the window resizes");
    }

    /// Saves the page as `e2e/artifacts/<name>.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
        std::fs::create_dir_all(&dir).expect("artifacts dir");
        let png = self.runtime.block_on(self.client().screenshot()).expect("a screenshot");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("saved");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
