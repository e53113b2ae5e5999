use e2e::server::{PostgresDatabase, Server, command};

use crate::server::graphql;

/// Switching to PostgreSQL is `DATABASE_URL` and nothing else.
#[test]
fn database_url_switches_to_postgresql() {
    let Some(database) = PostgresDatabase::create() else {
        eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut serve = command();
    serve.current_dir(dir.path()).env("DATABASE_URL", &database.url).args(["serve", "--listen", "127.0.0.1:0"]);
    let server = Server::start(serve);
    assert!(!dir.path().join("data").exists(), "no SQLite file is made when PostgreSQL is configured");
    assert_eq!(reqwest::blocking::get(server.url("/readyz")).unwrap().status(), 200);
    let answer = graphql(
        &server,
        None,
        "mutation { signUp(email: \"pg@shop.example\", password: \"a long password\") { merchant { email } } }",
    );
    assert_eq!(answer["data"]["signUp"]["merchant"]["email"], "pg@shop.example", "{answer}");
    assert_eq!(server.terminate().0, Some(0));
}
