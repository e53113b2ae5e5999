//! Orders from a store into the QuickBooks stand-in through the real Web Connector protocol:
//! every transaction lands once, with totals equal to the store's, whatever goes wrong.

use e2e::quickbooks::Company;
use e2e::web_connector::Step;
use serde_json::{Value, json};

use crate::web_connector::{PASSWORD, Paired, paired};

/// A connection whose lists were read and whose wizard is complete, with one store.
pub(crate) fn ready_to_sync(config: Option<&str>, transaction_type: &str, company: &mut Company) -> (Paired, String) {
    let paired = paired(config);
    let store_id = paired.set_up(transaction_type, company);
    (paired, store_id)
}

pub(crate) fn order(external_id: &str, number: &str, sku: &str) -> Value {
    e2e::merchant::sample_order(external_id, number, sku)
}

pub(crate) fn import(paired: &Paired, store_id: &str, orders: Vec<Value>) -> Value {
    paired.import(store_id, orders)
}

fn orders(paired: &Paired) -> Vec<Value> {
    let data = paired.data("query($c: ID!) { orders(connectionId: $c) { edges { node { number status quickbooksTxnType quickbooksRefNumber quickbooksPaymentTxnId attempts lastError } } } }");
    data["orders"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

#[test]
fn a_paid_store_order_lands_once_as_an_invoice_with_its_payment_and_equal_totals() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "INVOICE_WITH_PAYMENT", &mut company);
    let imported = import(&paired, &store_id, vec![order("9001", "#1001", "Hammer")]);
    assert_eq!(imported[0]["created"], true);
    assert_eq!(imported[0]["order"]["status"], "PENDING");
    let again = import(&paired, &store_id, vec![order("9001", "#1001", "Hammer")]);
    assert_eq!(again[0]["created"], false, "importing the same order again updates it");

    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress, vec![50, 100], "two round trips for one order: {run:?}");
    assert!(run.close_message.unwrap().contains("1 orders processed"));
    assert_eq!(company.transactions.len(), 1);
    let invoice = &company.transactions[0];
    assert_eq!(invoice.kind, "Invoice");
    assert_eq!(invoice.ref_number, "WEB-1001");
    assert_eq!(invoice.customer, "Smith, Ann");
    assert_eq!(invoice.class.as_deref(), Some("Web"));
    assert_eq!(invoice.total_cents, 4753, "QuickBooks' total equals the store's: {:?}", invoice.lines);
    assert_eq!(company.payments.len(), 1);
    assert_eq!(company.payments[0].amount_cents, 4753);
    assert!(company.customers.iter().any(|c| c.full_name == "Smith, Ann"));
    for created in ["GIFT-WRAP", "Shipping", "Discount"] {
        assert!(company.lists["Item"].iter().any(|i| i.full_name == created), "{created} created");
    }

    let stored = orders(&paired);
    assert_eq!(stored[0]["status"], "SYNCED");
    assert_eq!(stored[0]["quickbooksTxnType"], "Invoice");
    assert_eq!(stored[0]["quickbooksRefNumber"], "WEB-1001");
    assert!(stored[0]["quickbooksPaymentTxnId"].is_string());
    let kinds = paired.log_kinds();
    for kind in ["ORDER_RECEIVED", "ORDER_SYNCED", "CUSTOMER_CREATED", "ITEM_CREATED"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "none", "nothing left to send");
    assert_eq!(company.transactions.len(), 1);
    let stats = paired.data("query($c: ID!) { orderStats(connectionId: $c) { days { date synced failed } stores { storeName synced pending failed parked } } }");
    let days = stats["orderStats"]["days"].as_array().unwrap();
    assert_eq!(days.len(), 14);
    assert_eq!(days[13]["synced"], 1, "today's bar: {days:?}");
    assert_eq!(
        stats["orderStats"]["stores"],
        json!([{ "storeName": "My Shop", "synced": 1, "pending": 0, "failed": 0, "parked": 0 }])
    );
}

#[test]
fn an_item_made_for_one_order_is_not_asked_for_again_by_the_next_orders_of_the_run() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "INVOICE_WITH_PAYMENT", &mut company);
    let orders: Vec<Value> = (0..3).map(|i| order(&format!("95{i}"), &format!("#{}", 1_200 + i), "Hammer")).collect();
    import(&paired, &store_id, orders);
    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    assert_eq!(company.transactions.len(), 3);
    // What the session maps orders with is kept between calls; the items the first order made
    // must be in it for the second.
    for created in ["GIFT-WRAP", "Discount"] {
        let adds = company.requests.iter().filter(|r| r.contains(&format!("<Name>{created}</Name>"))).count();
        assert_eq!(adds, 1, "{created} asked for once");
    }
}

