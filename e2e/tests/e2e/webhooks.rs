//! Store webhooks against the real binary with the real fixtures and their HMAC vectors.

use e2e::quickbooks::Company;
use e2e::server::workspace_root;
use serde_json::{Value, json};

use crate::web_connector::{PASSWORD, Paired, paired};

const SECRET: &str = "test-webhook-secret";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("../shared/fixtures/orders").join(name)).expect("fixture")
}

/// The body Shopify sends for an orders/... webhook: the order object itself.
fn shopify_body(name: &str) -> Vec<u8> {
    let raw = fixture(name);
    let value: Value = serde_json::from_slice(&raw).unwrap();
    match value.get("order") {
        Some(order) => serde_json::to_vec(order).unwrap(),
        None => raw,
    }
}

fn add_store(paired: &Paired, platform: &str, name: &str) -> String {
    let answer = paired.graphql(
        "mutation($c: ID!, $i: AddStoreInput!) { addStore(connectionId: $c, input: $i) { store { id webhookUrl } signingSecret } }",
        json!({ "c": paired.connection_id, "i": { "platform": platform, "name": name, "signingSecret": SECRET } }),
    );
    assert_eq!(answer["data"]["addStore"]["signingSecret"], SECRET, "{answer}");
    let url = answer["data"]["addStore"]["store"]["webhookUrl"].as_str().unwrap().to_owned();
    assert!(url.ends_with(answer["data"]["addStore"]["store"]["id"].as_str().unwrap()));
    url
}

