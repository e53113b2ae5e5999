//! The dashboard in a real Chromium against the real server: a merchant signs up, pairs a
//! company file, and watches the Web Connector's first call arrive.

use std::time::Duration;

use e2e::browser::{Browser, rendered_dom, screenshot};
use e2e::quickbooks::Company;
use e2e::server::{Server, command, dashboard_dir};
use e2e::web_connector::WebConnector;

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
    browser.select("#field-transactionType", "SALES_RECEIPT");
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
    browser.click("[data-testid=sync-now]");
    browser.wait_for_text("0 orders queued", wait);
    browser.screenshot("13-set-up-complete");
    // Nothing is locked in: a step reopens with what was saved.
    browser.goto(&format!("{}/wizard/2", pairing_url(&browser)));
    browser.wait_for_text("Step 2 of 7: Orders", wait);
    assert_eq!(browser.script("return document.querySelector('#field-transactionType').value"), "SALES_RECEIPT");
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

/// The pairing page of the connection the browser is on.
fn pairing_url(browser: &Browser) -> String {
    let url = browser.current_url();
    let (base, rest) = url.split_once("/connections/").expect("on a connection's page");
    let id = rest.split('/').next().unwrap_or_default();
    format!("{base}/connections/{id}")
}
