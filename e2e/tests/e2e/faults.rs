//! Faults in the middle of a sync: the server killed (SIGKILL) at random moments and started
//! again on the same database, and the Web Connector vanishing after a request QuickBooks
//! carried out. Whatever happens, QuickBooks ends with every order exactly once.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use e2e::merchant::{Merchant, PASSWORD, sample_order};
use e2e::quickbooks::Company;
use e2e::server::{Server, command};
use e2e::web_connector::{Step, WebConnector};
use serde_json::{Value, json};

/// The server on the SQLite file in `dir`; a killed Web Connector's session is taken over at
/// once (no lease to wait out between runs).
fn start(dir: &Path) -> Server {
    std::fs::write(dir.join("lb.toml"), "web_connector_lease_seconds = 0\n").unwrap();
    let mut serve = command();
    serve.current_dir(dir).args(["serve", "--listen", "127.0.0.1:0", "--config", "lb.toml"]);
    Server::start(serve)
}

fn orders(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let mut order = sample_order(&format!("f{i}"), &format!("#{}", 20_000 + i), "Hammer");
            // Every fifth order is a new customer, so customer adds are interrupted too.
            order["billing"]["lastName"] = Value::from(format!("Buyer {}", i / 5));
            order
        })
        .collect()
}

/// QuickBooks holds each order exactly once, and Ledgerbridge knows every one as synced.
fn assert_each_order_once(merchant: &Merchant, company: &Company, count: usize) {
    let numbers: Vec<&str> = company.transactions.iter().map(|t| t.ref_number.as_str()).collect();
    let unique: HashSet<&str> = numbers.iter().copied().collect();
    assert_eq!(unique.len(), numbers.len(), "no transaction twice");
    assert_eq!(numbers.len(), count, "no order lost");
    assert_eq!(company.payments.len(), count, "each payment once");
    let customers: HashSet<&str> = company.transactions.iter().map(|t| t.customer.as_str()).collect();
    assert_eq!(customers.len(), count.div_ceil(5));
    let stats =
        merchant.data("query($c: ID!) { orderStats(connectionId: $c) { stores { synced pending failed parked } } }");
    assert_eq!(stats["orderStats"]["stores"][0], json!({ "synced": count, "pending": 0, "failed": 0, "parked": 0 }));
}

fn import(merchant: &Merchant, store_id: &str, all: Vec<Value>) {
    for batch in all.chunks(100) {
        let results = merchant.import(store_id, batch.to_vec());
        assert!(results.as_array().unwrap().iter().all(|r| r["errors"] == json!([])), "{results}");
    }
}

#[test]
fn killing_the_server_at_50_random_moments_of_a_500_order_sync_never_doubles_or_loses_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let data = tempfile::tempdir().unwrap();
    let mut merchant = Merchant::pair(server, data);
    let mut company = Company::us_sample(0);
    let store_id = merchant.set_up("INVOICE_WITH_PAYMENT", &mut company);
    import(&merchant, &store_id, orders(500));

    // A fixed seed: the same "random" moments on every machine, so a failure can be replayed.
    let mut seed: u64 = 0x0005_eed1_e5b4_1d9e;
    let mut random = move |below: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % below
    };
    let mut kills_mid_sync = 0;
    while kills_mid_sync < 50 {
        // The clock starts once the session is under way (authenticate alone checks a
        // password hash): the kill then lands anywhere in the exchange of requests.
        let pid = merchant.server.pid();
        let after = Duration::from_millis(random(400));
        let mut killer = None;
        let wc = WebConnector::new(&merchant.server.url(""), &merchant.user_name, PASSWORD).tolerating_a_dead_server();
        let report = wc.run_with(&mut company, |round, _| {
            if round == 0 {
                killer = Some(std::thread::spawn(move || {
                    std::thread::sleep(after);
                    let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
                }));
            }
            Step::Continue
        });
        if let Some(killer) = killer {
            killer.join().unwrap();
        }
        // A run ends because the server died or because it finished; either way nothing may
        // be doubled or lost, which is asserted at the end.
        assert!(wc.gone() || report.progress.last() == Some(&100), "{report:?}");
        if wc.gone() && !report.progress.is_empty() {
            kills_mid_sync += 1;
        }
        // Started again on the same database, as a supervisor would.
        merchant.server = start(dir.path());
        eprintln!(
            "kill {kills_mid_sync} after {after:?}: {} calls answered, {} transactions in QuickBooks",
            report.calls.len(),
            company.transactions.len()
        );
        assert!(
            company.transactions.len() < 500 || kills_mid_sync >= 50,
            "the sync finished after only {kills_mid_sync} kills in the middle of it: kill sooner"
        );
    }
    loop {
        let run = merchant.web_connector(PASSWORD).run(&mut company);
        if run.status() == "none" {
            break;
        }
    }
    assert_each_order_once(&merchant, &company, 500);
}

