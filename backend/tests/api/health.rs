use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, on_both_databases};

on_both_databases!(health_and_readiness_answer, graphiql_is_served_and_oversized_bodies_are_refused);

async fn health_and_readiness_answer(app: &TestApp) {
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "reachable");
}

async fn graphiql_is_served_and_oversized_bodies_are_refused(app: &TestApp) {
    let page = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().to_lowercase().contains("graphiql"));

    // The limit is enforced from the declared length, before the body is read: the client
    // announces 3 MiB, sends none of it, and is refused at once.
    let mut stream = tokio::net::TcpStream::connect(&app.address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.address,
        3 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 64];
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer)).await.unwrap().unwrap();
    let status_line = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");

    let info = app.graphql(None, "{ serverInfo { version } }", json!({})).await;
    assert_eq!(info.data()["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
}
