use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, on_both_databases};

on_both_databases!(
    the_log_pages_newest_first_and_filters,
    a_subscriber_sees_each_new_entry_of_its_connection_only,
    a_subscriber_given_an_entry_gets_what_followed_it_first_then_new_entries,
    a_subscription_without_a_token_is_unauthenticated,
);

const PAGE: &str = "query($c: ID!, $after: String, $f: TransactionLogFilter) { transactionLog(connectionId: $c, first: 3, after: $after, filter: $f) { pageInfo { hasNextPage endCursor } edges { cursor node { id kind level message } } } }";

async fn the_log_pages_newest_first_and_filters(app: &TestApp) {
    let m = app.sign_up("log@shop.example").await;
    let token = Some(m.access_token.as_str());
    let c = app.create_connection(&m.access_token, "Main").await;
    for minutes in [5, 10, 20, 30] {
        app.graphql(token, "mutation($c: ID!, $m: Int!) { setWebConnectorPassword(connectionId: $c, password: \"pairing pw 1\") { id } setWebConnectorSchedule(connectionId: $c, runEveryMinutes: $m) { id } }", json!({ "c": c, "m": minutes }))
            .await
            .data();
    }
    // 1 "created" + 4 "password set" entries.
    let first = app.graphql(token, PAGE, json!({ "c": c })).await;
    let page = &first.data()["transactionLog"];
    let ids: Vec<i64> =
        page["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().parse().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);

    let second = app.graphql(token, PAGE, json!({ "c": c, "after": page["pageInfo"]["endCursor"] })).await;
    let rest = second.data()["transactionLog"]["edges"].as_array().unwrap().clone();
    assert_eq!(rest.len(), 2);
    assert_eq!(second.data()["transactionLog"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest[1]["node"]["kind"], "CONNECTION_CREATED");

    let filtered = app.graphql(token, PAGE, json!({ "c": c, "f": { "text": "CONNECTION \"MAIN\"" } })).await;
    let edges = filtered.data()["transactionLog"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges.len(), 1, "text search ignores case");
    let errors_only = app.graphql(token, PAGE, json!({ "c": c, "f": { "levels": ["ERROR"] } })).await;
    assert_eq!(errors_only.data()["transactionLog"]["edges"], json!([]));
    let future = app.graphql(token, PAGE, json!({ "c": c, "f": { "from": "2999-01-01T00:00:00Z" } })).await;
    assert_eq!(future.data()["transactionLog"]["edges"], json!([]));

    let bad_cursor = app.graphql(token, PAGE, json!({ "c": c, "after": "not-a-cursor" })).await;
    assert_eq!(bad_cursor.code(), "VALIDATION");
}

async fn a_subscriber_sees_each_new_entry_of_its_connection_only(app: &TestApp) {
    let m = app.sign_up("live@shop.example").await;
    let token = Some(m.access_token.as_str());
    let watched = app.create_connection(&m.access_token, "Watched").await;
    let other = app.create_connection(&m.access_token, "Other").await;
    let mut subscription = app
        .subscribe(
            token,
            &format!("subscription($c: ID!) {{ transactionLogEntries(connectionId: $c) {{ {ENTRY} }} }}"),
            json!({ "c": watched }),
        )
        .await;
    // Nothing already in the log is replayed.
    assert!(subscription.is_quiet_for(Duration::from_millis(300)).await);

    let save = "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: TO_QUICKBOOKS, syncInventory: true }) { saved { direction } } }";
    app.graphql(token, save, json!({ "c": other })).await.data();
    app.graphql(token, save, json!({ "c": watched })).await.data();

    let message = subscription.next_message().await;
    assert_eq!(message["type"], "next", "{message}");
    let entry = &message["payload"]["data"]["transactionLogEntries"];
    assert_eq!(entry["connectionId"], watched.as_str());
    assert_eq!(entry["kind"], "SETTINGS_SAVED");
    assert_eq!(entry["message"], "Sync Direction settings saved (step 1 of 7)");
    assert_eq!(entry["details"]["syncInventory"], true);
    assert!(
        subscription.is_quiet_for(Duration::from_millis(300)).await,
        "the other connection's entry is not delivered"
    );

    // What a subscriber was sent is what the log holds: its id, its time to the microsecond.
    let listed = app
        .graphql(
            token,
            &format!(
                "query($c: ID!) {{ transactionLog(connectionId: $c, first: 1) {{ edges {{ node {{ {ENTRY} }} }} }} }}"
            ),
            json!({ "c": watched }),
        )
        .await;
    assert_eq!(&listed.data()["transactionLog"]["edges"][0]["node"], entry);
}

async fn a_subscriber_given_an_entry_gets_what_followed_it_first_then_new_entries(app: &TestApp) {
    let m = app.sign_up("resume@shop.example").await;
    let token = Some(m.access_token.as_str());
    let c = app.create_connection(&m.access_token, "Main").await;
    let known = newest(app, token, &c, 1).await[0]["id"].clone();
    // Recorded after the client listed the log and before it subscribed.
    let refresh = "mutation($c: ID!) { refreshQuickbooksLists(connectionId: $c) { id } }";
    let save = "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: TO_QUICKBOOKS, syncInventory: false }) { saved { direction } } }";
    app.graphql(token, refresh, json!({ "c": c })).await.data();
    app.graphql(token, save, json!({ "c": c })).await.data();
    let live =
        "subscription($c: ID!, $after: ID) { transactionLogEntries(connectionId: $c, after: $after) { id kind } }";
    let mut subscription = app.subscribe(token, live, json!({ "c": c, "after": known })).await;
    let mut sent = Vec::new();
    for _ in 0..2 {
        let message = subscription.next_message().await;
        sent.push(message["payload"]["data"]["transactionLogEntries"].clone());
    }
    app.graphql(token, refresh, json!({ "c": c })).await.data();
    let message = subscription.next_message().await;
    sent.push(message["payload"]["data"]["transactionLogEntries"].clone());
    assert!(subscription.is_quiet_for(Duration::from_millis(300)).await, "each entry once");
    // Exactly what the log holds after the known entry, oldest first.
    assert_eq!(sent, newest(app, token, &c, 3).await);
    assert_eq!(
        sent.iter().map(|e| e["kind"].as_str().unwrap()).collect::<Vec<_>>(),
        ["LISTS_REFRESH_REQUESTED", "SETTINGS_SAVED", "LISTS_REFRESH_REQUESTED"]
    );

    let mut refused = app.subscribe(token, live, json!({ "c": c, "after": "the start" })).await;
    let refused = refused.next_message().await;
    assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "VALIDATION", "{refused}");
}

/// The connection's `count` newest entries (id and kind), oldest first.
async fn newest(app: &TestApp, token: Option<&str>, connection: &str, count: i32) -> Vec<serde_json::Value> {
    let query =
        "query($c: ID!, $n: Int!) { transactionLog(connectionId: $c, first: $n) { edges { node { id kind } } } }";
    let listed = app.graphql(token, query, json!({ "c": connection, "n": count })).await;
    let edges = listed.data()["transactionLog"]["edges"].as_array().unwrap().clone();
    edges.iter().rev().map(|e| e["node"].clone()).collect()
}

const ENTRY: &str = "id connectionId level kind message orderNumber details createdAt";

async fn a_subscription_without_a_token_is_unauthenticated(app: &TestApp) {
    let m = app.sign_up("anon@shop.example").await;
    let c = app.create_connection(&m.access_token, "Main").await;
    let mut subscription = app
        .subscribe(
            None,
            "subscription($c: ID!) { transactionLogEntries(connectionId: $c) { message } }",
            json!({ "c": c }),
        )
        .await;
    let refused = subscription.next_message().await;
    assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{refused}");
    assert!(refused["payload"]["data"].is_null());
}
