use e2e::browser::{rendered_dom, screenshot};
use e2e::server::{Server, command, dashboard_dir};

#[test]
fn the_dashboard_loads_in_chromium_and_reaches_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = command();
    serve.current_dir(dir.path()).args(["serve", "--listen", "127.0.0.1:0", "--dashboard-dir"]).arg(dashboard_dir());
    let server = Server::start(serve);

    let dom = rendered_dom(&server.url("/"));
    assert!(
        dom.contains(&format!("Connected to Ledgerbridge {}", env!("CARGO_PKG_VERSION"))),
        "the wasm app did not render its answer from /graphql: {dom}"
    );
    let deep = rendered_dom(&server.url("/connections/1/wizard"));
    assert!(deep.contains("Connected to Ledgerbridge"), "a deep link loads the app too: {deep}");
    let shot = screenshot(&server.url("/"), "home");
    assert!(std::fs::metadata(shot).unwrap().len() > 1_000);
}