#[test]
fn an_answer_lost_after_quickbooks_posted_never_duplicates_the_invoice() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) =
        ready_to_sync(Some("web_connector_lease_seconds = 1\n"), "INVOICE_WITH_PAYMENT", &mut company);
    import(&paired, &store_id, vec![order("9002", "#1002", "Hammer")]);
    // Round 0 checks, round 1 posts: the Web Connector dies after QuickBooks executed the post.
    let dropped = paired.web_connector(PASSWORD).run_with(&mut company, |round, request| {
        if round == 1 {
            assert!(request.contains("<InvoiceAddRq"), "{request}");
            Step::DropAfterSend
        } else {
            Step::Continue
        }
    });
    assert!(dropped.close_message.is_none());
    assert_eq!(company.transactions.len(), 1, "QuickBooks has the invoice");
    assert_eq!(orders(&paired)[0]["status"], "PENDING", "Ledgerbridge never heard back");

    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let finished = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(finished.progress.last(), Some(&100));
    assert_eq!(company.transactions.len(), 1, "linked, not added again");
    assert_eq!(company.payments.len(), 1);
    let stored = orders(&paired);
    assert_eq!(stored[0]["status"], "SYNCED");
    assert_eq!(stored[0]["quickbooksRefNumber"], "WEB-1002");
    assert!(paired.log_kinds().iter().any(|k| k == "ORDER_LINKED"));
}

#[test]
fn a_locked_quickbooks_list_is_retried_on_the_next_run_and_a_data_error_fails_only_its_order() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "SALES_RECEIPT", &mut company);
    import(&paired, &store_id, vec![order("9003", "#1003", "Hammer"), order("9004", "#1004", "Hammer")]);
    company.inject.push(("SalesReceiptAddRq".into(), 3175, "The list element is in use by another user.".into()));
    let first = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(first.progress.last(), Some(&100));
    assert_eq!(company.transactions.len(), 1, "the other order went through");
    let waiting: Vec<Value> = orders(&paired).into_iter().filter(|o| o["status"] == "PENDING").collect();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["attempts"], 1);
    assert!(waiting[0]["lastError"].as_str().unwrap().contains("3175"));

    company.inject.push(("SalesReceiptAddRq".into(), 3210, "A field value was rejected.".into()));
    paired.web_connector(PASSWORD).run(&mut company);
    let failed: Vec<Value> = orders(&paired).into_iter().filter(|o| o["status"] == "FAILED").collect();
    assert_eq!(failed.len(), 1, "a data error does not loop");
    assert!(failed[0]["lastError"].as_str().unwrap().contains("3210"));
    // The log explains the error in plain English beside its message, for the log page.
    let log = paired.graphql(
        "query($c: ID!) { transactionLog(connectionId: $c, filter: { levels: [ERROR] }) { nodes { kind explanation } } }",
        json!({ "c": paired.connection_id }),
    );
    let entries = log["data"]["transactionLog"]["nodes"].as_array().unwrap();
    let failure = entries.iter().find(|e| e["kind"] == "ORDER_FAILED").expect("the failure is logged");
    assert!(failure["explanation"].as_str().is_some_and(|e| e.contains("refused a value")), "{log}");
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "none");
    assert_eq!(company.transactions.len(), 1);
    assert!(company.transactions.iter().all(|t| t.kind == "SalesReceipt"));
}

#[test]
fn an_order_with_an_unknown_sku_is_parked_when_the_settings_say_flag_and_orders_out_of_filter_wait() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "INVOICE", &mut company);
    let flag = paired.graphql(
        "mutation($c: ID!) { saveProductSettings(connectionId: $c, input: { matchBy: ITEM_NAME, whenNoMatch: FLAG_ORDER }) { saved { whenNoMatch } } }",
        json!({ "c": paired.connection_id }),
    );
    assert!(flag.get("errors").is_none(), "{flag}");
    let mut unpaid = order("9006", "#1006", "Hammer");
    unpaid["financialStatus"] = json!("pending");
    import(&paired, &store_id, vec![order("9005", "#1005", "NO-SUCH-SKU"), unpaid]);
    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.status(), "none", "nothing sendable: {run:?}");
    assert!(company.transactions.is_empty());
    let stored = orders(&paired);
    let parked = stored.iter().find(|o| o["number"] == "#1005").unwrap();
    assert_eq!(parked["status"], "PARKED");
    assert!(parked["lastError"].as_str().unwrap().contains("NO-SUCH-SKU"), "{parked}");
    assert_eq!(stored.iter().find(|o| o["number"] == "#1006").unwrap()["status"], "FILTERED");
}