#[test]
fn dropping_the_web_connector_after_each_request_of_a_100_order_sync_never_doubles_or_loses_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let merchant = Merchant::pair(server, tempfile::tempdir().unwrap());
    let mut company = Company::us_sample(0);
    let store_id = merchant.set_up("INVOICE_WITH_PAYMENT", &mut company);
    import(&merchant, &store_id, orders(100));

    // Each run answers one request, then vanishes after sending the next — which QuickBooks
    // carries out. The next run starts by checking what QuickBooks has, so every kind of
    // request (checks, customer adds, invoice adds, payments) is lost once along the way.
    let mut runs = 0;
    let mut dropped: HashSet<String> = HashSet::new();
    loop {
        let run = merchant.web_connector(PASSWORD).run_with(&mut company, |round, request| {
            if round == 1 {
                // Every request of the message set: `<CustomerAddRq …>` → CustomerAdd.
                for piece in request.split('<').skip(1) {
                    let name = piece.split([' ', '>']).next().unwrap_or("");
                    if let Some(kind) = name.strip_suffix("Rq").filter(|k| *k != "QBXMLMsgs") {
                        dropped.insert(kind.to_owned());
                    }
                }
                Step::DropAfterSend
            } else {
                Step::Continue
            }
        });
        runs += 1;
        assert!(runs < 2_000, "the sync does not move forward");
        if run.status() == "none" {
            break;
        }
    }
    assert!(runs > 100, "{runs} runs");
    for kind in ["CustomerAdd", "InvoiceAdd", "ReceivePaymentAdd"] {
        assert!(dropped.contains(kind), "{kind} was never lost: {dropped:?}");
    }
    assert_each_order_once(&merchant, &company, 100);
}

#[test]
fn postgresql_down_for_a_while_fails_requests_clearly_refuses_webhooks_and_recovers_by_itself() {
    let Some(database) = e2e::server::PostgresDatabase::create() else {
        eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut serve = command();
    serve.current_dir(dir.path()).env("DATABASE_URL", &database.url).args(["serve", "--listen", "127.0.0.1:0"]);
    let merchant = Merchant::pair(Server::start(serve), dir);
    let added = merchant.graphql(
        "mutation($c: ID!) { addStore(connectionId: $c, input: { platform: SHOPIFY, name: \"Shop\", signingSecret: \"down-secret\" }) { store { webhookUrl } } }",
        json!({ "c": merchant.connection_id }),
    );
    let webhook_url = added["data"]["addStore"]["store"]["webhookUrl"].as_str().unwrap().to_owned();
    let deliver = |id: &str| {
        let body = serde_json::to_vec(&json!({ "id": 777, "name": "#777", "currency": "USD", "total_price": "0.00",
                                              "line_items": [], "created_at": "2026-11-27T10:00:00Z" }))
        .unwrap();
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"down-secret").unwrap();
        mac.update(&body);
        let signature = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes());
        let started = std::time::Instant::now();
        let status = reqwest::blocking::Client::new()
            .post(&webhook_url)
            .header("X-Shopify-Hmac-Sha256", signature)
            .header("X-Shopify-Topic", "orders/create")
            .header("X-Shopify-Webhook-Id", id)
            .body(body)
            .send()
            .unwrap()
            .status()
            .as_u16();
        (status, started.elapsed())
    };
    let ready = || reqwest::blocking::get(merchant.server.url("/readyz")).unwrap().status().as_u16();

    database.set_available(false);
    assert_eq!(ready(), 503);
    let answer = merchant.graphql("{ connections { id } }", json!({}));
    assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{answer}");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("try again shortly"), "{answer}");
    let (status, took) = deliver("down-1");
    assert_eq!(status, 503, "not acknowledged, so the store sends it again");
    assert!(took < Duration::from_secs(5), "answered within Shopify's five seconds: {took:?}");

    database.set_available(true);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while ready() != 200 {
        assert!(std::time::Instant::now() < deadline, "the server did not recover by itself");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(deliver("down-1").0, 200, "the store's retry is stored");
    merchant.settle_webhooks();
    let orders = merchant.data("query($c: ID!) { orders(connectionId: $c) { nodes { number } } }");
    assert_eq!(orders["orders"]["nodes"], json!([{ "number": "#777" }]), "{orders}");
}

