use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_databases};

on_both_databases!(
    a_partner_drives_the_whole_wizard_with_an_api_token,
    steps_naming_quickbooks_objects_say_plainly_that_lists_are_not_read,
    every_invalid_choice_is_a_validation_error_naming_its_field,
    complete_setup_names_every_missing_step_and_rule,
    field_matching_is_refused_for_large_item_lists,
    a_canadian_company_uses_tax_codes,
    the_sales_tax_mapping_table_is_edited_and_imported,
);

const SAVE_ORDERS: &str = "mutation($c: ID!, $i: OrderSettingsInput!) { saveOrderSettings(connectionId: $c, input: $i) { saved { className termsName statusFilter orderNumberPrefix } wizard { progressPercent currentStep } } }";
const SAVE_ACCOUNTS: &str = "mutation($c: ID!, $i: AccountSettingsInput!) { saveAccountSettings(connectionId: $c, input: $i) { saved { incomeAccount depositAccount discountAccount } wizard { progressPercent } } }";
const SAVE_TAX: &str = "mutation($c: ID!, $i: SalesTaxSettingsInput!) { saveSalesTaxSettings(connectionId: $c, input: $i) { saved { mode taxItem taxableCode nonTaxableCode } } }";
const SAVE_PRODUCTS: &str = "mutation($c: ID!, $i: ProductSettingsInput!) { saveProductSettings(connectionId: $c, input: $i) { saved { matchBy customFieldName whenNoMatch } } }";

fn orders_input() -> Value {
    json!({
        "transactionType": "INVOICE_WITH_PAYMENT",
        "className": "web",
        "useStoreNameAsClass": false,
        "termsName": "net 30",
        "numbering": "STORE_ORDER_NUMBER",
        "orderNumberPrefix": "WEB-",
        "statusFilter": ["Paid", "fulfilled,paid"],
    })
}

fn accounts_input() -> Value {
    json!({
        "incomeAccount": "Online Sales",
        "assetAccount": "Inventory Asset",
        "cogsAccount": "Cost of Goods Sold",
        "receivableAccount": "Accounts Receivable",
        "discountAccount": "Discounts Given",
        "depositAccount": "undeposited funds",
    })
}

