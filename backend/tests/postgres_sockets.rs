//! The PostgreSQL pool's connections send without Nagle's delay (see `ledgerbridge::db_nodelay`).
//! A test binary of its own: no other test's connections share the process.

use sea_orm::ConnectionTrait;

#[tokio::test]
async fn every_connection_to_postgresql_has_nodelay_set() {
    let Ok(url) = std::env::var("LEDGERBRIDGE_TEST_POSTGRES_URL") else {
        eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    };
    let port: sea_orm::sqlx::postgres::PgConnectOptions = url.parse().expect("a PostgreSQL URL");
    let port = port.get_port();
    let db = ledgerbridge::db::connect(&url).await.expect("connects");
    // Several statements at once, so the pool opens more than one connection.
    let statements = (0..4).map(|_| db.execute_unprepared("SELECT pg_sleep(0.05)"));
    for done in futures_util::future::join_all(statements).await {
        done.expect("runs");
    }
    let sockets = ledgerbridge::db_nodelay::nodelay_of_sockets_to(port);
    assert!(sockets.len() >= 2, "the pool holds its connections: {sockets:?}");
    assert!(sockets.iter().all(|&nodelay| nodelay), "{sockets:?}");
}
