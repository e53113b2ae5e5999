//! Two replicas of the real binary on one PostgreSQL, behind no sticky routing: a merchant
//! subscribed on one sees what the other records, a Web Connector session moves between them
//! call by call without a transaction lost or doubled, and the dashboard's log page, left open
//! while its replica restarts, shows what the other recorded meanwhile.

use std::time::Duration;

use e2e::browser::Browser;
use e2e::merchant::{Merchant, PASSWORD, sample_order};
use e2e::quickbooks::Company;
use e2e::server::{PostgresDatabase, Server, command, dashboard_dir};
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;

type Socket = tungstenite::WebSocket<MaybeTlsStream<std::net::TcpStream>>;

fn replica(database_url: &str) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (replica_at(database_url, dir.path(), "127.0.0.1:0"), dir)
}

/// A replica serving the dashboard too, in `dir`, listening on `listen`.
fn replica_at(database_url: &str, dir: &std::path::Path, listen: &str) -> Server {
    let mut serve = command();
    serve.current_dir(dir).env("DATABASE_URL", database_url).args(["serve", "--listen", listen, "--dashboard-dir"]);
    serve.arg(dashboard_dir());
    Server::start(serve)
}

/// Records a log entry through `server`'s GraphQL API: a request to read the lists again.
fn refresh_lists_on(server: &Server, merchant: &Merchant) {
    let answer: Value = reqwest::blocking::Client::new()
        .post(server.url("/graphql"))
        .bearer_auth(&merchant.token)
        .json(&json!({ "query": "mutation($c: ID!) { refreshQuickbooksLists(connectionId: $c) { id } }",
                       "variables": { "c": merchant.connection_id } }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(answer.get("errors").is_none(), "{answer}");
}

/// A graphql-transport-ws subscription on `server` as the merchant, with `variables` besides
/// the connection's `$c`.
fn subscribe(server: &Server, merchant: &Merchant, query: &str, mut variables: Value) -> Socket {
    use tungstenite::client::IntoClientRequest;
    let mut request = server.url("/graphql/ws").replace("http://", "ws://").into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tungstenite::connect(request).expect("websocket connects");
    if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    }
    let init =
        json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", merchant.token) } });
    socket.send(tungstenite::Message::text(init.to_string())).unwrap();
    assert_eq!(next(&mut socket)["type"], "connection_ack");
    variables["c"] = json!(merchant.connection_id);
    let start = json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } });
    socket.send(tungstenite::Message::text(start.to_string())).unwrap();
    socket
}

/// The next data message (pings skipped); fails after 20 s of silence.
fn next(socket: &mut Socket) -> Value {
    loop {
        if let tungstenite::Message::Text(text) = socket.read().expect("a message within 20 s") {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["type"] != "ping" && value["type"] != "pong" {
                return value;
            }
        }
    }
}

#[test]
fn two_replicas_on_one_postgresql_share_live_events_and_one_web_connector_session() {
    let Some(database) = PostgresDatabase::create() else {
        eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    };
    let (a, dir_a) = replica(&database.url);
    let (b, _dir_b) = replica(&database.url);
    let merchant = Merchant::pair(a, dir_a);
    // From the newest entry listed: whenever the subscription starts, it misses nothing after.
    let newest =
        merchant.data("query($c: ID!) { transactionLog(connectionId: $c, first: 1) { edges { node { id } } } }");
    let mut log = subscribe(
        &merchant.server,
        &merchant,
        "subscription($c: ID!, $after: ID) { transactionLogEntries(connectionId: $c, after: $after) { kind message } }",
        json!({ "after": newest["transactionLog"]["edges"][0]["node"]["id"] }),
    );
    let mut progress = subscribe(
        &merchant.server,
        &merchant,
        "subscription($c: ID!) { syncProgress(connectionId: $c) { percent running } }",
        json!({}),
    );
    assert_eq!(next(&mut progress)["payload"]["data"]["syncProgress"]["running"], false);
    refresh_lists_on(&merchant.server, &merchant);
    let seen = next(&mut log);
    assert_eq!(seen["payload"]["data"]["transactionLogEntries"]["kind"], "LISTS_REFRESH_REQUESTED", "{seen}");

    // Recorded on B (the same token works there: replicas sign alike), seen live on A.
    refresh_lists_on(&b, &merchant);
    let seen = next(&mut log);
    assert_eq!(seen["payload"]["data"]["transactionLogEntries"]["kind"], "LISTS_REFRESH_REQUESTED", "{seen}");

    // One Web Connector session, its calls alternating between the replicas.
    let mut company = Company::us_sample(0);
    let store_id = merchant.set_up("INVOICE", &mut company);
    let orders = (1..=5).map(|i| sample_order(&format!("r{i}"), &format!("#R{i}"), "Hammer")).collect();
    merchant.import(&store_id, orders);
    let run = merchant.web_connector(PASSWORD).alternating_with(&b.url("")).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    let mut numbers: Vec<&str> = company.transactions.iter().map(|t| t.ref_number.as_str()).collect();
    numbers.sort();
    assert_eq!(numbers, ["WEB-R1", "WEB-R2", "WEB-R3", "WEB-R4", "WEB-R5"], "each order once");
    assert_eq!(merchant.web_connector(PASSWORD).alternating_with(&b.url("")).run(&mut company).status(), "none");

    // A's subscribers saw the whole run, whichever replica answered each call.
    let mut synced = 0;
    while synced < 5 {
        let entry = next(&mut log);
        if entry["payload"]["data"]["transactionLogEntries"]["kind"] == "ORDER_SYNCED" {
            synced += 1;
        }
    }
    loop {
        let now = next(&mut progress)["payload"]["data"]["syncProgress"].clone();
        if now["percent"] == 100 && now["running"] == false {
            break;
        }
    }
}

#[test]
fn the_log_page_left_open_while_its_replica_restarts_shows_what_the_other_recorded_meanwhile() {
    let Some(database) = PostgresDatabase::create() else {
        eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    };
    let (b, _dir_b) = replica(&database.url);
    let dir_a = tempfile::tempdir().unwrap();
    let a = replica_at(&database.url, dir_a.path(), "127.0.0.1:0");
    // A comes back on the same address, as behind a load balancer.
    let listen = a.url("").trim_start_matches("http://").to_owned();
    let Merchant { server: a, token, connection_id, user_name, _dir } = Merchant::pair(a, dir_a);

    let browser = Browser::start();
    let wait = Duration::from_secs(20);
    browser.goto(&a.url(&format!("/connections/{connection_id}/log")));
    browser.wait_for_text("Log in to Ledgerbridge", wait);
    browser.fill("#email", "wc@shop.example");
    browser.fill("#password", "a long password");
    browser.click("button[type=submit]");
    browser.wait_for_text("● Live", wait);

    // A goes down; while it is, B records an entry, which no live subscriber can be sent.
    let (code, _) = a.terminate();
    assert_eq!(code, Some(0));
    browser.wait_for_text("Reconnecting…", wait);
    let merchant = Merchant { server: b, token, connection_id, user_name, _dir };
    refresh_lists_on(&merchant.server, &merchant);

    // Back on A, the page resumes after the newest entry it had: the one it missed shows.
    let _a = replica_at(&database.url, merchant._dir.path(), &listen);
    let log = browser.wait_for_text("QuickBooks lists will be read again", Duration::from_secs(40));
    assert!(log.contains("● Live"), "{log}");
    assert_eq!(log.matches("QuickBooks lists will be read again").count(), 1, "{log}");
}