async fn a_partner_drives_the_whole_wizard_with_an_api_token(app: &TestApp) {
    let merchant = app.sign_up("wizard@shop.example").await;
    let minted = app
        .graphql(Some(&merchant.access_token), "mutation { createApiToken(name: \"script\") { token } }", json!({}))
        .await;
    let partner_token = minted.data()["createApiToken"]["token"].as_str().unwrap().to_owned();
    let token = Some(partner_token.as_str());
    let c = app.create_connection(&partner_token, "Main company").await;
    app.read_company_lists(&c, "US", 0).await;

    let step1 = app
        .graphql(token, "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: TO_QUICKBOOKS, syncInventory: true }) { saved { direction syncInventory } wizard { currentStep progressPercent } } }", json!({ "c": c }))
        .await;
    assert_eq!(step1.data()["saveSyncDirection"]["wizard"]["currentStep"], "ORDERS");
    assert_eq!(step1.data()["saveSyncDirection"]["wizard"]["progressPercent"], 14);

    let step2 = app.graphql(token, SAVE_ORDERS, json!({ "c": c, "i": orders_input() })).await;
    let saved = &step2.data()["saveOrderSettings"]["saved"];
    assert_eq!(saved["className"], "Web", "names come back spelled as QuickBooks spells them");
    assert_eq!(saved["termsName"], "Net 30");
    assert_eq!(saved["statusFilter"], json!(["paid", "fulfilled"]));

    let step3 = app
        .graphql(token, "mutation($c: ID!) { saveCustomerSettings(connectionId: $c, input: { matching: LAST_FIRST_EMAIL, whenNoMatch: CREATE_CUSTOMER }) { saved { matching singleCustomerName } } }", json!({ "c": c }))
        .await;
    assert_eq!(step3.data()["saveCustomerSettings"]["saved"]["singleCustomerName"], "Web Store");

    let step4 = app.graphql(token, SAVE_ACCOUNTS, json!({ "c": c, "i": accounts_input() })).await;
    let saved = &step4.data()["saveAccountSettings"]["saved"];
    assert_eq!(saved["incomeAccount"], "Sales:Online Sales", "a sub-account is found by its own name");
    assert_eq!(saved["depositAccount"], "Undeposited Funds");

    let step5 =
        app.graphql(token, SAVE_TAX, json!({ "c": c, "i": { "mode": "LINE_ITEM", "taxItem": "nyc combined" } })).await;
    let saved = &step5.data()["saveSalesTaxSettings"]["saved"];
    assert_eq!(saved["taxItem"], "NYC Combined");
    assert_eq!(saved["taxableCode"], "Tax");
    assert_eq!(saved["nonTaxableCode"], "Non");

    let step6 = app
        .graphql(
            token,
            SAVE_PRODUCTS,
            json!({ "c": c, "i": { "matchBy": "ITEM_NAME", "whenNoMatch": "CREATE_INVENTORY_ITEM" } }),
        )
        .await;
    assert_eq!(step6.data()["saveProductSettings"]["saved"]["whenNoMatch"], "CREATE_INVENTORY_ITEM");

    let step7 = app
        .graphql(token, "mutation($c: ID!) { saveNotificationSettings(connectionId: $c, input: { emails: \"Books@Shop.example, owner@shop.example\", dailyLogEmail: true, notifyCustomerCreated: true, notifyItemCreated: false }) { saved { emails } wizard { progressPercent currentStep } } }", json!({ "c": c }))
        .await;
    let payload = &step7.data()["saveNotificationSettings"];
    assert_eq!(payload["saved"]["emails"], "books@shop.example, owner@shop.example");
    assert_eq!(payload["wizard"]["progressPercent"], 100);
    assert!(payload["wizard"]["currentStep"].is_null());

    let done = app
        .graphql(token, "mutation($c: ID!) { completeSetup(connectionId: $c) { setupCompletedAt } }", json!({ "c": c }))
        .await;
    assert!(done.data()["completeSetup"]["setupCompletedAt"].is_string());

    // Nothing is locked in: a step changes after set-up, and the change is what is read back.
    let changed = app
        .graphql(token, "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: TO_QUICKBOOKS, syncInventory: false }) { saved { syncInventory } } }", json!({ "c": c }))
        .await;
    assert_eq!(changed.data()["saveSyncDirection"]["saved"]["syncInventory"], false);
    let settings = app
        .graphql(token, "query($c: ID!) { settings(connectionId: $c) { syncDirection { syncInventory } orders { orderNumberPrefix } accounts { cogsAccount } } wizard(connectionId: $c) { setupCompletedAt steps { step saved summary faq { question } } } }", json!({ "c": c }))
        .await;
    let data = settings.data();
    assert_eq!(data["settings"]["syncDirection"]["syncInventory"], false);
    assert_eq!(data["settings"]["orders"]["orderNumberPrefix"], "WEB-");
    assert_eq!(data["settings"]["accounts"]["cogsAccount"], "Cost of Goods Sold");
    let steps = data["wizard"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    assert!(steps.iter().all(|s| s["saved"] == true && !s["faq"].as_array().unwrap().is_empty()));
    let orders_summary = steps[1]["summary"].as_str().unwrap();
    assert!(orders_summary.contains("WEB-1001"), "{orders_summary}");
    let customers_summary = steps[2]["summary"].as_str().unwrap();
    assert!(customers_summary.contains("Smith, Ann, ann@example.com"), "{customers_summary}");

    // Every save was logged.
    let log = app
        .graphql(token, "query($c: ID!) { transactionLog(connectionId: $c, filter: { text: \"settings saved\" }, first: 50) { edges { node { kind } } } }", json!({ "c": c }))
        .await;
    assert_eq!(log.data()["transactionLog"]["edges"].as_array().unwrap().len(), 8);
}

async fn steps_naming_quickbooks_objects_say_plainly_that_lists_are_not_read(app: &TestApp) {
    let merchant = app.sign_up("fresh@shop.example").await;
    let token = Some(merchant.access_token.as_str());
    let c = app.create_connection(&merchant.access_token, "New company").await;

    let wizard = app
        .graphql(token, "query($c: ID!) { wizard(connectionId: $c) { currentStep quickbooksListsReadAt quickbooksListsMessage steps { step needsQuickbooksLists } } quickbooksLists(connectionId: $c) { read } }", json!({ "c": c }))
        .await;
    let data = wizard.data();
    assert_eq!(data["wizard"]["currentStep"], "SYNC_DIRECTION");
    assert!(data["wizard"]["quickbooksListsMessage"].as_str().unwrap().contains("have not been read yet"));
    assert_eq!(data["quickbooksLists"]["read"], false);

    let accounts = app.graphql(token, SAVE_ACCOUNTS, json!({ "c": c, "i": accounts_input() })).await;
    assert_eq!(accounts.code(), "VALIDATION");
    assert!(accounts.field_message("input.incomeAccount").contains("have not been read yet"));

    // A step that names nothing in QuickBooks can be saved before the lists are read.
    let plain_orders = json!({ "transactionType": "SALES_RECEIPT", "className": null, "useStoreNameAsClass": false, "termsName": null, "numbering": "QUICKBOOKS_NEXT_NUMBER", "orderNumberPrefix": null, "statusFilter": [] });
    app.graphql(token, SAVE_ORDERS, json!({ "c": c, "i": plain_orders })).await.data();

    // Asking for a refresh is recorded for the next Web Connector run.
    let refresh = app
        .graphql(
            token,
            "mutation($c: ID!) { refreshQuickbooksLists(connectionId: $c) { listsRefreshRequestedAt } }",
            json!({ "c": c }),
        )
        .await;
    assert!(refresh.data()["refreshQuickbooksLists"]["listsRefreshRequestedAt"].is_string());

    app.read_company_lists(&c, "US", 0).await;
    let lists = app
        .graphql(token, "query($c: ID!) { quickbooksLists(connectionId: $c) { read status { kind entryCount } entries(kind: ACCOUNT, accountTypes: [BANK, OTHER_CURRENT_ASSET]) { edges { node { fullName accountType } } } } wizard(connectionId: $c) { quickbooksListsMessage accountSuggestions { depositAccount assetAccount receivableAccount incomeAccount } } }", json!({ "c": c }))
        .await;
    let data = lists.data();
    let lists = &data["quickbooksLists"];
    assert_eq!(lists["read"], true);
    let names: Vec<&str> =
        lists["entries"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["fullName"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Checking", "Inventory Asset", "Undeposited Funds"]);
    assert!(lists["status"].as_array().unwrap().iter().any(|s| s["kind"] == "ITEM" && s["entryCount"] == 3));
    assert!(data["wizard"]["quickbooksListsMessage"].is_null());
    let suggested = &data["wizard"]["accountSuggestions"];
    assert_eq!(suggested["depositAccount"], "Undeposited Funds");
    assert_eq!(suggested["assetAccount"], "Inventory Asset");
    assert_eq!(suggested["receivableAccount"], "Accounts Receivable");
    assert_eq!(suggested["incomeAccount"], "Sales");

    // Long lists page by cursor, in name order, on either database.
    let page = "query($c: ID!, $after: String) { quickbooksLists(connectionId: $c) { entries(kind: ITEM, first: 2, after: $after) { pageInfo { hasNextPage endCursor } edges { node { fullName } } } } }";
    let first = app.graphql(token, page, json!({ "c": c })).await;
    let first = &first.data()["quickbooksLists"]["entries"];
    assert_eq!(first["edges"][1]["node"]["fullName"], "Tools");
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second = app.graphql(token, page, json!({ "c": c, "after": first["pageInfo"]["endCursor"] })).await;
    let second = &second.data()["quickbooksLists"]["entries"];
    assert_eq!(second["edges"].as_array().unwrap().len(), 1);
    assert_eq!(second["edges"][0]["node"]["fullName"], "Tools:Hammer");
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
}

async fn every_invalid_choice_is_a_validation_error_naming_its_field(app: &TestApp) {
    let merchant = app.sign_up("strict@shop.example").await;
    let token = Some(merchant.access_token.as_str());
    let c = app.create_connection(&merchant.access_token, "Main").await;
    app.read_company_lists(&c, "US", 0).await;

    let mut wrong_types = accounts_input();
    wrong_types["incomeAccount"] = json!("Office Supplies");
    wrong_types["depositAccount"] = json!("Sales");
    wrong_types["receivableAccount"] = json!("No Such Account");
    let answer = app.graphql(token, SAVE_ACCOUNTS, json!({ "c": c, "i": wrong_types })).await;
    assert_eq!(answer.code(), "VALIDATION");
    assert_eq!(answer.fields(), vec!["input.incomeAccount", "input.receivableAccount", "input.depositAccount"]);
    assert!(answer.field_message("input.incomeAccount").contains("Expense account; choose a Income account"));
    assert!(answer.field_message("input.depositAccount").contains("Bank or Other Current Asset"));
    assert!(answer.field_message("input.receivableAccount").contains("no accounts named \"No Such Account\""));

    let mut orders = orders_input();
    orders["transactionType"] = json!("SALES_RECEIPT");
    orders["className"] = json!("Outlet");
    orders["orderNumberPrefix"] = json!("TOOLONG-");
    orders["statusFilter"] = json!(["paid", "shipped-ish"]);
    let answer = app.graphql(token, SAVE_ORDERS, json!({ "c": c, "i": orders })).await;
    assert_eq!(answer.code(), "VALIDATION");
    assert_eq!(answer.fields(), vec!["input.termsName", "input.orderNumberPrefix", "input.statusFilter"]);
    assert!(answer.field_message("input.termsName").contains("no terms"));
    assert!(answer.field_message("input.orderNumberPrefix").contains("at most 6"));

    let mut both_classes = orders_input();
    both_classes["useStoreNameAsClass"] = json!(true);
    let answer = app.graphql(token, SAVE_ORDERS, json!({ "c": c, "i": both_classes })).await;
    assert_eq!(answer.fields(), vec!["input.className"]);

    let answer = app.graphql(token, SAVE_TAX, json!({ "c": c, "i": { "mode": "LINE_ITEM", "taxItem": "Tax" } })).await;
    assert!(answer.field_message("input.taxItem").contains("no sales tax items or sales tax groups named \"Tax\""));

    let answer = app
        .graphql(token, "mutation($c: ID!) { saveNotificationSettings(connectionId: $c, input: { emails: \"ok@shop.example, broken@\", dailyLogEmail: true, notifyCustomerCreated: false, notifyItemCreated: false }) { saved { emails } } }", json!({ "c": c }))
        .await;
    assert_eq!(answer.fields(), vec!["input.emails"]);
    assert!(answer.message().contains("broken@"));

    let answer = app
        .graphql(token, "mutation($c: ID!) { saveCustomerSettings(connectionId: $c, input: { matching: SINGLE_CUSTOMER, singleCustomerName: \"Online:Store\", whenNoMatch: CREATE_CUSTOMER }) { saved { matching } } }", json!({ "c": c }))
        .await;
    assert_eq!(answer.fields(), vec!["input.singleCustomerName"]);

    let settings = app
        .graphql(
            token,
            "query($c: ID!) { settings(connectionId: $c) { orders { className } accounts { incomeAccount } } }",
            json!({ "c": c }),
        )
        .await;
    assert!(settings.data()["settings"]["orders"].is_null(), "a refused step saves nothing");
    assert!(settings.data()["settings"]["accounts"].is_null());
}

async fn complete_setup_names_every_missing_step_and_rule(app: &TestApp) {
    let merchant = app.sign_up("incomplete@shop.example").await;
    let token = Some(merchant.access_token.as_str());
    let c = app.create_connection(&merchant.access_token, "Main").await;
    app.read_company_lists(&c, "US", 0).await;
    let complete = "mutation($c: ID!) { completeSetup(connectionId: $c) { setupCompletedAt } }";

    let answer = app.graphql(token, complete, json!({ "c": c })).await;
    assert_eq!(answer.code(), "VALIDATION");
    assert_eq!(answer.fields().len(), 7);

    app.graphql(token, "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: TO_QUICKBOOKS, syncInventory: false }) { saved { direction } } }", json!({ "c": c })).await.data();
    app.graphql(token, SAVE_ORDERS, json!({ "c": c, "i": orders_input() })).await.data();
    app.graphql(token, "mutation($c: ID!) { saveCustomerSettings(connectionId: $c, input: { matching: FIRST_LAST, whenNoMatch: CREATE_CUSTOMER }) { saved { matching } } }", json!({ "c": c })).await.data();
    let mut no_inventory_accounts = accounts_input();
    no_inventory_accounts["assetAccount"] = json!(null);
    app.graphql(token, SAVE_ACCOUNTS, json!({ "c": c, "i": no_inventory_accounts })).await.data();
    app.graphql(token, SAVE_TAX, json!({ "c": c, "i": { "mode": "TAX_CODE_MAPPING" } })).await.data();
    app.graphql(
        token,
        SAVE_PRODUCTS,
        json!({ "c": c, "i": { "matchBy": "ITEM_NAME", "whenNoMatch": "CREATE_INVENTORY_ITEM" } }),
    )
    .await
    .data();

    let answer = app.graphql(token, complete, json!({ "c": c })).await;
    assert_eq!(answer.fields(), vec!["steps.NOTIFICATIONS", "steps.ACCOUNTS", "steps.SALES_TAX"]);
    assert!(answer.field_message("steps.ACCOUNTS").contains("inventory asset account"));
    assert!(answer.field_message("steps.SALES_TAX").contains("at least one tax code mapping"));
}

async fn field_matching_is_refused_for_large_item_lists(app: &TestApp) {
    let merchant = app.sign_up("big@shop.example").await;
    let token = Some(merchant.access_token.as_str());
    let small = app.create_connection(&merchant.access_token, "Small").await;
    app.read_company_lists(&small, "US", 0).await;
    let by_mpn =
        json!({ "matchBy": "MANUFACTURER_PART_NUMBER", "customFieldName": "ignored", "whenNoMatch": "FLAG_ORDER" });
    let answer = app.graphql(token, SAVE_PRODUCTS, json!({ "c": small, "i": by_mpn })).await;
    assert!(answer.data()["saveProductSettings"]["saved"]["customFieldName"].is_null());

    let answer = app
        .graphql(
            token,
            SAVE_PRODUCTS,
            json!({ "c": small, "i": { "matchBy": "CUSTOM_FIELD", "whenNoMatch": "FLAG_ORDER" } }),
        )
        .await;
    assert_eq!(answer.fields(), vec!["input.customFieldName"]);

    let big = app.create_connection(&merchant.access_token, "Big").await;
    app.read_company_lists(&big, "US", 5_000).await;
    let answer = app.graphql(token, SAVE_PRODUCTS, json!({ "c": big, "i": by_mpn })).await;
    assert_eq!(answer.fields(), vec!["input.matchBy"]);
    assert!(answer.field_message("input.matchBy").contains("5003 items"), "{}", answer.0);
}

async fn a_canadian_company_uses_tax_codes(app: &TestApp) {
    let merchant = app.sign_up("canada@shop.example").await;
    let token = Some(merchant.access_token.as_str());
    let c = app.create_connection(&merchant.access_token, "Toronto").await;
    app.read_company_lists(&c, "CA", 0).await;

    let line_item =
        app.graphql(token, SAVE_TAX, json!({ "c": c, "i": { "mode": "LINE_ITEM", "taxItem": "NY State Tax" } })).await;
    assert_eq!(line_item.fields(), vec!["input.mode"]);
    let mapped = app.graphql(token, SAVE_TAX, json!({ "c": c, "i": { "mode": "TAX_CODE_MAPPING" } })).await;
    let saved = &mapped.data()["saveSalesTaxSettings"]["saved"];
    assert!(saved["taxableCode"].is_null() && saved["nonTaxableCode"].is_null());
    let exempt = app
        .graphql(token, SAVE_TAX, json!({ "c": c, "i": { "mode": "TAX_CODE_MAPPING", "nonTaxableCode": "e" } }))
        .await;
    assert_eq!(exempt.data()["saveSalesTaxSettings"]["saved"]["nonTaxableCode"], "E");
    let taxable =
        app.graphql(token, SAVE_TAX, json!({ "c": c, "i": { "mode": "TAX_CODE_MAPPING", "taxableCode": "H" } })).await;
    assert_eq!(taxable.fields(), vec!["input.taxableCode"], "the taxable code comes from the mapping by place");

    let add = "mutation($c: ID!, $i: SalesTaxMappingInput!) { addSalesTaxMapping(connectionId: $c, input: $i) { region taxCode } }";
    let answer =
        app.graphql(token, add, json!({ "c": c, "i": { "country": "ca", "region": "on", "taxCode": "h" } })).await;
    assert_eq!(answer.data()["addSalesTaxMapping"], json!([{ "region": "ON", "taxCode": "H" }]));
    let answer = app
        .graphql(token, add, json!({ "c": c, "i": { "country": "CA", "region": "QC", "taxCode": "NY State Tax" } }))
        .await;
    assert_eq!(answer.fields(), vec!["input.taxCode"], "a Canadian mapping must name a tax code, not a US tax item");
}

async fn the_sales_tax_mapping_table_is_edited_and_imported(app: &TestApp) {
    let merchant = app.sign_up("mapper@shop.example").await;
    let token = Some(merchant.access_token.as_str());
    let c = app.create_connection(&merchant.access_token, "Main").await;
    app.read_company_lists(&c, "US", 0).await;
    let import = "mutation($c: ID!, $csv: String!, $r: Boolean = false) { importSalesTaxMappings(connectionId: $c, csv: $csv, replace: $r) { id city county region country taxCode } }";

    let csv = "City,Region,Country,TaxCode,County\nNew York,NY,US,NYC Combined,\n,NY,US,NY State Tax,\n,NY,US,NYC Tax,Kings\n";
    let answer = app.graphql(token, import, json!({ "c": c, "csv": csv })).await;
    let rows = answer.data()["importSalesTaxMappings"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 3);

    let bad = "City,Region,Country,TaxCode\nBuffalo,NY,US,Nope\nAlbany,,US,Tax\n";
    let answer = app.graphql(token, import, json!({ "c": c, "csv": bad })).await;
    assert_eq!(answer.code(), "VALIDATION");
    assert!(answer.message().contains("line 3: Region is empty"), "{}", answer.message());
    let answer =
        app.graphql(token, import, json!({ "c": c, "csv": "City,Region,Country,TaxCode\nBuffalo,NY,US,Nope\n" })).await;
    assert!(answer.message().contains("line 2"), "{}", answer.message());

    let add = "mutation($c: ID!, $i: SalesTaxMappingInput!) { addSalesTaxMapping(connectionId: $c, input: $i) { id city taxCode } }";
    let answer = app
        .graphql(
            token,
            add,
            json!({ "c": c, "i": { "country": "US", "region": "NY", "city": "new york", "taxCode": "NYC Tax" } }),
        )
        .await;
    let table = answer.data()["addSalesTaxMapping"].as_array().unwrap().clone();
    assert_eq!(table.len(), 3, "the same city in another case is the same place: {table:?}");
    assert_eq!(table.iter().find(|r| r["city"] == "New York").unwrap()["taxCode"], "NYC Tax");

    let state_row = rows.iter().find(|r| r["city"] == "" && r["county"] == "").unwrap();
    let removed = app
        .graphql(
            token,
            "mutation($id: ID!) { removeSalesTaxMapping(id: $id) { id } }",
            json!({ "id": state_row["id"] }),
        )
        .await;
    assert_eq!(removed.data()["removeSalesTaxMapping"].as_array().unwrap().len(), 2);

    let replaced = app
        .graphql(token, import, json!({ "c": c, "csv": "City,Region,Country,TaxCode\n,NJ,US,Tax\n", "r": true }))
        .await;
    assert_eq!(
        replaced.data()["importSalesTaxMappings"],
        json!([{ "id": replaced.data()["importSalesTaxMappings"][0]["id"], "city": "", "county": "", "region": "NJ", "country": "US", "taxCode": "Tax" }])
    );
}
