//! The dashboard in a real Chromium against the real server. The main journey: a merchant signs
//! up, pairs a company file and watches the Web Connector's first call arrive, completes the
//! seven steps from the drop-downs, adds a Shopify store; a signed webhook arrives, Sync Now,
//! a Web Connector run — and the log page, already open, shows the invoice without a reload;
//! the dashboard counts it. A screenshot of every page lands in `e2e/artifacts/`.

use std::time::Duration;

use e2e::browser::{Browser, rendered_dom, screenshot};
use e2e::merchant::{Merchant, PASSWORD, sample_order};
use e2e::quickbooks::Company;
use e2e::server::{Server, command, dashboard_dir};
use e2e::web_connector::WebConnector;
use serde_json::json;

const WC_PASSWORD: &str = "web connector pw";

fn server(dir: &std::path::Path) -> Server {
    let mut serve = command();
    serve.current_dir(dir).args(["serve", "--listen", "127.0.0.1:0", "--dashboard-dir"]).arg(dashboard_dir());
    Server::start(serve)
}

#[test]
fn the_dashboard_loads_in_chromium_and_reaches_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let dom = rendered_dom(&server.url("/"));
    assert!(dom.contains("Log in to Ledgerbridge"), "logged out, the app asks to log in: {dom}");
    assert!(
        dom.contains(&format!("Ledgerbridge {}", env!("CARGO_PKG_VERSION"))),
        "the wasm app did not render its answer from /graphql: {dom}"
    );
    let deep = rendered_dom(&server.url("/connections/1"));
    assert!(deep.contains("Log in to Ledgerbridge"), "a deep link loads the app, which asks to log in first: {deep}");
    let shot = screenshot(&server.url("/"), "home");
    assert!(std::fs::metadata(shot).unwrap().len() > 1_000);
}