#[test]
fn every_transaction_type_lands_as_its_own_kind() {
    for (setting, kind) in [("SALES_ORDER", "SalesOrder"), ("ESTIMATE", "Estimate"), ("INVOICE", "Invoice")] {
        let mut company = Company::us_sample(0);
        let (paired, store_id) = ready_to_sync(None, setting, &mut company);
        import(&paired, &store_id, vec![order("9100", "#2001", "Hammer")]);
        assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
        assert_eq!(company.transactions.len(), 1, "{setting}");
        assert_eq!(company.transactions[0].kind, kind);
        assert_eq!(company.transactions[0].total_cents, 4753);
        assert!(company.payments.is_empty(), "{setting} takes no payment");
    }
}

#[test]
fn a_sales_order_is_billed_by_its_invoice_once_even_when_the_invoice_answer_is_lost() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) =
        ready_to_sync(Some("web_connector_lease_seconds = 1\n"), "SALES_ORDER_WITH_INVOICE", &mut company);
    import(&paired, &store_id, vec![order("9200", "#3001", "Hammer")]);
    // Rounds: check, post the sales order, then the invoice — whose answer is lost.
    let dropped = paired.web_connector(PASSWORD).run_with(&mut company, |round, request| {
        if round == 2 {
            assert!(request.contains("<InvoiceAddRq") && request.contains("<LinkToTxnID>"), "{request}");
            Step::DropAfterSend
        } else {
            Step::Continue
        }
    });
    assert_eq!(dropped.progress, vec![50, 66], "a third round trip was added when the sales order was made");
    let kinds: Vec<&str> = company.transactions.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, vec!["SalesOrder", "Invoice"]);

    std::thread::sleep(std::time::Duration::from_millis(1_500));
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
    assert_eq!(company.transactions.len(), 2, "both found and linked, neither added again");
    let data = paired.data("query($c: ID!) { orders(connectionId: $c) { edges { node { status quickbooksTxnType quickbooksInvoiceTxnId } } } }");
    let node = &data["orders"]["edges"][0]["node"];
    assert_eq!(node["status"], "SYNCED");
    assert_eq!(node["quickbooksTxnType"], "SalesOrder");
    assert_eq!(node["quickbooksInvoiceTxnId"], company.transactions[1].txn_id.as_str());
}

#[test]
fn a_parked_order_is_previewed_fixed_retried_and_synced_and_another_is_skipped() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "INVOICE", &mut company);
    let c = json!({ "c": paired.connection_id });
    paired.graphql("mutation($c: ID!) { saveProductSettings(connectionId: $c, input: { matchBy: ITEM_NAME, whenNoMatch: FLAG_ORDER }) { saved { whenNoMatch } } }", c.clone());
    let imported =
        import(&paired, &store_id, vec![order("9300", "#4001", "NEW-SKU"), order("9301", "#4002", "Hammer")]);
    let parked_id = imported[0]["order"]["id"].as_str().unwrap().to_owned();
    let other_id = imported[1]["order"]["id"].as_str().unwrap().to_owned();
    let skipped = paired.graphql("mutation($id: ID!) { skipOrder(id: $id) { status } }", json!({ "id": other_id }));
    assert_eq!(skipped["data"]["skipOrder"]["status"], "SKIPPED");
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "none");

    let preview = paired.graphql(
        "query($id: ID!) { previewOrder(id: $id) { transactionType customerName refNumber qbxml problems } order(id: $id) { status log { kind message } } }",
        json!({ "id": parked_id }),
    );
    let data = &preview["data"];
    assert_eq!(data["order"]["status"], "PARKED", "{preview}");
    assert_eq!(data["previewOrder"]["transactionType"], "Invoice");
    assert_eq!(data["previewOrder"]["refNumber"], "WEB-4001");
    assert!(data["previewOrder"]["problems"][0].as_str().unwrap().contains("NEW-SKU"));
    assert!(
        data["previewOrder"]["qbxml"]
            .as_str()
            .unwrap()
            .starts_with("<?xml version=\"1.0\"?>\n<?qbxml version=\"13.0\"?>")
    );
    assert!(data["order"]["log"].as_array().unwrap().iter().any(|e| e["kind"] == "ORDER_PARKED"));

    paired.graphql("mutation($c: ID!) { saveProductSettings(connectionId: $c, input: { matchBy: ITEM_NAME, whenNoMatch: CREATE_NON_INVENTORY_ITEM }) { saved { whenNoMatch } } }", c);
    let fixed =
        paired.graphql("query($id: ID!) { previewOrder(id: $id) { problems qbxml } }", json!({ "id": parked_id }));
    assert_eq!(fixed["data"]["previewOrder"]["problems"], json!([]));
    e2e::quickbooks::validate_against_xsd(fixed["data"]["previewOrder"]["qbxml"].as_str().unwrap());
    let retried = paired.graphql("mutation($id: ID!) { retryOrder(id: $id) { status } }", json!({ "id": parked_id }));
    assert_eq!(retried["data"]["retryOrder"]["status"], "PENDING");
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
    assert_eq!(company.transactions.len(), 1);
    assert_eq!(company.transactions[0].ref_number, "WEB-4001");
    let again = paired.graphql("mutation($id: ID!) { retryOrder(id: $id) { status } }", json!({ "id": parked_id }));
    assert_eq!(again["errors"][0]["extensions"]["code"], "CONFLICT", "a synced order is not sent twice: {again}");
}

