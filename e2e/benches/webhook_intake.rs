//! Webhook intake throughput against the release server: signed Shopify orders/create
//! deliveries from eight client threads, on SQLite and on PostgreSQL (when
//! `LEDGERBRIDGE_TEST_POSTGRES_URL` is set). Two figures per database: deliveries answered
//! (HMAC checked and the raw delivery stored: what the store waits for), and orders made
//! (every delivery stored as an order and logged by the intake worker, counted until the
//! last one). The target is the intake issue's: at least 2,000 orders a second. Beside them,
//! the database's own pace for the same rows: each delivery's body inserted bare, one
//! statement each from as many connections as there are clients, as durable as the server's.
//! Run with `cargo bench -p e2e --bench webhook_intake`.

use std::time::Instant;

use e2e::merchant::Merchant;
use e2e::quickbooks::Company;
use e2e::server::{PostgresDatabase, release_binary, workspace_root};
use serde_json::{Value, json};

const ORDERS: usize = 4_000;
const CLIENTS: usize = 8;
const TARGET_PER_SECOND: f64 = 2_000.0;
const SECRET: &str = "bench-signing-secret";

fn sign(body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(body);
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes())
}

/// Deliveries answered per second, and orders made per second, for `ORDERS` distinct
/// deliveries of the modern Shopify fixture.
fn intake(binary: &std::path::Path, postgres: bool) -> (f64, f64, f64, f64) {
    let database = postgres.then(|| PostgresDatabase::create().expect("LEDGERBRIDGE_TEST_POSTGRES_URL is set"));
    let (merchant, url) = Merchant::pair_on(binary, database.as_ref().map(|d| d.url.as_str()), &[]);
    let mut company = Company::us_sample(0);
    merchant.set_up("SALES_RECEIPT", &mut company);
    let store = merchant.graphql(
        "mutation($c: ID!, $i: AddStoreInput!) { addStore(connectionId: $c, input: $i) { store { webhookUrl } } }",
        json!({ "c": merchant.connection_id, "i": { "platform": "SHOPIFY", "name": "Bench", "signingSecret": SECRET } }),
    );
    let webhook = store["data"]["addStore"]["store"]["webhookUrl"].as_str().expect("a webhook URL").to_owned();
    let fixture: Value = serde_json::from_slice(
        &std::fs::read(workspace_root().join("../shared/fixtures/orders/synthetic__shopify_orders_create_modern.json"))
            .expect("the fixture"),
    )
    .expect("JSON");
    let bodies: Vec<Vec<u8>> = (0..ORDERS)
        .map(|i| {
            let mut order = fixture.clone();
            order["id"] = json!(7_000_000 + i);
            order["name"] = json!(format!("#B{i}"));
            serde_json::to_vec(&order).expect("JSON")
        })
        .collect();
    // The floor of this machine and client: the same requests to a store that does not exist
    // (HTTP, the lookup, a 404), measured first so the store gets a fresh database.
    let nowhere = format!("{}/00000000-0000-7000-8000-000000000000", webhook.rsplit_once('/').expect("a store id").0);
    let floor = post_all(&nowhere, &bodies, 404);
    let started = Instant::now();
    post_all(&webhook, &bodies, 200);
    let answered = ORDERS as f64 / started.elapsed().as_secs_f64();
    merchant.settle_webhooks();
    let made = ORDERS as f64 / started.elapsed().as_secs_f64();
    let stored = merchant.data("query($c: ID!) { orderStats(connectionId: $c) { stores { storeName pending } } }");
    let pending = stored["orderStats"]["stores"]
        .as_array()
        .and_then(|stores| stores.iter().find(|s| s["storeName"] == "Bench"))
        .map_or(0, |s| s["pending"].as_u64().unwrap_or(0));
    assert_eq!(pending as usize, ORDERS, "every delivery became one stored order");
    let bare = bare_inserts(&url, &bodies);
    (answered, made, floor, bare)
}

