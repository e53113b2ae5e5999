//! Orders the store changes or cancels after they reached QuickBooks, as the Orders step says:
//! flagged, re-posted (deleted and added again), or voided.

use e2e::quickbooks::Company;
use serde_json::{Value, json};

use crate::orders::{import, order, ready_to_sync};
use crate::web_connector::{PASSWORD, Paired};

fn after_sync(paired: &Paired, transaction_type: &str, changed: &str, cancelled: &str) {
    let answer = paired.graphql(
        &format!("mutation($c: ID!) {{ saveOrderSettings(connectionId: $c, input: {{ transactionType: {transaction_type}, className: \"Web\", useStoreNameAsClass: false, termsName: null, numbering: STORE_ORDER_NUMBER, orderNumberPrefix: \"WEB-\", statusFilter: [\"paid\"], whenChangedAfterSync: {changed}, whenCancelledAfterSync: {cancelled} }}) {{ saved {{ whenChangedAfterSync whenCancelledAfterSync }} }} }}"),
        json!({ "c": paired.connection_id }),
    );
    assert_eq!(answer["data"]["saveOrderSettings"]["saved"]["whenChangedAfterSync"], changed, "{answer}");
}

/// The sample order with its shipping raised by two dollars.
fn changed(external_id: &str, number: &str) -> Value {
    let mut order = order(external_id, number, "Hammer");
    order["shippingLines"][0]["price"] = json!("7.95");
    order["total"] = json!("49.53");
    order
}

fn status(paired: &Paired, id: &str) -> String {
    let answer = paired.graphql("query($id: ID!) { order(id: $id) { status } }", json!({ "id": id }));
    answer["data"]["order"]["status"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned()
}

#[test]
fn a_changed_order_is_flagged_by_default_and_reposted_once_when_the_settings_say_so() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "INVOICE_WITH_PAYMENT", &mut company);
    let imported = import(&paired, &store_id, vec![order("9301", "#1301", "Hammer")]);
    let id = imported[0]["order"]["id"].as_str().unwrap().to_owned();
    paired.web_connector(PASSWORD).run(&mut company);

    // Flag: QuickBooks keeps what it has; the merchant is told.
    import(&paired, &store_id, vec![changed("9301", "#1301")]);
    assert_eq!(status(&paired, &id), "SYNCED");
    assert!(paired.log_kinds().iter().any(|k| k == "ORDER_CHANGED"));
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "none");
    assert_eq!(company.transactions[0].total_cents, 4753);

    // Repost: the next change deletes the invoice and its payment and adds the order again.
    after_sync(&paired, "INVOICE_WITH_PAYMENT", "REPOST", "FLAG");
    let mut again = changed("9301", "#1301");
    again["shippingLines"][0]["price"] = json!("8.95");
    again["total"] = json!("50.53");
    import(&paired, &store_id, vec![again.clone()]);
    assert_eq!(status(&paired, &id), "REPOST_REQUESTED");
    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    assert_eq!(company.transactions.len(), 1, "the old invoice is gone, the new one is there once");
    assert_eq!(company.transactions[0].total_cents, 5053);
    assert_eq!(company.transactions[0].ref_number, "WEB-1301");
    assert_eq!(company.payments.len(), 1);
    assert_eq!(company.payments[0].amount_cents, 5053);
    assert_eq!(status(&paired, &id), "SYNCED");
    // The same content again changes nothing.
    import(&paired, &store_id, vec![again]);
    assert_eq!(status(&paired, &id), "SYNCED");
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "none");
}

#[test]
fn an_order_cancelled_after_it_synced_is_voided_keeping_its_number_when_the_settings_say_so() {
    use hmac::{Hmac, Mac};
    let mut company = Company::us_sample(0);
    let (paired, _) = ready_to_sync(None, "SALES_RECEIPT", &mut company);
    after_sync(&paired, "SALES_RECEIPT", "FLAG", "VOID");
    let store = paired.graphql(
        "mutation($c: ID!, $i: AddStoreInput!) { addStore(connectionId: $c, input: $i) { store { webhookUrl } } }",
        json!({ "c": paired.connection_id, "i": { "platform": "SHOPIFY", "name": "Shopify", "signingSecret": "s3cret-for-tests" } }),
    );
    let url = store["data"]["addStore"]["store"]["webhookUrl"].as_str().unwrap_or_else(|| panic!("{store}")).to_owned();
    let body = std::fs::read(
        e2e::server::workspace_root().join("../shared/fixtures/orders/synthetic__shopify_orders_create_modern.json"),
    )
    .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret-for-tests").unwrap();
    mac.update(&body);
    let signature = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes());
    let deliver = |topic: &str, id: &str| {
        reqwest::blocking::Client::new()
            .post(&url)
            .header("X-Shopify-Hmac-Sha256", &signature)
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Webhook-Id", id)
            .body(body.clone())
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(deliver("orders/create", "c-1"), 200);
    paired.settle_webhooks();
    paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(company.transactions.len(), 1);
    assert!(!company.transactions[0].voided);

    assert_eq!(deliver("orders/cancelled", "x-1"), 200);
    paired.settle_webhooks();
    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress, vec![100], "one round trip voids it: {run:?}");
    let receipt = &company.transactions[0];
    assert!(receipt.voided, "voided, not deleted: {receipt:?}");
    assert_eq!((receipt.ref_number.as_str(), receipt.total_cents), ("WEB-1001", 0));
    let orders =
        paired.data("query($c: ID!) { orders(connectionId: $c) { edges { node { status quickbooksTxnId } } } }");
    assert_eq!(orders["orders"]["edges"][0]["node"]["status"], "VOIDED");
    assert!(orders["orders"]["edges"][0]["node"]["quickbooksTxnId"].is_string(), "still linked to the voided receipt");
    assert!(paired.log_kinds().iter().any(|k| k == "ORDER_VOIDED"));
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "none");
}