#[test]
fn with_tax_code_mapping_quickbooks_computes_the_store_s_tax_from_the_mapped_item() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "SALES_RECEIPT", &mut company);
    let c = json!({ "c": paired.connection_id });
    let saved = paired.graphql("mutation($c: ID!) { saveSalesTaxSettings(connectionId: $c, input: { mode: TAX_CODE_MAPPING }) { saved { mode taxableCode nonTaxableCode } } }", c.clone());
    assert_eq!(saved["data"]["saveSalesTaxSettings"]["saved"]["taxableCode"], "Tax", "{saved}");
    let csv = "City,Region,Country,TaxCode,County\nNew York,NY,US,NYC Combined,\n,NY,US,NY State Tax,\n";
    let imported = paired.graphql(
        "mutation($c: ID!, $csv: String!) { importSalesTaxMappings(connectionId: $c, csv: $csv) { id } }",
        json!({ "c": paired.connection_id, "csv": csv }),
    );
    assert_eq!(imported["data"]["importSalesTaxMappings"].as_array().unwrap().len(), 2, "{imported}");

    // Buffalo falls back to the state-wide rule: 4 % of the taxable 34.98 is 1.40.
    let mut buffalo = order("9400", "#5001", "Hammer");
    buffalo["shipping"]["city"] = json!("Buffalo");
    buffalo["taxLines"] = json!([{ "title": "NY State Tax", "rate": "0.04", "amount": "1.40" }]);
    buffalo["total"] = json!("47.33");
    // New York City: 8.875 % of 34.98 is 3.10.
    let mut city = order("9401", "#5002", "Hammer");
    city["taxLines"] = json!([{ "title": "NYC", "rate": "0.08875", "amount": "3.10" }]);
    city["total"] = json!("49.03");
    import(&paired, &store_id, vec![buffalo, city]);
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
    let by_ref = |reference: &str| company.transactions.iter().find(|t| t.ref_number == reference).unwrap().clone();
    let upstate = by_ref("WEB-5001");
    assert_eq!(upstate.item_sales_tax.as_deref(), Some("NY State Tax"));
    assert_eq!(upstate.total_cents, 4733, "QuickBooks' total equals the store's");
    let nyc = by_ref("WEB-5002");
    assert_eq!(nyc.item_sales_tax.as_deref(), Some("NYC Combined"));
    assert_eq!(nyc.total_cents, 4903);
    let gift_wrap = nyc.lines.iter().find(|(item, _, _)| item == "GIFT-WRAP").unwrap();
    assert_eq!(gift_wrap.2.as_deref(), Some("Non"), "the non-taxable line is coded Non");
}

fn save_customers(paired: &Paired, matching: &str, when_no_match: &str) {
    let answer = paired.graphql(
        &format!("mutation($c: ID!) {{ saveCustomerSettings(connectionId: $c, input: {{ matching: {matching}, whenNoMatch: {when_no_match} }}) {{ saved {{ matching }} }} }}"),
        json!({ "c": paired.connection_id }),
    );
    assert!(answer.get("errors").is_none(), "{answer}");
}

