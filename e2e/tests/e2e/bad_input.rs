//! Hostile and broken input against the real binary: entity expansion, deep nesting, huge
//! bodies and invalid UTF-8 on every door (SOAP, qbXML answers, webhooks, GraphQL) get a clear
//! refusal and leave the server serving; store text QuickBooks cannot hold is transliterated.

use e2e::quickbooks::Company;
use serde_json::{Value, json};

use crate::web_connector::{PASSWORD, Paired, paired};

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>"#;

fn fault_code(answer: &str) -> Option<String> {
    let document = roxmltree::Document::parse(answer).ok()?;
    let fault = document.descendants().find(|n| n.tag_name().name() == "Fault")?;
    fault.children().find(|n| n.tag_name().name() == "faultcode").and_then(|n| n.text()).map(str::to_owned)
}

fn envelope(method: &str, inner: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
         <{method} xmlns=\"http://developer.intuit.com/\">{inner}</{method}></soap:Body></soap:Envelope>"
    )
}

#[test]
fn hostile_soap_and_qbxml_are_refused_clearly_and_the_server_keeps_serving() {
    let paired = paired(None);
    let wc = paired.web_connector(PASSWORD);
    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let laughs = format!("{BILLION_LAUGHS}{}", envelope("authenticate", "<strUserName>&lol3;</strUserName>"));
    for (what, body) in [("entity expansion", laughs.into_bytes()), ("deep nesting", deep.into_bytes())] {
        let (status, answer) = post_bytes(&wc.endpoint, body);
        assert_eq!(status, 500, "{what}: {answer}");
        assert_eq!(fault_code(&answer).as_deref(), Some("soap:Client"), "{what}: {answer}");
    }
    let mut invalid = envelope("serverVersion", "").into_bytes();
    invalid.splice(10..10, [0xFF, 0xFE, 0xC3]);
    let (status, answer) = post_bytes(&wc.endpoint, invalid);
    assert_eq!((status, fault_code(&answer).as_deref()), (400, Some("soap:Client")), "invalid UTF-8: {answer}");
    assert!(answer.contains("not UTF-8"), "{answer}");
    // QuickBooks' answers for long lists run to megabytes, so the SOAP limit is 64 MB.
    let (status, _) = post_bytes(&wc.endpoint, vec![b' '; 65 * 1024 * 1024]);
    assert_eq!(status, 413, "too large a body never reaches the parser");

    // Sessions whose "QuickBooks answer" is hostile: each stops with the reason, logged, and
    // the next run works.
    let mut company = Company::us_sample(0);
    for response in [format!("{BILLION_LAUGHS}<QBXML>&lol3;</QBXML>"), format!("{}x", "<QBXML>".repeat(10_000))] {
        let ticket =
            wc.call("authenticate", &[("strUserName", &paired.user_name), ("strPassword", PASSWORD)])[0].clone();
        let request = wc.call(
            "sendRequestXML",
            &[
                ("ticket", &ticket),
                ("strHCPResponse", &company.hcp_response()),
                ("strCompanyFileName", "C:\\Company.qbw"),
                ("qbXMLCountry", "US"),
                ("qbXMLMajorVers", "16"),
                ("qbXMLMinorVers", "0"),
            ],
        );
        assert!(request[0].contains("QBXMLMsgsRq"), "{request:?}");
        let params = [("ticket", ticket.as_str()), ("response", response.as_str()), ("hresult", ""), ("message", "")];
        assert_eq!(wc.call("receiveResponseXML", &params)[0], "-1", "the session stops on an answer it cannot read");
        let reason = wc.call("getLastError", &[("ticket", ticket.as_str())])[0].clone();
        assert!(reason.contains("could not be read"), "{reason}");
        wc.call("closeConnection", &[("ticket", &ticket)]);
    }
    let run = wc.run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "the next run reads the company as usual: {run:?}");
}

fn post_bytes(url: &str, body: Vec<u8>) -> (u16, String) {
    match reqwest::blocking::Client::new()
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", "\"http://developer.intuit.com/authenticate\"")
        .body(body)
        .send()
    {
        Ok(response) => (response.status().as_u16(), response.text().unwrap_or_default()),
        // The server may close the connection while a refused body is still being sent.
        Err(_) => (413, String::new()),
    }
}