/// Inserts per second when each body goes straight into a table of the same database, one
/// statement each from `CLIENTS` connections (SQLite as the server opens it: WAL, synchronous
/// NORMAL, one writer at a time).
fn bare_inserts(url: &str, bodies: &[Vec<u8>]) -> f64 {
    use sqlx::any::AnyPoolOptions;
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let pool = AnyPoolOptions::new()
            .max_connections(CLIENTS as u32)
            .after_connect(|connection, _| {
                Box::pin(async move {
                    if connection.backend_name() == "SQLite" {
                        sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *connection).await?;
                        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *connection).await?;
                        sqlx::query("PRAGMA busy_timeout = 10000").execute(&mut *connection).await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .expect("the bench connects to the database");
        sqlx::query("CREATE TABLE bench_bare (id BIGINT PRIMARY KEY, webhook_id TEXT NOT NULL, body TEXT NOT NULL)")
            .execute(&pool)
            .await
            .expect("a table for the bare inserts");
        let started = Instant::now();
        let mut tasks = Vec::new();
        for client in 0..CLIENTS {
            let pool = pool.clone();
            let mine: Vec<(i64, String)> = bodies
                .iter()
                .enumerate()
                .skip(client)
                .step_by(CLIENTS)
                .map(|(i, body)| (i as i64, String::from_utf8_lossy(body).into_owned()))
                .collect();
            tasks.push(tokio::spawn(async move {
                for (id, body) in mine {
                    sqlx::query("INSERT INTO bench_bare (id, webhook_id, body) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(format!("bench-{id}"))
                        .bind(body)
                        .execute(&pool)
                        .await
                        .expect("a bare insert");
                }
            }));
        }
        for task in tasks {
            task.await.expect("an insert task");
        }
        bodies.len() as f64 / started.elapsed().as_secs_f64()
    })
}

/// Posts every body from `CLIENTS` threads, each expecting `status`; returns requests a second.
fn post_all(url: &str, bodies: &[Vec<u8>], status: u16) -> f64 {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            scope.spawn(move || {
                let http = reqwest::blocking::Client::new();
                for (i, body) in bodies.iter().enumerate().skip(client).step_by(CLIENTS) {
                    let answer = http
                        .post(url)
                        .header("X-Shopify-Hmac-Sha256", sign(body))
                        .header("X-Shopify-Topic", "orders/create")
                        .header("X-Shopify-Webhook-Id", format!("bench-{i}"))
                        .body(body.clone())
                        .send()
                        .expect("the server answers")
                        .status();
                    assert_eq!(answer.as_u16(), status, "delivery {i}");
                }
            });
        }
    });
    bodies.len() as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let binary = release_binary();
    let mut databases = vec![("SQLite", false)];
    if std::env::var_os("LEDGERBRIDGE_TEST_POSTGRES_URL").is_some() {
        databases.push(("PostgreSQL", true));
    }
    println!("| measure | ours | limit | ratio | target |");
    println!("|---|---|---|---|---|");
    let mut missed = false;
    for (name, postgres) in databases {
        let (answered, made, floor, bare) = intake(&binary, postgres);
        println!(
            "| {name}: webhook intake, the same requests to an unknown store (HTTP, one lookup, 404) | {floor:.0}/s | — | — | the machine's floor |"
        );
        for (what, rate) in [("deliveries verified, stored and answered", answered), ("orders made from them", made)] {
            missed |= rate < TARGET_PER_SECOND;
            println!(
                "| {name}: webhook intake, {what} ({ORDERS} signed Shopify webhooks, {CLIENTS} clients) | {rate:.0}/s | bare insert of the same bodies {bare:.0}/s | {:.2} of bare, {:.2} of target | ≥ {TARGET_PER_SECOND:.0}/s |",
                rate / bare,
                rate / TARGET_PER_SECOND
            );
        }
    }
    if missed {
        println!("\nA target was missed.");
        std::process::exit(1);
    }
}