#[test]
fn a_customer_whose_name_a_vendor_has_fails_its_order_with_quickbooks_reason() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "SALES_RECEIPT", &mut company);
    save_customers(&paired, "BILLING_COMPANY_ELSE_FIRST_LAST", "CREATE_CUSTOMER");
    let mut taken = order("9600", "#6100", "Hammer");
    taken["billing"]["company"] = Value::from(company.other_names[0].clone());
    import(&paired, &store_id, vec![taken, order("9601", "#6101", "Hammer")]);

    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "QuickBooks' refusal is read, not a broken answer: {run:?}");
    let stored = orders(&paired);
    let failed = stored.iter().find(|o| o["number"] == "#6100").unwrap();
    assert_eq!(failed["status"], "FAILED");
    let reason = failed["lastError"].as_str().unwrap();
    assert!(reason.contains("\"Office Depot\" of the list element is already in use"), "{reason}");
    assert_eq!(stored.iter().find(|o| o["number"] == "#6101").unwrap()["status"], "SYNCED", "the other order goes on");
    assert!(!company.transactions.iter().any(|t| t.ref_number == "WEB-6100"));
}

#[test]
fn every_customer_matching_mode_posts_to_the_customer_it_names() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "SALES_RECEIPT", &mut company);
    let modes = [
        ("LAST_FIRST", "Smith, Ann"),
        ("FIRST_LAST", "Ann Smith"),
        ("SINGLE_CUSTOMER", "Web Store"),
        ("BILLING_COMPANY_ELSE_FIRST_LAST", "Acme & Sons"),
        ("BILLING_COMPANY_ELSE_LAST_FIRST", "Acme & Sons"),
        ("BILLING_COMPANY_ELSE_SINGLE_CUSTOMER", "Acme & Sons"),
        ("LAST_FIRST_EMAIL", "Smith, Ann, ann@example.com"),
        ("FIRST_LAST_EMAIL", "Ann, Smith, ann@example.com"),
        ("STORE_NAME", "My Shop"),
        ("STORE_NAME_CURRENCY", "My Shop USD"),
        ("ORDER_NUMBER", "#7012"),
        ("SHIPPING_COMPANY_ELSE_FIRST_LAST", "Ann Smith"),
        ("SHIPPING_COMPANY_ELSE_LAST_FIRST", "Smith, Ann"),
        ("SHIPPING_LAST_FIRST", "Smith, Ann"),
        ("BILLING_EMAIL", "ann@example.com"),
    ];
    for (i, (mode, customer)) in modes.iter().enumerate() {
        save_customers(&paired, mode, "CREATE_CUSTOMER");
        let number = format!("#{}", 7_002 + i);
        import(&paired, &store_id, vec![order(&format!("97{i:02}"), &number, "Hammer")]);
        assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100), "{mode}");
        let reference = format!("WEB-{}", 7_002 + i);
        let posted = company.transactions.iter().find(|t| t.ref_number == reference).expect("posted");
        assert_eq!(posted.customer, *customer, "{mode}");
        assert!(company.customers.iter().any(|c| c.full_name == *customer), "{mode}: created or found");
    }
}

#[test]
fn customer_matching_creates_fails_or_falls_back_to_the_single_customer_as_set() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "SALES_RECEIPT", &mut company);

    save_customers(&paired, "SINGLE_CUSTOMER", "CREATE_CUSTOMER");
    import(&paired, &store_id, vec![order("9500", "#6001", "Hammer"), order("9501", "#6002", "Hammer")]);
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
    assert_eq!(company.customers.iter().filter(|c| c.full_name == "Web Store").count(), 1, "created once, then found");
    assert!(company.transactions.iter().all(|t| t.customer == "Web Store"));

    save_customers(&paired, "LAST_FIRST_EMAIL", "FAIL_ORDER");
    import(&paired, &store_id, vec![order("9502", "#6003", "Hammer")]);
    paired.web_connector(PASSWORD).run(&mut company);
    let failed = orders(&paired).into_iter().find(|o| o["number"] == "#6003").unwrap();
    assert_eq!(failed["status"], "FAILED");
    assert!(failed["lastError"].as_str().unwrap().contains("Smith, Ann, ann@example.com"), "{failed}");

    save_customers(&paired, "FIRST_LAST", "USE_SINGLE_CUSTOMER");
    import(&paired, &store_id, vec![order("9503", "#6004", "Hammer")]);
    paired.web_connector(PASSWORD).run(&mut company);
    let posted = company.transactions.iter().find(|t| t.ref_number == "WEB-6004").expect("posted");
    assert_eq!(posted.customer, "Web Store", "no \"Ann Smith\" in QuickBooks: the single customer takes the order");
    assert!(!company.customers.iter().any(|c| c.full_name == "Ann Smith"));
    assert_eq!(company.transactions.len(), 3);
}

