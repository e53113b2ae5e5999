use std::process::Command;

use e2e::server::{Server, command, dashboard_dir, workspace_root};
use serde_json::{Value, json};

fn serve_in(dir: &std::path::Path) -> Command {
    let mut command = command();
    command.current_dir(dir).args(["serve", "--listen", "127.0.0.1:0"]);
    command
}

pub fn graphql(server: &Server, token: Option<&str>, query: &str) -> Value {
    let client = reqwest::blocking::Client::new();
    let mut request = client.post(server.url("/graphql")).json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().expect("POST /graphql").json().expect("JSON")
}

#[test]
fn with_no_settings_it_keeps_a_sqlite_file_under_data_and_serves_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = serve_in(dir.path());
    command.env("LEDGERBRIDGE_DASHBOARD_DIR", dashboard_dir());
    let server = Server::start(command);
    assert!(dir.path().join("data/ledgerbridge.db").is_file(), "the default database is ./data/ledgerbridge.db");

    let get = |path: &str| reqwest::blocking::get(server.url(path)).expect("GET");
    let home = get("/");
    assert_eq!(home.status(), 200);
    assert!(home.text().unwrap().contains("/frontend.js"));
    let deep_link = get("/connections/123/wizard/orders");
    assert_eq!(deep_link.status(), 200, "SPA routes fall back to index.html");
    assert!(deep_link.text().unwrap().contains("/frontend.js"));
    let wasm = get("/frontend_bg.wasm");
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(get("/healthz").status(), 200);
    assert_eq!(get("/readyz").status(), 200);
    assert!(get("/graphql").text().unwrap().to_lowercase().contains("graphiql"));

    let signed_up = graphql(
        &server,
        None,
        "mutation { signUp(email: \"e2e@shop.example\", password: \"a long password\") { accessToken } }",
    );
    let token = signed_up["data"]["signUp"]["accessToken"].as_str().expect("a token").to_owned();
    let me = graphql(&server, Some(&token), "{ me { email } }");
    assert_eq!(me["data"]["me"]["email"], "e2e@shop.example");

    let (code, printed) = server.terminate();
    assert_eq!(code, Some(0), "SIGTERM is a clean stop");
    assert!(printed.is_empty() || printed.iter().all(|l| !l.contains("panic")), "{printed:?}");
}

#[test]
fn a_restart_keeps_accounts_and_the_signing_secret() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("books.db").display());
    let migrate = command().args(["migrate", "--database-url", &database]).output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));

    let mut first = serve_in(dir.path());
    first.args(["--database-url", &database]);
    let server = Server::start(first);
    let answer = graphql(
        &server,
        None,
        "mutation { signUp(email: \"keep@shop.example\", password: \"a long password\") { accessToken } }",
    );
    let token = answer["data"]["signUp"]["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(server.terminate().0, Some(0));

    let mut second = serve_in(dir.path());
    second.env("DATABASE_URL", &database);
    let server = Server::start(second);
    let me = graphql(&server, Some(&token), "{ me { email } }");
    assert_eq!(me["data"]["me"]["email"], "keep@shop.example", "a token issued before the restart still works: {me}");
    let log_in = graphql(
        &server,
        None,
        "mutation { logIn(email: \"keep@shop.example\", password: \"a long password\") { accessToken } }",
    );
    assert!(log_in["data"]["logIn"]["accessToken"].is_string());
}

#[test]
fn the_config_file_is_read_and_the_command_line_wins_over_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ledgerbridge.toml"),
        "database_url = \"sqlite://from-file.db?mode=rwc\"\npublic_url = \"https://books.example.com\"\n",
    )
    .unwrap();
    let server = Server::start(serve_in(dir.path()));
    assert!(dir.path().join("from-file.db").is_file());
    drop(server);

    let mut overridden = serve_in(dir.path());
    overridden.args(["--database-url", "sqlite://from-flag.db?mode=rwc"]);
    let _server = Server::start(overridden);
    assert!(dir.path().join("from-flag.db").is_file());
}

#[test]
fn a_bad_setting_is_a_clear_error_not_a_crash() {
    let output = command().args(["serve", "--listen", "everywhere"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`everywhere` is not a valid listen address"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn export_schema_prints_the_committed_schema() {
    let output = command().arg("export-schema").output().unwrap();
    assert!(output.status.success());
    let committed = std::fs::read_to_string(workspace_root().join("schema.graphql")).unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout) == committed,
        "schema.graphql is out of date: regenerate it with `ledgerbridge export-schema`"
    );
}
