use std::process::Command;

use e2e::server::{command, Server};

use crate::server::graphql;

/// Switching to PostgreSQL is `DATABASE_URL` and nothing else.
#[test]
fn database_url_switches_to_postgresql() {
    let Ok(base) = std::env::var("LEDGERBRIDGE_TEST_POSTGRES_URL") else {
        eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    };
    let name = format!("lb_e2e_{}", uuid::Uuid::new_v4().simple());
    let psql = |sql: &str| {
        let status = Command::new("psql").args([base.as_str(), "-v", "ON_ERROR_STOP=1", "-qc", sql]).status().expect("psql runs");
        assert!(status.success(), "psql failed: {sql}");
    };
    psql(&format!("CREATE DATABASE \"{name}\""));
    let url = match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => panic!("LEDGERBRIDGE_TEST_POSTGRES_URL has no database name"),
    };
    let dir = tempfile::tempdir().unwrap();
    let mut serve = command();
    serve.current_dir(dir.path()).env("DATABASE_URL", &url).args(["serve", "--listen", "127.0.0.1:0"]);
    let server = Server::start(serve);
    assert!(!dir.path().join("data").exists(), "no SQLite file is made when PostgreSQL is configured");
    assert_eq!(reqwest::blocking::get(server.url("/readyz")).unwrap().status(), 200);
    let answer = graphql(&server, None, "mutation { signUp(email: \"pg@shop.example\", password: \"a long password\") { merchant { email } } }");
    assert_eq!(answer["data"]["signUp"]["merchant"]["email"], "pg@shop.example", "{answer}");
    assert_eq!(server.terminate().0, Some(0));
    psql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
}