#[test]
fn with_quickbooks_numbering_a_lost_answer_is_found_by_the_store_number_and_linked() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(Some("web_connector_lease_seconds = 1\n"), "INVOICE", &mut company);
    let numbering = paired.graphql(
        "mutation($c: ID!) { saveOrderSettings(connectionId: $c, input: { transactionType: INVOICE, className: null, useStoreNameAsClass: true, termsName: \"Net 30\", numbering: QUICKBOOKS_NEXT_NUMBER, orderNumberPrefix: null, statusFilter: [] }) { saved { numbering } } }",
        json!({ "c": paired.connection_id }),
    );
    assert!(numbering.get("errors").is_none(), "{numbering}");
    company.add("Class", "My Shop", "");
    import(&paired, &store_id, vec![order("9600", "#7001", "Hammer")]);
    let dropped = paired
        .web_connector(PASSWORD)
        .run_with(&mut company, |round, _| if round == 1 { Step::DropAfterSend } else { Step::Continue });
    assert!(dropped.close_message.is_none());
    assert_eq!(company.transactions.len(), 1);
    assert_eq!(company.transactions[0].ref_number, "1", "QuickBooks numbered it");
    assert_eq!(company.transactions[0].other, "#7001");
    assert_eq!(company.transactions[0].class.as_deref(), Some("My Shop"), "the store's name as the class");

    std::thread::sleep(std::time::Duration::from_millis(1_500));
    paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(company.transactions.len(), 1, "found by date and the store's number, not added again");
    let stored = orders(&paired);
    assert_eq!(stored[0]["status"], "SYNCED");
    assert_eq!(stored[0]["quickbooksRefNumber"], "1");
}

#[test]
fn a_canadian_company_taxes_each_line_by_the_code_mapped_for_its_province() {
    let mut company = Company::us_sample(0);
    company.country = "CA".into();
    company.lists.remove("SalesTaxCode");
    company.add("SalesTaxCode", "H", "");
    company.add("SalesTaxCode", "E", "");
    company.set_tax_rate("H", 13_000);
    let (paired, store_id) = ready_to_sync(None, "INVOICE", &mut company);

    let mut toronto = order("9700", "#8001", "Hammer");
    for address in ["billing", "shipping"] {
        toronto[address]["city"] = json!("Toronto");
        toronto[address]["provinceCode"] = json!("ON");
        toronto[address]["countryCode"] = json!("CA");
    }
    toronto["currency"] = json!("CAD");
    // HST 13 % of the taxable 34.98 is 4.55.
    toronto["taxLines"] = json!([{ "title": "HST", "rate": "0.13", "amount": "4.55" }]);
    toronto["total"] = json!("50.48");
    import(&paired, &store_id, vec![toronto]);
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
    let invoice = &company.transactions[0];
    assert_eq!(invoice.item_sales_tax, None, "Canadian companies have no header tax item");
    assert_eq!(invoice.total_cents, 5048, "QuickBooks' total equals the store's: {:?}", invoice.lines);
    let code_of = |item: &str| invoice.lines.iter().find(|(i, _, _)| i == item).and_then(|(_, _, code)| code.clone());
    assert_eq!(code_of("Tools:Hammer").as_deref(), Some("H"));
    assert_eq!(code_of("GIFT-WRAP").as_deref(), Some("E"));
}

#[test]
fn a_store_sku_is_found_by_manufacturer_part_number_when_the_settings_say_so() {
    let mut company = Company::us_sample(0);
    if let Some(hammer) =
        company.lists.get_mut("Item").and_then(|items| items.iter_mut().find(|i| i.full_name == "Tools:Hammer"))
    {
        hammer.manufacturer_part_number = Some("HM-16OZ".into());
    }
    let (paired, store_id) = ready_to_sync(None, "INVOICE", &mut company);
    let products = paired.graphql(
        "mutation($c: ID!) { saveProductSettings(connectionId: $c, input: { matchBy: MANUFACTURER_PART_NUMBER, whenNoMatch: CREATE_NON_INVENTORY_ITEM }) { saved { matchBy } } }",
        json!({ "c": paired.connection_id }),
    );
    assert!(products.get("errors").is_none(), "{products}");
    import(&paired, &store_id, vec![order("9800", "#9001", "hm-16oz")]);
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
    assert_eq!(company.transactions[0].lines[0].0, "Tools:Hammer", "found by its part number");
    assert!(!company.lists["Item"].iter().any(|i| i.full_name.eq_ignore_ascii_case("hm-16oz")), "not created again");
}

