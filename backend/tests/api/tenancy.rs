use serde_json::json;

use crate::helpers::{TestApp, on_both_databases};

on_both_databases!(no_token_of_one_merchant_reaches_another_merchants_data);

/// Every operation that takes an id of merchant A, called with merchant B's session and with
/// B's partner token, must answer NOT_FOUND and leave A's data untouched.
async fn no_token_of_one_merchant_reaches_another_merchants_data(app: &TestApp) {
    let a = app.sign_up("a@tenant.example").await;
    let b = app.sign_up("b@tenant.example").await;
    let a_token = Some(a.access_token.as_str());
    let c = app.create_connection(&a.access_token, "A's company").await;
    app.read_company_lists(&c, "US", 0).await;
    let minted =
        app.graphql(a_token, "mutation { createApiToken(name: \"A's script\") { apiToken { id } } }", json!({})).await;
    let a_api_token_id = minted.data()["createApiToken"]["apiToken"]["id"].as_str().unwrap().to_owned();
    let imported = app
        .graphql(a_token, "mutation($c: ID!) { importSalesTaxMappings(connectionId: $c, csv: \"City,Region,Country,TaxCode\\n,NY,US,Tax\\n\") { id } }", json!({ "c": c }))
        .await;
    let a_mapping_id = imported.data()["importSalesTaxMappings"][0]["id"].as_str().unwrap().to_owned();

    // A saves a step first, so the server already knows whose the connection is when B tries.
    let saved = app
        .graphql(a_token, "mutation($c: ID!) { saveNotificationSettings(connectionId: $c, input: { emails: \"a@tenant.example\", dailyLogEmail: false, notifyCustomerCreated: false, notifyItemCreated: false }) { saved { emails } } }", json!({ "c": c }))
        .await;
    assert_eq!(saved.data()["saveNotificationSettings"]["saved"]["emails"], "a@tenant.example");

    let b_partner = app
        .graphql(Some(&b.access_token), "mutation { createApiToken(name: \"B's script\") { token } }", json!({}))
        .await;
    let b_partner = b_partner.data()["createApiToken"]["token"].as_str().unwrap().to_owned();

    let vars = json!({ "c": c });
    let attempts: Vec<(&str, serde_json::Value)> = vec![
        ("query($c: ID!) { connection(id: $c) { id } }", vars.clone()),
        ("query($c: ID!) { wizard(connectionId: $c) { progressPercent } }", vars.clone()),
        ("query($c: ID!) { settings(connectionId: $c) { orders { className } } }", vars.clone()),
        ("query($c: ID!) { quickbooksLists(connectionId: $c) { read } }", vars.clone()),
        ("query($c: ID!) { salesTaxMappings(connectionId: $c) { id } }", vars.clone()),
        ("query($c: ID!) { transactionLog(connectionId: $c) { edges { node { id } } } }", vars.clone()),
        (
            "mutation($c: ID!) { setWebConnectorPassword(connectionId: $c, password: \"hijacked pw\") { id } }",
            vars.clone(),
        ),
        ("mutation($c: ID!) { setWebConnectorSchedule(connectionId: $c, runEveryMinutes: 5) { id } }", vars.clone()),
        ("mutation($c: ID!) { refreshQuickbooksLists(connectionId: $c) { id } }", vars.clone()),
        (
            "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: FROM_QUICKBOOKS, syncInventory: true }) { saved { direction } } }",
            vars.clone(),
        ),
        (
            "mutation($c: ID!) { saveOrderSettings(connectionId: $c, input: { transactionType: ESTIMATE, useStoreNameAsClass: false, numbering: QUICKBOOKS_NEXT_NUMBER, statusFilter: [] }) { saved { transactionType } } }",
            vars.clone(),
        ),
        (
            "mutation($c: ID!) { saveCustomerSettings(connectionId: $c, input: { matching: FIRST_LAST, whenNoMatch: FAIL_ORDER }) { saved { matching } } }",
            vars.clone(),
        ),
        (
            "mutation($c: ID!) { saveAccountSettings(connectionId: $c, input: { incomeAccount: \"Sales\", receivableAccount: \"Accounts Receivable\", depositAccount: \"Checking\" }) { saved { incomeAccount } } }",
            vars.clone(),
        ),
        (
            "mutation($c: ID!) { saveSalesTaxSettings(connectionId: $c, input: { mode: TAX_CODE_MAPPING }) { saved { mode } } }",
            vars.clone(),
        ),
        (
            "mutation($c: ID!) { saveProductSettings(connectionId: $c, input: { matchBy: ITEM_NAME, whenNoMatch: FLAG_ORDER }) { saved { matchBy } } }",
            vars.clone(),
        ),
        (
            "mutation($c: ID!) { saveNotificationSettings(connectionId: $c, input: { emails: \"b@tenant.example\", dailyLogEmail: true, notifyCustomerCreated: true, notifyItemCreated: true }) { saved { emails } } }",
            vars.clone(),
        ),
        ("mutation($c: ID!) { completeSetup(connectionId: $c) { progressPercent } }", vars.clone()),
        (
            "mutation($c: ID!) { addSalesTaxMapping(connectionId: $c, input: { country: \"US\", region: \"NJ\", taxCode: \"Tax\" }) { id } }",
            vars.clone(),
        ),
        (
            "mutation($c: ID!) { importSalesTaxMappings(connectionId: $c, csv: \"City,Region,Country,TaxCode\\n,NJ,US,Tax\\n\", replace: true) { id } }",
            vars.clone(),
        ),
        ("mutation($id: ID!) { removeSalesTaxMapping(id: $id) { id } }", json!({ "id": a_mapping_id })),
        ("query($c: ID!) { stores(connectionId: $c) { id } }", vars.clone()),
        (
            "mutation($c: ID!) { addStore(connectionId: $c, input: { platform: SHOPIFY, name: \"B's\" }) { signingSecret } }",
            vars.clone(),
        ),
        ("query($c: ID!) { orders(connectionId: $c) { edges { node { id } } } }", vars.clone()),
        ("query($c: ID!) { unmatchedSkus(connectionId: $c) { sku } }", vars.clone()),
        ("query($c: ID!) { inventoryLevels(connectionId: $c) { sku } }", vars.clone()),
        ("query($c: ID!) { quickbooksSales(connectionId: $c) { txnId } }", vars.clone()),
        ("mutation($c: ID!) { syncNow(connectionId: $c) }", vars.clone()),
        ("query($c: ID!) { orderStats(connectionId: $c) { days { date } } }", vars.clone()),
        ("mutation($c: ID!) { mapSku(connectionId: $c, sku: \"X\", item: \"Tools\") }", vars.clone()),
    ];
    for token in [b.access_token.as_str(), b_partner.as_str()] {
        for (query, variables) in &attempts {
            let answer = app.graphql(Some(token), query, variables.clone()).await;
            assert_eq!(answer.code(), "NOT_FOUND", "{query} answered {}", answer.0);
        }
    }
    let revoke = app
        .graphql(
            Some(&b.access_token),
            "mutation($id: ID!) { revokeApiToken(id: $id) { id } }",
            json!({ "id": a_api_token_id }),
        )
        .await;
    assert_eq!(revoke.code(), "NOT_FOUND");

    // B sees only its own (none), and A's data is as A left it.
    let b_list = app.graphql(Some(&b.access_token), "{ connections { id } apiTokens { id } }", json!({})).await;
    assert_eq!(b_list.data()["connections"], json!([]));
    assert_eq!(b_list.data()["apiTokens"].as_array().unwrap().len(), 1);
    let a_view = app
        .graphql(a_token, "query($c: ID!) { connection(id: $c) { hasWebConnectorPassword runEveryMinutes } wizard(connectionId: $c) { progressPercent } settings(connectionId: $c) { notifications { emails } } salesTaxMappings(connectionId: $c) { region } apiTokens { revokedAt } }", vars.clone())
        .await;
    let data = a_view.data();
    assert_eq!(data["connection"]["hasWebConnectorPassword"], false);
    assert_eq!(data["connection"]["runEveryMinutes"], 15);
    assert_eq!(data["wizard"]["progressPercent"], 14, "A's one saved step of seven");
    assert_eq!(data["settings"]["notifications"]["emails"], "a@tenant.example");
    assert_eq!(data["salesTaxMappings"], json!([{ "region": "NY" }]));
    assert!(data["apiTokens"][0]["revokedAt"].is_null());

    // Nor does a subscription to A's log open for B.
    let mut subscription = app
        .subscribe(
            Some(&b.access_token),
            "subscription($c: ID!) { transactionLogEntries(connectionId: $c) { message } }",
            vars.clone(),
        )
        .await;
    let refused = subscription.next_message().await;
    assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND", "{refused}");
    assert!(refused["payload"]["data"].is_null());
    assert_eq!(subscription.next_message().await["type"], "complete");
}
