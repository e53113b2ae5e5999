use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;

use crate::helpers::{TEST_JWT_SECRET, TestApp, on_both_databases};

on_both_databases!(
    a_merchant_signs_up_logs_in_and_sees_itself,
    sign_up_refuses_bad_input_with_the_field_named,
    a_refresh_token_works_once_and_log_out_ends_the_session,
    an_expired_or_forged_access_token_is_unauthenticated,
    partner_api_tokens_are_shown_once_work_and_can_be_revoked,
    repeated_wrong_passwords_lock_the_address_for_a_while_and_say_when_to_retry,
);

const ME: &str = "{ me { id email } }";

async fn a_merchant_signs_up_logs_in_and_sees_itself(app: &TestApp) {
    let merchant = app.sign_up("Ann@Shop.example").await;
    let me = app.graphql(Some(&merchant.access_token), ME, json!({})).await;
    assert_eq!(me.data()["me"]["email"], "ann@shop.example");

    let log_in = app
        .graphql(None, "mutation { logIn(email: \"ann@shop.example\", password: \"correct horse battery\") { accessToken merchant { email } } }", json!({}))
        .await;
    let token = log_in.data()["logIn"]["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(app.graphql(Some(&token), ME, json!({})).await.data()["me"]["email"], "ann@shop.example");

    let wrong = app
        .graphql(
            None,
            "mutation { logIn(email: \"ann@shop.example\", password: \"wrong password\") { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(wrong.code(), "UNAUTHENTICATED");
    let unknown = app
        .graphql(
            None,
            "mutation { logIn(email: \"nobody@shop.example\", password: \"correct horse battery\") { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(unknown.code(), "UNAUTHENTICATED");
    assert_eq!(unknown.message(), wrong.message(), "an unknown email must not be told apart from a wrong password");
}

async fn sign_up_refuses_bad_input_with_the_field_named(app: &TestApp) {
    let sign_up = "mutation($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken } }";
    let bad_email = app.graphql(None, sign_up, json!({ "e": "not-an-email", "p": "long enough pw" })).await;
    assert_eq!(bad_email.code(), "VALIDATION");
    assert_eq!(bad_email.fields(), vec!["email"]);
    let short = app.graphql(None, sign_up, json!({ "e": "b@shop.example", "p": "short" })).await;
    assert_eq!(short.code(), "VALIDATION");
    assert_eq!(short.fields(), vec!["password"]);

    app.sign_up("c@shop.example").await;
    let again = app.graphql(None, sign_up, json!({ "e": "C@shop.example", "p": "another password" })).await;
    assert_eq!(again.code(), "CONFLICT");
}

async fn a_refresh_token_works_once_and_log_out_ends_the_session(app: &TestApp) {
    let merchant = app.sign_up("d@shop.example").await;
    let refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }";
    let first = app.graphql(None, refresh, json!({ "t": merchant.refresh_token })).await;
    let renewed = &first.data()["refreshToken"];
    let new_access = renewed["accessToken"].as_str().unwrap();
    let new_refresh = renewed["refreshToken"].as_str().unwrap();
    assert_ne!(new_refresh, merchant.refresh_token);
    assert_eq!(app.graphql(Some(new_access), ME, json!({})).await.data()["me"]["email"], "d@shop.example");

    let replay = app.graphql(None, refresh, json!({ "t": merchant.refresh_token })).await;
    assert_eq!(replay.code(), "UNAUTHENTICATED");

    let log_out =
        app.graphql(None, "mutation($t: String!) { logOut(refreshToken: $t) }", json!({ "t": new_refresh })).await;
    assert_eq!(log_out.data()["logOut"], true);
    assert_eq!(app.graphql(None, refresh, json!({ "t": new_refresh })).await.code(), "UNAUTHENTICATED");
}

async fn an_expired_or_forged_access_token_is_unauthenticated(app: &TestApp) {
    let merchant = app.sign_up("e@shop.example").await;
    let me = app.graphql(Some(&merchant.access_token), "{ me { id } }", json!({})).await;
    let id = me.data()["me"]["id"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now().timestamp();
    let forge = |secret: &str, exp: i64| {
        encode(
            &Header::default(),
            &json!({ "sub": id, "iat": exp - 900, "exp": exp, "typ": "access" }),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };

    // The same claims, still valid, prove the forging matches what the server issues.
    let valid = app.graphql(Some(&forge(TEST_JWT_SECRET, now + 600)), ME, json!({})).await;
    assert_eq!(valid.data()["me"]["email"], "e@shop.example");

    let expired = app.graphql(Some(&forge(TEST_JWT_SECRET, now - 3600)), ME, json!({})).await;
    assert_eq!(expired.code(), "UNAUTHENTICATED");
    assert!(expired.message().contains("expired"), "{}", expired.message());

    let forged = app.graphql(Some(&forge("someone else's secret", now + 600)), ME, json!({})).await;
    assert_eq!(forged.code(), "UNAUTHENTICATED");

    // Signed well, but for an account that does not exist: asked twice, refused twice (an
    // account not found is never kept as known).
    let no_account = encode(
        &Header::default(),
        &json!({ "sub": uuid::Uuid::new_v4().to_string(), "iat": now - 300, "exp": now + 600, "typ": "access" }),
        &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap();
    for _ in 0..2 {
        let refused = app.graphql(Some(&no_account), ME, json!({})).await;
        assert_eq!(refused.code(), "UNAUTHENTICATED");
        assert!(refused.message().contains("no longer exists"), "{}", refused.message());
    }
    assert_eq!(app.graphql(None, ME, json!({})).await.code(), "UNAUTHENTICATED");
}

async fn partner_api_tokens_are_shown_once_work_and_can_be_revoked(app: &TestApp) {
    let merchant = app.sign_up("f@shop.example").await;
    let created = app
        .graphql(
            Some(&merchant.access_token),
            "mutation { createApiToken(name: \"Zapier\") { token apiToken { id name prefix } } }",
            json!({}),
        )
        .await;
    let created = &created.data()["createApiToken"];
    let token = created["token"].as_str().unwrap().to_owned();
    let token_id = created["apiToken"]["id"].as_str().unwrap().to_owned();
    assert!(token.starts_with(created["apiToken"]["prefix"].as_str().unwrap()));

    // The partner scripts with it.
    let connection = app.create_connection(&token, "Main company").await;
    assert!(!connection.is_empty());

    // A partner may not mint or list tokens: that is the merchant's business.
    let mint = app.graphql(Some(&token), "mutation { createApiToken(name: \"more\") { token } }", json!({})).await;
    assert_eq!(mint.code(), "FORBIDDEN");
    assert_eq!(app.graphql(Some(&token), "{ apiTokens { id } }", json!({})).await.code(), "FORBIDDEN");

    let listed = app.graphql(Some(&merchant.access_token), "{ apiTokens { id name revokedAt } }", json!({})).await;
    assert_eq!(listed.data()["apiTokens"][0]["name"], "Zapier");
    assert!(!listed.0.to_string().contains(&token), "a listed token never shows its secret");

    let revoked = app
        .graphql(
            Some(&merchant.access_token),
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({ "id": token_id }),
        )
        .await;
    assert!(revoked.data()["revokeApiToken"]["revokedAt"].is_string());
    assert_eq!(app.graphql(Some(&token), "{ connections { id } }", json!({})).await.code(), "UNAUTHENTICATED");
}

async fn repeated_wrong_passwords_lock_the_address_for_a_while_and_say_when_to_retry(app: &TestApp) {
    app.sign_up("bea@shop.example").await;
    app.sign_up("cy@shop.example").await;
    let log_in = |email: &'static str, password: &'static str| {
        app.graphql(
            None,
            "mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }",
            json!({ "e": email, "p": password }),
        )
    };
    // Failures below the limit are forgotten by a successful log-in.
    for _ in 0..4 {
        assert_eq!(log_in("bea@shop.example", "guess").await.code(), "UNAUTHENTICATED");
    }
    assert!(log_in("bea@shop.example", "correct horse battery").await.data()["logIn"]["accessToken"].is_string());
    for _ in 0..4 {
        assert_eq!(log_in("bea@shop.example", "guess").await.code(), "UNAUTHENTICATED");
    }
    // The fifth failure in a row locks the address: even the right password is refused now.
    assert_eq!(log_in("BEA@shop.example ", "guess").await.code(), "UNAUTHENTICATED", "counted however it is typed");
    let locked = log_in("bea@shop.example", "correct horse battery").await;
    assert_eq!(locked.code(), "TOO_MANY_REQUESTS", "{}", locked.0);
    assert!(locked.message().contains("try again in 15 minute"), "{}", locked.message());
    let wait = locked.0["errors"][0]["extensions"]["retryAfterSeconds"].as_i64().unwrap();
    assert!((800..=900).contains(&wait), "{wait}");
    // Another address is not affected; an unknown one is throttled alike (nothing is told).
    assert!(log_in("cy@shop.example", "correct horse battery").await.data()["logIn"]["accessToken"].is_string());
    for _ in 0..5 {
        log_in("nobody@shop.example", "guess").await;
    }
    assert_eq!(log_in("nobody@shop.example", "guess").await.code(), "TOO_MANY_REQUESTS");
}