#[test]
fn a_store_sku_is_found_by_barcode_or_by_a_custom_field_when_the_settings_say_so() {
    for (match_by, field, sku) in [("BARCODE", "null", "0 12345 67890 5"), ("CUSTOM_FIELD", "\"Web SKU\"", "hammer-16")]
    {
        let mut company = Company::us_sample(0);
        if let Some(hammer) =
            company.lists.get_mut("Item").and_then(|items| items.iter_mut().find(|i| i.full_name == "Tools:Hammer"))
        {
            hammer.barcode = Some("0 12345 67890 5".into());
            hammer.custom_fields = vec![("Web SKU".into(), "HAMMER-16".into())];
        }
        let (paired, store_id) = ready_to_sync(None, "INVOICE", &mut company);
        let products = paired.graphql(
            &format!("mutation($c: ID!) {{ saveProductSettings(connectionId: $c, input: {{ matchBy: {match_by}, customFieldName: {field}, whenNoMatch: FLAG_ORDER }}) {{ saved {{ matchBy }} }} }}"),
            json!({ "c": paired.connection_id }),
        );
        assert!(products.get("errors").is_none(), "{products}");
        // GIFT-WRAP matches nothing by these keys: mapped by hand so the order is not parked.
        let mapped = paired.graphql(
            "mutation($c: ID!) { mapSku(connectionId: $c, sku: \"GIFT-WRAP\", item: \"Shipping\") }",
            json!({ "c": paired.connection_id }),
        );
        assert!(mapped.get("errors").is_none(), "{mapped}");
        import(&paired, &store_id, vec![order("9810", "#9810", sku)]);
        assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
        let invoice = company.transactions.first().unwrap_or_else(|| panic!("{match_by}: {:?}", orders(&paired)));
        assert_eq!(invoice.lines[0].0, "Tools:Hammer", "{match_by}: found by {sku}");
    }
}

#[test]
fn undo_deletes_the_payment_and_the_invoice_on_the_next_run_and_retry_posts_it_again() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "INVOICE_WITH_PAYMENT", &mut company);
    let imported = import(&paired, &store_id, vec![order("9900", "#9901", "Hammer")]);
    let id = imported[0]["order"]["id"].as_str().unwrap().to_owned();
    paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!((company.transactions.len(), company.payments.len()), (1, 1));

    let undo = paired.graphql("mutation($id: ID!) { undoOrder(id: $id) { status } }", json!({ "id": id }));
    assert_eq!(undo["data"]["undoOrder"]["status"], "UNDO_REQUESTED", "{undo}");
    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress, vec![100], "one round trip deletes both");
    assert_eq!((company.transactions.len(), company.payments.len()), (0, 0), "payment first, then the invoice");
    let undone = paired.graphql("query($id: ID!) { order(id: $id) { status quickbooksTxnId } }", json!({ "id": id }));
    assert_eq!(undone["data"]["order"]["status"], "SKIPPED");
    assert!(undone["data"]["order"]["quickbooksTxnId"].is_null());
    assert!(paired.log_kinds().iter().any(|k| k == "ORDER_UNDONE"));
    let again = paired.graphql("mutation($id: ID!) { undoOrder(id: $id) { status } }", json!({ "id": id }));
    assert_eq!(again["errors"][0]["extensions"]["code"], "CONFLICT");

    paired.graphql("mutation($id: ID!) { retryOrder(id: $id) { status } }", json!({ "id": id }));
    paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!((company.transactions.len(), company.payments.len()), (1, 1), "posted again, once");
}

#[test]
fn with_inventory_sync_on_quantities_on_hand_are_read_and_published_as_they_change() {
    use crate::web_connector::{next_message, subscribe};
    let mut company = Company::us_sample(0);
    company.set_quantity("Tools:Hammer", "25");
    let (paired, store_id) = ready_to_sync(None, "INVOICE", &mut company);
    let on = paired.graphql(
        "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: TO_QUICKBOOKS, syncInventory: true }) { saved { syncInventory } } }",
        json!({ "c": paired.connection_id }),
    );
    assert!(on.get("errors").is_none(), "{on}");
    let mut updates =
        subscribe(&paired, "subscription($c: ID!) { inventoryUpdates(connectionId: $c) { sku quantityOnHand } }");

    let first = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(first.status(), "", "inventory sync makes every run work");
    assert!(company.requests.last().unwrap().contains("<ItemInventoryQueryRq"));
    let update = next_message(&mut updates);
    assert_eq!(update["payload"]["data"]["inventoryUpdates"], json!({ "sku": "Tools:Hammer", "quantityOnHand": "25" }));

    import(&paired, &store_id, vec![order("9950", "#9951", "Hammer")]);
    paired.web_connector(PASSWORD).run(&mut company);
    let update = next_message(&mut updates);
    assert_eq!(
        update["payload"]["data"]["inventoryUpdates"],
        json!({ "sku": "Tools:Hammer", "quantityOnHand": "23" }),
        "two sold"
    );
    let levels = paired.data("query($c: ID!) { inventoryLevels(connectionId: $c) { sku quantityOnHand } }");
    assert_eq!(levels["inventoryLevels"], json!([{ "sku": "Tools:Hammer", "quantityOnHand": "23" }]));
    assert!(company.requests.last().unwrap().contains("<FromModifiedDate>"), "later runs read only what changed");
}