fn post(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, String) {
    let mut request = reqwest::blocking::Client::new().post(url).header("Content-Type", "application/json").body(body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

fn sign(body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes())
}

fn order_numbers(paired: &Paired) -> Vec<(String, String)> {
    let data = paired.data("query($c: ID!) { orders(connectionId: $c) { edges { node { number status } } } }");
    data["orders"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["number"].as_str().unwrap().to_owned(), e["node"]["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn every_fixture_ingests_through_its_signed_webhook_and_bad_deliveries_store_nothing() {
    let paired = paired(None);
    let shopify = add_store(&paired, "SHOPIFY", "My Shopify");
    let woo = add_store(&paired, "WOOCOMMERCE", "My Woo");

    // The published vectors sign the files exactly as stored: the Woo body is posted as is.
    let woo_body = fixture("synthetic__woocommerce_order_created.json");
    assert_eq!(sign(&woo_body), "vaIj8/gFvDhPmfA3UQUIbTt4pz478duvjP+iAEzkQLI=");
    let (status, _) = post(
        &woo,
        &[
            ("X-WC-Webhook-Signature", "vaIj8/gFvDhPmfA3UQUIbTt4pz478duvjP+iAEzkQLI="),
            ("X-WC-Webhook-Topic", "order.created"),
            ("X-WC-Webhook-Delivery-ID", "w-1"),
        ],
        woo_body,
    );
    assert_eq!(status, 200);
    let modern = fixture("synthetic__shopify_orders_create_modern.json");
    assert_eq!(sign(&modern), "2A6/OvqMSwryzXk7pvxQE2cTZfKrDrTI//L2u/+W0TY=");
    let (status, _) = post(
        &shopify,
        &[
            ("X-Shopify-Hmac-Sha256", "2A6/OvqMSwryzXk7pvxQE2cTZfKrDrTI//L2u/+W0TY="),
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Event-Id", "e-1"),
        ],
        modern.clone(),
    );
    assert_eq!(status, 200);
    for name in ["shopify_python_api__order.json", "shopify_api_ruby__order.json"] {
        let body = shopify_body(name);
        let (status, answer) =
            post(&shopify, &[("X-Shopify-Hmac-Sha256", &sign(&body)), ("X-Shopify-Topic", "orders/create")], body);
        assert_eq!(status, 200, "{name}: {answer}");
    }
    // Answered once stored; the orders are made just after.
    paired.settle_webhooks();
    let numbers = order_numbers(&paired);
    assert!(numbers.iter().any(|(n, _)| n == "#4821"), "{numbers:?}");
    assert!(numbers.iter().any(|(n, _)| n == "#1001"), "{numbers:?}");
    assert_eq!(numbers.len(), 3, "the two classic fixtures are the same Shopify order, stored once: {numbers:?}");

    // A retry of the same delivery is acknowledged, not stored twice.
    let (status, answer) = post(
        &shopify,
        &[
            ("X-Shopify-Hmac-Sha256", "2A6/OvqMSwryzXk7pvxQE2cTZfKrDrTI//L2u/+W0TY="),
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Event-Id", "e-1"),
        ],
        modern.clone(),
    );
    assert_eq!((status, answer.as_str()), (200, "already received"));
    // A wrong signature, or none, stores nothing.
    let forged =
        br##"{"id":999,"name":"#9999","created_at":"2026-11-26T10:00:00Z","line_items":[],"total_price":"1.00"}"##
            .to_vec();
    assert_eq!(
        post(
            &shopify,
            &[
                ("X-Shopify-Hmac-Sha256", "1zeHeDPsENUTVpn88iHMVPTUCKg3w3p9dq9im8vtFkA="),
                ("X-Shopify-Topic", "orders/create")
            ],
            forged.clone()
        )
        .0,
        401
    );
    assert_eq!(post(&shopify, &[("X-Shopify-Topic", "orders/create")], forged).0, 401);
    // WooCommerce's unsigned ping gets exactly 200.
    let (status, _) = post(&woo, &[], b"webhook_id=17".to_vec());
    assert_eq!(status, 200);
    // Signed but not JSON: refused, kept for support.
    let junk = b"{not json".to_vec();
    assert_eq!(
        post(&shopify, &[("X-Shopify-Hmac-Sha256", &sign(&junk)), ("X-Shopify-Topic", "orders/create")], junk).0,
        400
    );
    // A topic Ledgerbridge does not use is acknowledged and ignored.
    let product = br#"{"id":5}"#.to_vec();
    assert_eq!(
        post(&shopify, &[("X-Shopify-Hmac-Sha256", &sign(&product)), ("X-Shopify-Topic", "products/update")], product)
            .0,
        200
    );
    // Too large a body never reaches the handler.
    let huge = vec![b' '; 3 * 1024 * 1024];
    let signed_huge = sign(&huge);
    let status = reqwest::blocking::Client::new()
        .post(&shopify)
        .header("X-Shopify-Hmac-Sha256", signed_huge)
        .body(huge)
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(413);
    assert_eq!(status, 413);

    paired.settle_webhooks();
    assert_eq!(order_numbers(&paired).len(), 3, "nothing bad was stored as an order");
    // Every signed delivery is kept, with what became of it.
    let stores = paired.data("query($c: ID!) { stores(connectionId: $c) { name webhooksWaiting webhookDeliveries(first: 100) { topic outcome error rawBody } } }");
    let shopify_deliveries = stores["stores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "My Shopify")
        .map(|s| s["webhookDeliveries"].as_array().unwrap().clone())
        .unwrap();
    let outcomes: Vec<&str> = shopify_deliveries.iter().map(|d| d["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["IGNORED", "MALFORMED", "ORDER_STORED", "ORDER_STORED", "ORDER_STORED"], "newest first");
    assert_eq!(shopify_deliveries[1]["rawBody"], "{not json", "kept for support");
    assert!(shopify_deliveries[1]["error"].as_str().unwrap().contains("not valid JSON"), "{shopify_deliveries:?}");
    let data = paired.data("query($c: ID!) { orders(connectionId: $c) { edges { node { externalId deliveries { topic outcome rawBody } } } } }");
    let modern_order = data["orders"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["externalId"] == "5551234567890")
        .unwrap();
    let deliveries = modern_order["node"]["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 1, "the retry was not kept twice: {deliveries:?}");
    assert_eq!(deliveries[0]["rawBody"].as_str().unwrap().as_bytes(), modern.as_slice(), "kept byte for byte");
    let queued = paired.graphql(
        "mutation($c: ID!) { syncNow(connectionId: $c, orderNumbers: [\"#1001\", \"4821\"]) }",
        json!({ "c": paired.connection_id }),
    );
    assert_eq!(queued["data"]["syncNow"], 3, "the two orders numbered #1001 and #4821: {queued}");
    let kinds = paired.log_kinds();
    for kind in ["WEBHOOK_REFUSED", "WEBHOOK_MALFORMED", "WEBHOOK_IGNORED", "ORDER_RECEIVED"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[test]
fn a_shopify_and_a_woocommerce_order_reach_quickbooks_with_the_store_totals() {
    let mut company = Company::us_sample(0);
    let paired = paired(None);
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
    let c = json!({ "c": paired.connection_id });
    for step in [
        "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: TO_QUICKBOOKS, syncInventory: false }) { saved { direction } } }",
        "mutation($c: ID!) { saveOrderSettings(connectionId: $c, input: { transactionType: SALES_RECEIPT, className: null, useStoreNameAsClass: false, termsName: null, numbering: STORE_ORDER_NUMBER, orderNumberPrefix: null, statusFilter: [\"paid\", \"processing\"] }) { saved { transactionType } } }",
        "mutation($c: ID!) { saveCustomerSettings(connectionId: $c, input: { matching: BILLING_COMPANY_ELSE_LAST_FIRST, whenNoMatch: CREATE_CUSTOMER }) { saved { matching } } }",
        "mutation($c: ID!) { saveAccountSettings(connectionId: $c, input: { incomeAccount: \"Web Sales\", receivableAccount: \"Accounts Receivable\", depositAccount: \"Undeposited Funds\" }) { saved { incomeAccount } } }",
        "mutation($c: ID!) { saveSalesTaxSettings(connectionId: $c, input: { mode: LINE_ITEM, taxItem: \"NY State Tax\" }) { saved { mode } } }",
        "mutation($c: ID!) { saveProductSettings(connectionId: $c, input: { matchBy: ITEM_NAME, whenNoMatch: CREATE_NON_INVENTORY_ITEM }) { saved { matchBy } } }",
        "mutation($c: ID!) { saveNotificationSettings(connectionId: $c, input: { emails: \"\", dailyLogEmail: false, notifyCustomerCreated: false, notifyItemCreated: false }) { saved { emails } } }",
        "mutation($c: ID!) { completeSetup(connectionId: $c) { setupCompletedAt } }",
    ] {
        let answer = paired.graphql(step, c.clone());
        assert!(answer.get("errors").is_none(), "{step}: {answer}");
    }
    let shopify = add_store(&paired, "SHOPIFY", "My Shopify");
    let woo = add_store(&paired, "WOOCOMMERCE", "My Woo");
    let modern = fixture("synthetic__shopify_orders_create_modern.json");
    assert_eq!(
        post(&shopify, &[("X-Shopify-Hmac-Sha256", &sign(&modern)), ("X-Shopify-Topic", "orders/create")], modern).0,
        200
    );
    let woo_body = fixture("synthetic__woocommerce_order_created.json");
    assert_eq!(
        post(&woo, &[("X-WC-Webhook-Signature", &sign(&woo_body)), ("X-WC-Webhook-Topic", "order.created")], woo_body)
            .0,
        200
    );
    paired.settle_webhooks();

    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    let statuses = order_numbers(&paired);
    assert!(statuses.iter().all(|(_, s)| s == "SYNCED"), "{statuses:?}");
    let by_ref = |r: &str| {
        company
            .transactions
            .iter()
            .find(|t| t.ref_number == r)
            .unwrap_or_else(|| panic!("{r} in {:?}", company.transactions))
    };
    assert_eq!(by_ref("1001").total_cents, 9619, "Shopify's total: {:?}", by_ref("1001").lines);
    assert_eq!(by_ref("1001").customer, "Acme Widgets LLC");
    assert_eq!(by_ref("4821").total_cents, 10068, "WooCommerce's total: {:?}", by_ref("4821").lines);
    let queued = paired.graphql("mutation($c: ID!) { syncNow(connectionId: $c, from: \"2020-01-01T00:00:00Z\") }", c);
    assert_eq!(queued["data"]["syncNow"], 0, "orders already in QuickBooks are never sent again: {queued}");
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "none");

    // Refunds: Shopify's refunds/create on its own, WooCommerce's on the order's update.
    let refund = json!({
        "id": 8880001, "order_id": 5551234567890u64, "created_at": "2026-11-27T10:00:00-05:00", "note": "Damaged",
        "refund_line_items": [{ "quantity": 1, "subtotal": "20.00", "total_tax": "1.45",
                                "line_item": { "sku": "WIDGET-RED", "title": "Widget" } }],
        "order_adjustments": []
    });
    let body = serde_json::to_vec(&refund).unwrap();
    let headers = |id: &'static str, signature: &str| {
        vec![
            ("X-Shopify-Hmac-Sha256".to_owned(), signature.to_owned()),
            ("X-Shopify-Topic".to_owned(), "refunds/create".to_owned()),
            ("X-Shopify-Webhook-Id".to_owned(), id.to_owned()),
        ]
    };
    let send = |headers: Vec<(String, String)>, body: Vec<u8>| {
        let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        post(&shopify, &pairs, body)
    };
    assert_eq!(send(headers("refund-1", &sign(&body)), body.clone()), (200, "ok".to_owned()));
    assert_eq!(send(headers("refund-2", &sign(&body)), body.clone()).0, 200, "a new delivery of the same refund");
    let mut unknown = refund.clone();
    unknown["order_id"] = json!(42);
    let unknown = serde_json::to_vec(&unknown).unwrap();
    assert_eq!(send(headers("refund-3", &sign(&unknown)), unknown), (200, "ok".to_owned()));
    let mut woo_order: Value = serde_json::from_slice(&fixture("synthetic__woocommerce_order_created.json")).unwrap();
    woo_order["refunds"] = json!([{ "id": 9901, "reason": "Late", "total": "-10.00" }]);
    let woo_body = serde_json::to_vec(&woo_order).unwrap();
    let woo_headers = [("X-WC-Webhook-Signature", sign(&woo_body)), ("X-WC-Webhook-Topic", "order.updated".to_owned())];
    let pairs: Vec<(&str, &str)> = woo_headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(post(&woo, &pairs, woo_body).0, 200);
    paired.settle_webhooks();
    let stores =
        paired.data("query($c: ID!) { stores(connectionId: $c) { name webhookDeliveries(first: 3) { outcome } } }");
    let outcomes: Vec<&Value> = stores["stores"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "My Shopify")
        .flat_map(|s| s["webhookDeliveries"].as_array().unwrap())
        .map(|d| &d["outcome"])
        .collect();
    assert_eq!(outcomes, [&json!("ORDER_UNKNOWN"), &json!("REFUND_STORED"), &json!("REFUND_STORED")], "newest first");

    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    let shopify_memo = by_ref_in(&company, "1001R1");
    assert_eq!(shopify_memo.kind, "CreditMemo");
    assert_eq!(shopify_memo.total_cents, 2145, "{:?}", shopify_memo.lines);
    assert_eq!(shopify_memo.customer, "Acme Widgets LLC");
    let woo_memo = by_ref_in(&company, "4821R1");
    assert_eq!(woo_memo.total_cents, 1000);
    assert_eq!(woo_memo.lines[0].0, "Store Refund", "an amount-only refund: {:?}", woo_memo.lines);
    assert_eq!(company.credit_refunds.len(), 2, "both sales were paid: the money goes back");
    assert!(company.transactions.iter().filter(|t| t.kind == "CreditMemo").count() == 2, "one per refund");
}

fn by_ref_in<'a>(company: &'a Company, reference: &str) -> &'a e2e::quickbooks::Transaction {
    company
        .transactions
        .iter()
        .find(|t| t.ref_number == reference)
        .unwrap_or_else(|| panic!("{reference} in {:?}", company.transactions))
}
