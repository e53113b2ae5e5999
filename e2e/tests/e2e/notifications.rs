//! Emails from the real binary to a real SMTP server on loopback: the alert of a Web
//! Connector run that created records, and a test email, both read back as MIME.

use std::time::Duration;

use e2e::quickbooks::Company;
use e2e::smtp::SmtpSink;
use serde_json::json;

use crate::orders::{import, order, ready_to_sync};
use crate::web_connector::PASSWORD;

fn config(sink: &SmtpSink) -> String {
    format!(
        "notifications_check_seconds = 1\nnotification_retry_seconds = 1\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\n\
         security = \"none\"\nfrom = \"Ledgerbridge <books@ledgerbridge.test>\"\n",
        sink.port
    )
}

#[test]
fn a_run_that_creates_a_customer_emails_the_merchant_once_and_a_test_email_arrives() {
    let sink = SmtpSink::start();
    let mut company = Company::us_sample(0);
    let (paired, store_id) = ready_to_sync(Some(&config(&sink)), "INVOICE", &mut company);
    import(&paired, &store_id, vec![order("9001", "#1001", "Hammer"), order("9002", "#1002", "Hammer")]);
    let run = paired.web_connector(PASSWORD).run(&mut company);
    assert_eq!(run.progress.last(), Some(&100), "{run:?}");

    let delivered = sink.wait_for(1, Duration::from_secs(20));
    let message = mail_parser::MessageParser::default().parse(delivered[0].data.as_bytes()).expect("MIME");
    assert_eq!(delivered[0].recipients, ["books@shop.example"], "step 7's recipients");
    assert_eq!(
        message.subject(),
        Some("Ledgerbridge created 1 customer and 2 items in QuickBooks (Sample Outdoor Supply)"),
        "one customer and the items both orders needed, in one email for the run"
    );
    let text = message.body_text(0).expect("a text part");
    let html = message.body_html(0).expect("an HTML part");
    for created in ["Smith, Ann", "GIFT-WRAP"] {
        assert!(text.contains(created) && html.contains(created), "{created} in {text}");
    }

    let answer = paired.graphql(
        "mutation($c: ID!) { sendTestEmail(connectionId: $c) { kind status attempts } }",
        json!({ "c": paired.connection_id }),
    );
    assert_eq!(answer["data"]["sendTestEmail"], json!({ "kind": "TEST", "status": "SENT", "attempts": 1 }), "{answer}");
    let delivered = sink.wait_for(2, Duration::from_secs(5));
    assert_eq!(delivered.len(), 2, "the run's alert was sent once: {delivered:?}");
    let history = paired.data("query($c: ID!) { notifications(connectionId: $c) { edges { node { kind status } } } }");
    assert_eq!(
        history["notifications"]["edges"],
        json!([{ "node": { "kind": "TEST", "status": "SENT" } }, { "node": { "kind": "RECORDS_CREATED", "status": "SENT" } }])
    );
}
