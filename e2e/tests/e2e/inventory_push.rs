//! Quantities on hand pushed to a real HTTP receiver on loopback: signed, retried after a
//! failure, each delivery's state visible over GraphQL and in the log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use e2e::quickbooks::Company;
use serde_json::{Value, json};

use crate::orders::{import, order, ready_to_sync};
use crate::web_connector::PASSWORD;

/// One request as the receiver got it.
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// An HTTP server on a free loopback port answering each request with the next status of
/// `statuses` (then 200), and handing every request to the test.
fn receiver(statuses: Vec<u16>) -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/inventory", listener.local_addr().unwrap().port());
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.trim().split_once(':') {
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
            }
            let length: usize =
                headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let status = statuses.next().unwrap_or(200);
            let reason = if status == 200 { "OK" } else { "Service Unavailable" };
            write!(stream, "HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
            if sender.send(Received { headers, body }).is_err() {
                break;
            }
        }
    });
    (url, received)
}

#[test]
fn changed_quantities_reach_the_store_signed_and_a_failed_delivery_is_retried() {
    let mut company = Company::us_sample(0);
    company.set_quantity("Tools:Hammer", "25");
    let (paired, store_id) = ready_to_sync(None, "INVOICE", &mut company);
    let rotated =
        paired.graphql("mutation($s: ID!) { rotateStoreSecret(id: $s) { signingSecret } }", json!({ "s": store_id }));
    let secret = rotated["data"]["rotateStoreSecret"]["signingSecret"].as_str().unwrap().to_owned();
    let (url, received) = receiver(vec![503]);
    let refused = paired.graphql(
        "mutation($s: ID!, $u: String) { setStoreInventoryUrl(id: $s, url: $u) { inventoryUrl } }",
        json!({ "s": store_id, "u": "http://shop.example/qty" }),
    );
    assert_eq!(refused["errors"][0]["extensions"]["code"], "VALIDATION", "https only, but for localhost: {refused}");
    let set = paired.graphql(
        "mutation($s: ID!, $u: String) { setStoreInventoryUrl(id: $s, url: $u) { inventoryUrl } }",
        json!({ "s": store_id, "u": url }),
    );
    assert_eq!(set["data"]["setStoreInventoryUrl"]["inventoryUrl"], url.as_str(), "{set}");
    let on = paired.graphql(
        "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: TO_QUICKBOOKS, syncInventory: true }) { saved { syncInventory } } }",
        json!({ "c": paired.connection_id }),
    );
    assert!(on.get("errors").is_none(), "{on}");
    // The store sells "Hammer" (QuickBooks' Tools:Hammer); the saw it does not sell.
    import(&paired, &store_id, vec![order("9960", "#9960", "Hammer")]);
    company.add("Item", "Tools:Saw", "Inventory");
    company.set_quantity("Tools:Saw", "7");
    paired.web_connector(PASSWORD).run(&mut company);

    let first = received.recv_timeout(Duration::from_secs(15)).expect("a delivery");
    let retry = received.recv_timeout(Duration::from_secs(15)).expect("the delivery, again after the 503");
    for delivery in [&first, &retry] {
        let header = |name: &str| delivery.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let signature = header("x-ledgerbridge-hmac-sha256").expect("signed");
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&delivery.body);
        mac.verify_slice(&base64::Engine::decode(&base64::engine::general_purpose::STANDARD, signature).unwrap())
            .expect("the signature is the HMAC-SHA256 of the body with the store's secret");
        assert_eq!(header("x-ledgerbridge-topic").as_deref(), Some("inventory/update"));
    }
    assert_eq!(first.body, retry.body, "the same delivery is sent again");
    let body: Value = serde_json::from_slice(&retry.body).unwrap();
    assert_eq!(
        body["items"],
        json!([{ "sku": "Hammer", "quickbooksItem": "Tools:Hammer", "quantityOnHand": "23", "changedAt": body["items"][0]["changedAt"] }])
    );

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let deliveries = loop {
        let data = paired.graphql(
            "query($c: ID!) { stores(connectionId: $c) { inventoryDeliveries { status attempts lastError } } }",
            json!({ "c": paired.connection_id }),
        );
        let deliveries = data["data"]["stores"][0]["inventoryDeliveries"].clone();
        if deliveries[0]["status"] == "DELIVERED" || std::time::Instant::now() > deadline {
            break deliveries;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(deliveries[0]["status"], "DELIVERED", "{deliveries}");
    assert_eq!(deliveries[0]["attempts"], 2);
    let kinds = paired.log_kinds();
    assert_eq!(kinds.iter().filter(|k| *k == "INVENTORY_PUSHED").count(), 2, "the failure and the delivery: {kinds:?}");
}