/// Makes the SQLite file refuse to record an order as synced in QuickBooks, as a full disk or
/// a broken statement would half way through a call; `false` lifts it again.
fn refuse_synced_entries(database: &Path, refuse: bool) {
    let sql = if refuse {
        "CREATE TRIGGER refuse_synced BEFORE INSERT ON transaction_log_entry WHEN NEW.kind = 'ORDER_SYNCED' \
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    } else {
        "DROP TRIGGER refuse_synced"
    };
    let url = format!("sqlite://{}", database.display());
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(sql).execute(&mut connection).await.unwrap();
    });
}

#[test]
fn a_statement_failing_half_way_through_a_call_leaves_nothing_of_the_call_behind() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let database = dir.path().join("data/ledgerbridge.db");
    let merchant = Merchant::pair(server, tempfile::tempdir().unwrap());
    let mut company = Company::us_sample(0);
    let store_id = merchant.set_up("INVOICE_WITH_PAYMENT", &mut company);
    import(&merchant, &store_id, orders(1));
    refuse_synced_entries(&database, true);

    // The order's check, then its post: QuickBooks makes the customer, the invoice and the
    // payment, and the answer's last statement fails on our side.
    let wc = merchant.web_connector(PASSWORD);
    let ticket = wc.call("authenticate", &[("strUserName", &merchant.user_name), ("strPassword", PASSWORD)])[0].clone();
    let mut failed = None;
    for _ in 0..2 {
        let request = wc.send_request(&ticket, &company.hcp_response());
        let answer = company.execute(&request);
        let (status, body) = wc.post(
            "receiveResponseXML",
            &[("ticket", &ticket), ("response", &answer), ("hresult", ""), ("message", "")],
        );
        if status != 200 {
            failed = Some((request, body));
            break;
        }
    }
    let (request, fault) = failed.expect("the answer to the post could not be recorded");
    assert!(request.contains("<InvoiceAddRq"), "{request}");
    assert!(fault.contains("could not handle this call"), "{fault}");
    assert_eq!(company.transactions.len(), 1);

    // Nothing of that answer was kept: not the order's new status, not the customer's entry.
    let stats =
        merchant.data("query($c: ID!) { orderStats(connectionId: $c) { stores { synced pending failed parked } } }");
    assert_eq!(stats["orderStats"]["stores"][0], json!({ "synced": 0, "pending": 1, "failed": 0, "parked": 0 }));
    let kinds = merchant.log_kinds();
    assert!(!kinds.iter().any(|k| k == "CUSTOMER_CREATED" || k == "ORDER_SYNCED"), "{kinds:?}");

    // Once the database takes it again, the next run finds the invoice in QuickBooks and
    // links it rather than adding it twice.
    refuse_synced_entries(&database, false);
    let run = merchant.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    assert_eq!(company.transactions.len(), 1, "the invoice is in QuickBooks once");
    assert_eq!(company.payments.len(), 1);
    let stats =
        merchant.data("query($c: ID!) { orderStats(connectionId: $c) { stores { synced pending failed parked } } }");
    assert_eq!(stats["orderStats"]["stores"][0], json!({ "synced": 1, "pending": 0, "failed": 0, "parked": 0 }));
    assert!(merchant.log_kinds().iter().any(|k| k == "ORDER_LINKED"));
}