#[test]
fn from_quickbooks_the_sales_entered_there_are_read_back_and_published() {
    use crate::web_connector::{next_message, subscribe};
    let mut company = Company::us_sample(0);
    let (paired, _store_id) = ready_to_sync(None, "SALES_RECEIPT", &mut company);
    let from = paired.graphql(
        "mutation($c: ID!) { saveSyncDirection(connectionId: $c, input: { direction: FROM_QUICKBOOKS, syncInventory: false }) { saved { direction } } }",
        json!({ "c": paired.connection_id }),
    );
    assert!(from.get("errors").is_none(), "{from}");
    company.record_sale("SalesReceipt", "1042", "Counter Sales", &[("Tools:Hammer", 3998), ("Shipping", 500)]);
    let mut updates = subscribe(
        &paired,
        "subscription($c: ID!) { quickbooksSaleUpdates(connectionId: $c) { txnType refNumber total } }",
    );

    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    let update = next_message(&mut updates);
    assert_eq!(
        update["payload"]["data"]["quickbooksSaleUpdates"],
        json!({ "txnType": "SalesReceipt", "refNumber": "1042", "total": "44.98" })
    );
    let sales =
        paired.data("query($c: ID!) { quickbooksSales(connectionId: $c) { txnType refNumber customer total lines } }");
    let sale = &sales["quickbooksSales"][0];
    assert_eq!(sale["customer"], "Counter Sales");
    assert_eq!(sale["lines"][0]["item"], "Tools:Hammer");
    assert_eq!(sale["lines"][1]["amount"], "5.00");
    assert!(
        company
            .requests
            .iter()
            .any(|r| r.contains("<InvoiceQueryRq") && r.contains("<IncludeLineItems>true</IncludeLineItems>"))
    );

    paired.web_connector(PASSWORD).run(&mut company);
    assert!(company.requests.last().unwrap().contains("<FromModifiedDate>"), "later runs read only what changed");
    let again = paired.data("query($c: ID!) { quickbooksSales(connectionId: $c) { txnId } }");
    assert_eq!(again["quickbooksSales"].as_array().unwrap().len(), 1, "read again, stored once");
}

#[test]
fn unmatched_skus_are_listed_mapped_by_hand_and_their_orders_sent() {
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(None, "INVOICE", &mut company);
    let c = json!({ "c": paired.connection_id });
    paired.graphql("mutation($c: ID!) { saveProductSettings(connectionId: $c, input: { matchBy: ITEM_NAME, whenNoMatch: FLAG_ORDER }) { saved { whenNoMatch } } }", c.clone());
    import(&paired, &store_id, vec![order("9990", "#9990", "new-sku"), order("9991", "#9991", "NEW-SKU")]);
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).status(), "none", "both parked");
    let unmatched = paired.data("query($c: ID!) { unmatchedSkus(connectionId: $c) { sku orders } }");
    assert_eq!(
        unmatched["unmatchedSkus"],
        json!([{ "sku": "GIFT-WRAP", "orders": 2 }, { "sku": "new-sku", "orders": 2 }]),
        "{unmatched}"
    );

    let unknown =
        paired.graphql("mutation($c: ID!) { mapSku(connectionId: $c, sku: \"NEW-SKU\", item: \"Anvil\") }", c.clone());
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "VALIDATION");
    let mapped =
        paired.graphql("mutation($c: ID!) { mapSku(connectionId: $c, sku: \"NEW-SKU\", item: \"Hammer\") }", c.clone());
    assert_eq!(mapped["data"]["mapSku"], "Tools:Hammer", "{mapped}");
    paired.graphql("mutation($c: ID!) { mapSku(connectionId: $c, sku: \"gift-wrap\", item: \"Tools\") }", c);
    assert_eq!(paired.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
    assert_eq!(company.transactions.len(), 2);
    for transaction in &company.transactions {
        let items: Vec<&str> = transaction.lines.iter().map(|(item, _, _)| item.as_str()).take(3).collect();
        assert_eq!(items, vec!["Tools:Hammer", "Discount", "Tools"], "mapped by hand, in any case");
    }
    let left = paired.data("query($c: ID!) { unmatchedSkus(connectionId: $c) { sku } }");
    assert_eq!(left["unmatchedSkus"], json!([]));
}
