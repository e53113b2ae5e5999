//! What the GraphQL endpoint refuses, and how: queries nested too deep or too costly, batches
//! too large (refused whole, before anything runs). Introspection stays open: partners'
//! tools depend on it.

use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_databases};

on_both_databases!(
    introspection_is_allowed_but_deep_or_costly_queries_are_refused,
    a_batch_runs_each_operation_and_a_large_one_is_refused_whole,
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