#[test]
fn a_merchant_signs_up_pairs_a_company_file_and_sees_the_first_call_arrive_without_a_reload() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let browser = Browser::start();
    let wait = Duration::from_secs(15);

    browser.goto(&server.url("/"));
    browser.wait_for_text("Log in to Ledgerbridge", wait);
    browser.screenshot("01-log-in");
    browser.click("a[href='/signup']");
    browser.wait_for_text("Create your Ledgerbridge account", wait);
    browser.fill("#email", "merchant@shop.example");
    browser.fill("#password", "short");
    browser.click("button[type=submit]");
    browser.wait_for_text("at least 8 characters", wait);
    browser.screenshot("02-sign-up-refused");
    browser.fill("#password", "a long enough password");
    browser.click("button[type=submit]");
    browser.wait_for_text("No connection yet", wait);
    browser.screenshot("03-connections");

    browser.fill("#connection-name", "Main company");
    browser.click("form button.primary");
    browser.wait_for_text("Waiting for the Web Connector's first call", wait);
    browser.fill("#wc-password", WC_PASSWORD);
    browser.click("[data-testid=save-password]");
    browser.wait_for_text("Saved.", wait);
    browser.screenshot("04-pairing-waiting");

    // The Web Connector, with the user name the page gives, makes its first run.
    let user = browser.script("return document.querySelector('[data-testid=wc-user]').textContent");
    let user = user.as_str().expect("the user name is on the page").to_owned();
    let mut company = Company::us_sample(0);
    let run = WebConnector::new(&server.url(""), &user, WC_PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    let page = browser.wait_for_text("Connected to \"Sample Outdoor Supply\"", wait);
    assert!(page.contains("Lists read at"), "{page}");
    browser.screenshot("05-pairing-connected");

    // The seven steps, with drop-downs filled from the company's lists.
    browser.click("a.button.primary");
    browser.wait_for_text("Step 1 of 7: Sync Direction", wait);
    browser.screenshot("06-wizard-1-sync-direction");
    browser.click("button[type=submit]");
    browser.wait_for_text("Step 2 of 7: Orders", wait);
    browser.select("#field-transactionType", "INVOICE");
    browser.select("#field-className", "Web");
    browser.fill("#field-orderNumberPrefix", "WEB-");
    browser.screenshot("07-wizard-2-orders");
    browser.click("button[type=submit]");
    browser.wait_for_text("Step 3 of 7: Customers", wait);
    browser.screenshot("08-wizard-3-customers");
    browser.click("button[type=submit]");
    browser.wait_for_text("Step 4 of 7: Accounts", wait);
    // Nothing chosen: the API's errors appear beside their fields.
    browser.click("button[type=submit]");
    browser.wait_for_text("required: choose one of your QuickBooks accounts", wait);
    browser.screenshot("09-wizard-4-accounts-refused");
    browser.select("#field-incomeAccount", "Sales:Web Sales");
    browser.select("#field-receivableAccount", "Accounts Receivable");
    browser.select("#field-depositAccount", "Undeposited Funds");
    browser.click("button[type=submit]");
    browser.wait_for_text("Step 5 of 7: Sales Tax Mapping", wait);
    browser.select("#field-taxItem", "NY State Tax");
    browser.screenshot("10-wizard-5-sales-tax");
    browser.click("button[type=submit]");
    browser.wait_for_text("Step 6 of 7: Products", wait);
    browser.screenshot("11-wizard-6-products");
    browser.click("button[type=submit]");
    browser.wait_for_text("Step 7 of 7: Notifications", wait);
    browser.fill("#field-emails", "books@shop.example");
    browser.screenshot("12-wizard-7-notifications");
    browser.click("button[type=submit]");
    browser.wait_for_text("Set up complete", wait);
    browser.screenshot("13-set-up-complete");

    // My Dashboard: the Shopify store is added there; its address and secret are shown once.
    browser.click(".actions a[href$='/dashboard']");
    browser.wait_for_text("Orders by store", wait);
    browser.fill("#store-name", "Outdoor Shop");
    browser.select("#store-platform", "SHOPIFY");
    browser.click("[data-testid=add-store]");
    browser.wait_for_text("is ready.", wait);
    let secret = text_of(&browser, "[data-testid=signing-secret]");
    let webhook_url = text_of(&browser, "[data-testid=store-secret] code");
    browser.screenshot("14-dashboard-store-added");

    // The log page, open and live before the order arrives: everything after shows up in it
    // without a reload.
    browser.click(".tabs a[href$='/log']");
    browser.wait_for_text("● Live", wait);
    browser.screenshot("15-log-live");
    let body = shopify_order();
    let (status, answer) = post_signed(&webhook_url, &secret, body.clone());
    assert_eq!(status, 200, "{answer}");
    browser.wait_for_text("Order #1001 received", wait);
    // Sync Now, from the dashboard, then back to the log, which stays open through the run.
    browser.click(".tabs a[href$='/dashboard']");
    browser.wait_for_text("Orders by store", wait);
    browser.click("[data-testid=sync-now]");
    browser.wait_for_text("1 order queued", wait);
    browser.screenshot("16-dashboard-sync-now");
    browser.click(".tabs a[href$='/log']");
    browser.wait_for_text("● Live", wait);
    let run = WebConnector::new(&server.url(""), &user, WC_PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");
    assert_eq!(company.transactions.len(), 1, "one invoice: {:?}", company.transactions);
    assert_eq!(company.transactions[0].kind, "Invoice");
    let log = browser.wait_for_text("Order #1001 is in QuickBooks as Invoice WEB-1001", wait);
    assert!(log.contains("created in QuickBooks"), "the customer and items it made are logged too: {log}");
    browser.screenshot("17-log-invoice-created-live");

    // The dashboard counts it, in the table and in the chart.
    browser.click(".tabs a[href$='/dashboard']");
    browser.wait_for_text("Orders by store", wait);
    assert_eq!(text_of(&browser, "[data-count=synced]"), "1");
    assert_eq!(text_of(&browser, "[data-count=pending]"), "0");
    let chart = browser.script("return document.querySelector('[data-testid=chart]').getAttribute('aria-label')");
    assert_eq!(chart, "1 synced, 0 failed over 14 days");
    browser.wait_for_text("Last Web Connector call", wait);
    browser.screenshot("18-dashboard-counted");

    // The order's page: the store's raw payload and the QuickBooks document.
    browser.click(".tabs a[href$='/log']");
    browser.wait_for_text("● Live", wait);
    browser.click("[data-kind=ORDER_SYNCED] a");
    let order = browser.wait_for_text("What the store sent", wait);
    assert!(order.contains("In QuickBooks"), "{order}");
    browser.wait_for_text("The exact qbXML", wait);
    let raw = browser.script("return document.querySelector('.delivery pre').textContent");
    assert!(raw.as_str().is_some_and(|r| r.contains("WIDGET-RED")), "the raw payload is shown: {raw}");
    browser.screenshot("19-order-detail");

    // Filters, and the filtered view as CSV.
    browser.click("a[href$='/log']");
    browser.wait_for_text("● Live", wait);
    browser.fill("#filter-text", "is in QuickBooks as");
    browser.click("[data-testid=apply-filters]");
    browser.wait_for_text("Order #1001 is in QuickBooks", wait);
    let shown = browser.script("return document.querySelectorAll('[data-testid=log-entries] li').length");
    assert_eq!(shown, 1, "only the matching entry");
    // The download is caught where the page hands it to the browser: the file's text and name.
    browser.script(
        "URL.createObjectURL = (blob) => { blob.text().then((t) => { window.exported = t; }); return 'blob:caught'; };
         HTMLAnchorElement.prototype.click = function () { window.downloaded = this.download; };
         return null",
    );
    browser.click("[data-testid=export-csv]");
    browser.wait_for_text("1 entry exported", wait);
    assert_eq!(browser.script("return window.downloaded"), "transaction-log.csv");
    let csv = browser.script("return window.exported");
    let csv = csv.as_str().expect("the CSV was made");
    assert!(csv.starts_with("time,level,kind,order,message,explanation"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("ORDER_SYNCED,#1001,Order #1001 is in QuickBooks as Invoice WEB-1001"), "{csv}");
    browser.screenshot("20-log-filtered");

    // Down to a tablet: the log and the dashboard fit the width, nothing scrolls sideways.
    browser.resize(768, 1024);
    let fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth";
    browser.wait_until(fits, wait);
    browser.screenshot("26-tablet-log");
    browser.click(".tabs a[href$='/dashboard']");
    browser.wait_for_text("Orders by store", wait);
    browser.wait_until(fits, wait);
    browser.screenshot("27-tablet-dashboard");
    browser.resize(1280, 800);
    // Nothing is locked in: a step reopens with what was saved.
    browser.goto(&format!("{}/wizard/2", pairing_url(&browser)));
    browser.wait_for_text("Step 2 of 7: Orders", wait);
    assert_eq!(browser.script("return document.querySelector('#field-transactionType').value"), "INVOICE");
    assert_eq!(browser.script("return document.querySelector('#field-className').value"), "Web");
    browser.goto(&pairing_url(&browser));
    browser.wait_for_text("Connected to", wait);

    // A session that ends sends the merchant to log in, and back to the same page after.
    let pairing = pairing_url(&browser);
    browser.click("[data-testid=log-out]");
    browser.wait_for_text("Log in to Ledgerbridge", wait);
    browser.goto(&pairing);
    browser.wait_for_text("Log in to Ledgerbridge", wait);
    assert!(browser.current_url().contains("next="), "{}", browser.current_url());
    browser.fill("#email", "merchant@shop.example");
    browser.fill("#password", "a long enough password");
    browser.click("button[type=submit]");
    browser.wait_for_text("Pair \"Main company\" with QuickBooks", wait);
    assert_eq!(browser.current_url(), pairing);
}

fn text_of(browser: &Browser, css: &str) -> String {
    let text = browser.script(&format!("return document.querySelector({css:?}).textContent"));
    text.as_str().unwrap_or_else(|| panic!("{css} is not on the page")).to_owned()
}

/// A real Shopify order (the fixture), as Shopify's orders/create webhook carries it.
fn shopify_order() -> Vec<u8> {
    let path =
        e2e::server::workspace_root().join("../shared/fixtures/orders/synthetic__shopify_orders_create_modern.json");
    let fixture: serde_json::Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("JSON");
    serde_json::to_vec(fixture.get("order").unwrap_or(&fixture)).expect("JSON")
}

/// Posts a webhook signed the way Shopify signs it.
fn post_signed(url: &str, secret: &str, body: Vec<u8>) -> (u16, String) {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(&body);
    let signature = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes());
    let response = reqwest::blocking::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Shopify-Hmac-Sha256", signature)
        .header("X-Shopify-Topic", "orders/create")
        .header("X-Shopify-Webhook-Id", "journey-1")
        .body(body)
        .send()
        .expect("the webhook is answered");
    (response.status().as_u16(), response.text().unwrap_or_default())
}

/// The pairing page of the connection the browser is on.
fn pairing_url(browser: &Browser) -> String {
    let url = browser.current_url();
    let (base, rest) = url.split_once("/connections/").expect("on a connection's page");
    let id = rest.split('/').next().unwrap_or_default();
    format!("{base}/connections/{id}")
}

#[test]
fn a_merchant_maps_waiting_skus_watches_a_run_retries_a_refused_order_edits_the_tax_table_and_sees_a_late_web_connector()
 {
    let dir = tempfile::tempdir().unwrap();
    let merchant = Merchant::pair(server(dir.path()), dir);
    let mut company = Company::us_sample(0);
    let store_id = merchant.set_up("INVOICE", &mut company);
    merchant.graphql(
        "mutation($c: ID!) { saveProductSettings(connectionId: $c, input: { matchBy: ITEM_NAME, whenNoMatch: FLAG_ORDER }) { saved { whenNoMatch } } }",
        json!({ "c": merchant.connection_id }),
    );
    merchant
        .import(&store_id, vec![sample_order("7001", "#7001", "MYSTERY-1"), sample_order("7002", "#7002", "Hammer")]);
    assert_eq!(merchant.web_connector(PASSWORD).run(&mut company).status(), "none", "both wait for gift wrap");

    let browser = Browser::start();
    let wait = Duration::from_secs(15);
    let base = merchant.server.url(&format!("/connections/{}", merchant.connection_id));
    browser.goto(&format!("{base}/dashboard"));
    browser.wait_for_text("Log in to Ledgerbridge", wait);
    browser.fill("#email", "wc@shop.example");
    browser.fill("#password", "a long password");
    browser.click("button[type=submit]");

    // The SKUs no item matches, each mapped from the company's item list.
    browser.wait_for_text("Products waiting for a QuickBooks item", wait);
    assert_eq!(text_of(&browser, "[data-count=parked]"), "2");
    browser.wait_until("document.querySelector('#map-GIFT-WRAP option[value=Tools]')", wait);
    browser.screenshot("21-dashboard-unmatched-skus");
    browser.select("#map-GIFT-WRAP", "Tools");
    browser.click("tr:has(#map-GIFT-WRAP) button");
    // Mapped: the parked orders go again on the next run, which tells what still waits.
    browser.wait_until("!document.querySelector('[data-testid=unmatched-skus]')", wait);
    assert_eq!(text_of(&browser, "[data-count=pending]"), "2");

    // A slow run: the progress bar moves while it lasts, and the counts follow when it ends.
    company.latency = Duration::from_millis(250);
    let web_connector = merchant.web_connector(PASSWORD);
    let run = std::thread::spawn(move || {
        let report = web_connector.run(&mut company);
        (report, company)
    });
    browser.wait_for_text("The Web Connector is running", wait);
    browser.script("window.scrollTo(0, 0); return null");
    browser.screenshot("22-dashboard-progress");
    let (report, mut company) = run.join().expect("the run");
    assert_eq!(report.progress.last(), Some(&100), "{report:?}");
    browser.wait_until("document.querySelector('[data-count=synced]').textContent === '1'", wait);
    company.latency = Duration::ZERO;
    browser.wait_until("document.querySelector('#map-MYSTERY-1 option[value=\"Tools:Hammer\"]')", wait);
    browser.select("#map-MYSTERY-1", "Tools:Hammer");
    browser.click("tr:has(#map-MYSTERY-1) button");
    browser.wait_until("!document.querySelector('[data-testid=unmatched-skus]')", wait);
    assert_eq!(text_of(&browser, "[data-count=pending]"), "1");
    assert_eq!(merchant.web_connector(PASSWORD).run(&mut company).progress.last(), Some(&100));
    browser.wait_until("document.querySelector('[data-count=synced]').textContent === '2'", wait);

    // A refused order: the log explains the QuickBooks error beside it, and Retry sends it again.
    company.inject.push(("InvoiceAddRq".into(), 3210, "A field value was rejected.".into()));
    merchant.import(&store_id, vec![sample_order("7003", "#7003", "Hammer")]);
    browser.click(".tabs a[href$='/log']");
    browser.wait_for_text("● Live", wait);
    merchant.web_connector(PASSWORD).run(&mut company);
    browser.wait_for_text("What this means: QuickBooks refused a value in the order", wait);
    browser.screenshot("23-log-explained-error");
    browser.click("[data-kind=ORDER_FAILED] .row-actions button");
    browser.wait_for_text("Order #7003 goes again on the Web Connector's next run", wait);
    merchant.web_connector(PASSWORD).run(&mut company);
    browser.wait_for_text("Order #7003 is in QuickBooks as Invoice WEB-7003", wait);
    assert_eq!(company.transactions.len(), 3, "{:?}", company.transactions);

    // Step 5's table: a row added by hand, then a CSV import, all or nothing.
    browser.goto(&format!("{base}/wizard/5"));
    browser.wait_for_text("Sales tax mapping", wait);
    browser.fill("#tax-country", "US");
    browser.fill("#tax-region", "NY");
    browser.wait_until("document.querySelector('#tax-code option[value=\"NYC Combined\"]')", wait);
    browser.select("#tax-code", "NYC Combined");
    browser.click("[data-testid=add-mapping]");
    browser.wait_until("document.querySelectorAll('[data-testid=sales-tax-table] tbody tr').length === 1", wait);
    browser.fill("#tax-csv", "City,Region,Country,TaxCode\nAtlantis,NY,US,No Such Code");
    browser.click("[data-testid=import-csv]");
    browser.wait_for_text("No Such Code", wait);
    browser.wait_until("document.querySelectorAll('[data-testid=sales-tax-table] tbody tr').length === 1", wait);
    browser.fill("#tax-csv", "City,Region,Country,TaxCode,County\nBuffalo,NY,US,NY State Tax,Erie");
    browser.click("[data-testid=import-csv]");
    browser.wait_for_text("Imported: the table has 2 rows.", wait);
    browser.screenshot("24-wizard-5-tax-table");
    let table = merchant.data("query($c: ID!) { salesTaxMappings(connectionId: $c) { city county taxCode } }");
    assert!(table["salesTaxMappings"].as_array().unwrap().iter().any(|m| m["city"] == "Buffalo"), "{table}");

    // An hour without a call (the browser's clock moved on): the dashboard warns.
    browser.goto(&format!("{base}/dashboard"));
    browser.wait_for_text("Last Web Connector call", wait);
    browser.script("const now = Date.now; Date.now = () => now() + 3600 * 1000; return null");
    browser.click(".tabs a[href$='/log']");
    browser.wait_for_text("● Live", wait);
    browser.click(".tabs a[href$='/dashboard']");
    browser.wait_for_text("The Web Connector has not called since", wait);
    browser.screenshot("25-dashboard-overdue");
}
