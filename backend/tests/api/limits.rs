//! What the GraphQL endpoint refuses, and how: queries nested too deep or too costly, batches
//! too large (refused whole, before anything runs). Introspection stays open: partners'
//! tools depend on it.

use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_databases};

on_both_databases!(
    introspection_is_allowed_but_deep_or_costly_queries_are_refused,
    a_batch_runs_each_operation_and_a_large_one_is_refused_whole,
    text_holding_a_nul_character_is_refused_clearly_on_every_database,
);

async fn introspection_is_allowed_but_deep_or_costly_queries_are_refused(app: &TestApp) {
    let schema = app.graphql(None, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(schema.data()["__schema"]["queryType"]["name"], "QueryRoot");

    let deep =
        format!("{{ __schema {{ types {{ fields {{ type {}name{} }} }} }} }}", "{ ofType ".repeat(10), " }".repeat(10));
    let refused = app.graphql(None, &deep, json!({})).await;
    assert!(refused.message().contains("nested too deep"), "{}", refused.0);
    assert!(refused.0["data"].is_null());

    let wide = format!(
        "{{ {} }}",
        (0..3_000).map(|i| format!("a{i}: serverInfo {{ version }}")).collect::<Vec<_>>().join(" ")
    );
    let refused = app.graphql(None, &wide, json!({})).await;
    assert!(refused.message().contains("too complex"), "{}", refused.0);
}

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(app.url("/graphql")).json(&body).send().await.expect("POST /graphql");
    (response.status().as_u16(), response.json().await.expect("a JSON answer"))
}

async fn a_batch_runs_each_operation_and_a_large_one_is_refused_whole(app: &TestApp) {
    let sign_up = |i: usize| {
        json!({ "query": "mutation($e: String!) { signUp(email: $e, password: \"a long password\") { merchant { email } } }",
                "variables": { "e": format!("batch{i}@shop.example") } })
    };
    let (status, answers) = post(app, json!([sign_up(1), { "query": "{ serverInfo { version } }" }])).await;
    assert_eq!(status, 200);
    assert_eq!(answers[0]["data"]["signUp"]["merchant"]["email"], "batch1@shop.example", "{answers}");
    assert!(answers[1]["data"]["serverInfo"]["version"].is_string(), "{answers}");

    let too_many: Vec<Value> = (100..111).map(sign_up).collect();
    let (_, refused) = post(app, Value::Array(too_many)).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BATCH_TOO_LARGE", "{refused}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("at most 10"), "{refused}");
    let first = app
        .graphql(
            None,
            "mutation { logIn(email: \"batch100@shop.example\", password: \"a long password\") { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(first.code(), "UNAUTHENTICATED", "nothing of a refused batch ran");
}

/// PostgreSQL cannot store the NUL character in text, SQLite can: refused alike on both,
/// before anything runs, whether it comes in a variable or in the document.
async fn text_holding_a_nul_character_is_refused_clearly_on_every_database(app: &TestApp) {
    let merchant = app.sign_up("nul@shop.example").await;
    let token = merchant.access_token;
    let connection = app.create_connection(&token, "Main").await;
    let add = "mutation($c: ID!, $i: AddStoreInput!) { addStore(connectionId: $c, input: $i) { store { name } } }";
    let input = |name: &str| json!({ "c": connection, "i": { "platform": "SHOPIFY", "name": name } });
    let refused = app.graphql(Some(&token), add, input("Sh\u{0}op")).await;
    assert_eq!(refused.code(), "VALIDATION", "{}", refused.0);
    assert!(refused.message().contains("NUL"), "{}", refused.0);
    assert!(refused.0["data"].is_null(), "nothing ran: {}", refused.0);
    let literal = format!(
        "mutation {{ addStore(connectionId: \"{connection}\", input: {{ platform: SHOPIFY, name: \"Sh\\u0000op\" }}) {{ store {{ name }} }} }}"
    );
    let refused = app.graphql(Some(&token), &literal, json!({})).await;
    assert_eq!(refused.code(), "VALIDATION", "{}", refused.0);

    let stores = app
        .graphql(Some(&token), "query($c: ID!) { stores(connectionId: $c) { name } }", json!({ "c": connection }))
        .await;
    assert_eq!(stores.data()["stores"], json!([]), "no store was added");
    let added = app.graphql(Some(&token), add, input("Shop \u{1F6CD}")).await;
    assert_eq!(added.data()["addStore"]["store"]["name"], "Shop \u{1F6CD}", "other text is kept as sent");
}