#[test]
fn graphql_refuses_huge_and_deeply_nested_bodies_with_a_clear_status() {
    let paired = paired(None);
    let url = paired.server.url("/graphql");
    let client = reqwest::blocking::Client::new();
    let huge = format!(
        "{{\"query\":\"{{ serverInfo {{ version }} }}\",\"variables\":{{\"x\":\"{}\"}}}}",
        "x".repeat(3 * 1024 * 1024)
    );
    // The server may close the connection while the refused body is still being sent; when
    // the answer does arrive, it tells the client not to reuse the connection, so the next
    // request on this client's pool does not meet a closed socket.
    if let Ok(refused) = client.post(&url).header("Content-Type", "application/json").body(huge).send() {
        assert_eq!(refused.status().as_u16(), 413);
        assert_eq!(refused.headers().get("connection").map(|v| v.as_bytes()), Some(&b"close"[..]));
    }
    let nested = format!(
        "{{\"query\":\"{{ serverInfo {{ version }} }}\",\"variables\":{{\"x\":{}{}}}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let response = client.post(&url).header("Content-Type", "application/json").body(nested).send().unwrap();
    assert_eq!(response.status().as_u16(), 400, "{}", response.text().unwrap_or_default());
    let answer = paired.graphql("{ serverInfo { version } }", json!({}));
    assert!(answer["data"]["serverInfo"]["version"].is_string(), "still serving: {answer}");
}

#[test]
fn names_in_other_scripts_reach_quickbooks_transliterated_to_latin1() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = crate::orders::ready_to_sync(None, "INVOICE", &mut company);
    let mut order = crate::orders::order("9100", "#9100", "Hammer");
    order["billing"]["firstName"] = Value::from("Łukasz");
    order["billing"]["lastName"] = Value::from("Wójcik");
    order["billing"]["company"] = Value::Null;
    order["billing"]["address1"] = Value::from("ul. Świętokrzyska 12 — lok. 3");
    order["lines"][0]["title"] = Value::from("Młotek ciesielski 🔨");
    crate::orders::import(&paired, &store_id, vec![order]);
    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    assert_eq!(company.transactions.len(), 1, "the order is not refused for its script");
    let sent = company.requests.iter().find(|r| r.contains("<InvoiceAddRq")).expect("the invoice was sent");
    assert!(sent.chars().all(|c| (c as u32) <= 0xFF), "only Latin-1 goes to QuickBooks");
    assert!(sent.contains("Wójcik, Lukasz"), "ó is Latin-1 and stays; Ł becomes L: {sent}");
    assert!(sent.contains("Swietokrzyska 12 -- lok. 3"), "{sent}");
}

#[test]
fn signed_webhooks_that_are_deeply_nested_or_not_utf8_get_400_and_are_kept_for_support() {
    signed_bad_bodies_get_400_and_are_kept(paired(None));
}

/// PostgreSQL refuses text holding a NUL character, which SQLite keeps.
#[test]
fn signed_webhooks_holding_nul_bytes_are_kept_on_postgresql_too() {
    let Some(database) = e2e::server::PostgresDatabase::create() else {
        eprintln!("skipped: set LEDGERBRIDGE_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut serve = e2e::server::command();
    serve.current_dir(dir.path()).env("DATABASE_URL", &database.url).args(["serve", "--listen", "127.0.0.1:0"]);
    signed_bad_bodies_get_400_and_are_kept(Paired::pair(e2e::server::Server::start(serve), dir));
}

/// Signed bodies that cannot be read: each answered 400 (the store stops resending) and kept
/// with its reason in the log, none of them made into an order. Then a readable one whose
/// text holds an escaped NUL: made into an order without it.
fn signed_bad_bodies_get_400_and_are_kept(paired: Paired) {
    let secret = "bad-input-secret";
    let added = paired.graphql(
        "mutation($c: ID!) { addStore(connectionId: $c, input: { platform: SHOPIFY, name: \"Shop\", signingSecret: \"bad-input-secret\" }) { store { webhookUrl } } }",
        json!({ "c": paired.connection_id }),
    );
    let url = added["data"]["addStore"]["store"]["webhookUrl"].as_str().expect("a webhook URL").to_owned();
    let sign = |body: &[u8]| {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes())
    };
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    let mut not_utf8 = br#"{"id": 1, "name": "#.to_vec();
    not_utf8.extend([0xFF, 0xFE, b'"', b'}']);
    let nul = b"{\"id\": 2, \"name\": \"#10\0\"}".to_vec();
    let bodies = [nested, not_utf8, nul];
    let count = bodies.len();
    for body in bodies {
        let response = reqwest::blocking::Client::new()
            .post(&url)
            .header("X-Shopify-Hmac-Sha256", sign(&body))
            .header("X-Shopify-Topic", "orders/create")
            .body(body)
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{}", response.text().unwrap_or_default());
    }
    paired.settle_webhooks();
    let log = paired.data(
        "query($c: ID!) { transactionLog(connectionId: $c, filter: { levels: [ERROR, WARNING] }) { nodes { kind } } }",
    );
    let malformed =
        log["transactionLog"]["nodes"].as_array().unwrap().iter().filter(|e| e["kind"] == "WEBHOOK_MALFORMED").count();
    assert_eq!(malformed, count, "{log}");
    let orders = paired.data("query($c: ID!) { orders(connectionId: $c) { nodes { id } } }");
    assert_eq!(orders["orders"]["nodes"], json!([]), "nothing became an order");

    // A readable order whose text holds an escaped NUL character becomes an order without it.
    let body = json!({
        "id": 3, "name": "#11\u{0}", "created_at": "2026-11-26T10:00:00Z", "currency": "USD",
        "billing_address": { "first_name": "Zo\u{0}e", "last_name": "Null" },
        "line_items": [{ "sku": "A\u{0}", "title": "A", "quantity": 1, "price": "2.00" }], "total_price": "2.00"
    })
    .to_string();
    assert!(body.contains("\\u0000"), "JSON escapes it: {body}");
    let response = reqwest::blocking::Client::new()
        .post(&url)
        .header("X-Shopify-Hmac-Sha256", sign(body.as_bytes()))
        .header("X-Shopify-Topic", "orders/create")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{}", response.text().unwrap_or_default());
    paired.settle_webhooks();
    let orders = paired.data("query($c: ID!) { orders(connectionId: $c) { nodes { number details } } }");
    let [order] = orders["orders"]["nodes"].as_array().unwrap().as_slice() else { panic!("one order: {orders}") };
    assert_eq!(order["number"], "#11");
    let details = order["details"].to_string();
    assert!(details.contains("\"Zoe\"") && !details.contains("\\u0000"), "{details}");
}
