//! The emails' words: each message as a subject, a plain-text part and an HTML part saying
//! the same. Pure functions of what happened, so the wording is tested without a mail server.

use html_escape::encode_text;

/// One message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a daily digest reports.
#[derive(Debug, Clone, Default)]
pub struct DigestFacts {
    pub connection: String,
    /// The local day and the span it covers, as the merchant reads them.
    pub date: String,
    pub span: String,
    pub synced: u64,
    pub failed: u64,
    pub parked: u64,
    /// Each failure as the log explains it.
    pub failures: Vec<String>,
    pub customers_created: Vec<String>,
    pub items_created: Vec<String>,
    pub log_url: String,
}

/// Lists longer than this are cut, saying how many more the log holds.
const LIST_LIMIT: usize = 50;

fn text_list(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    out.push_str(&format!("\n{title} ({}):\n", lines.len()));
    for line in lines.iter().take(LIST_LIMIT) {
        out.push_str(&format!("  - {line}\n"));
    }
    if lines.len() > LIST_LIMIT {
        out.push_str(&format!("  … and {} more in the log\n", lines.len() - LIST_LIMIT));
    }
}

fn html_list(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    out.push_str(&format!("<h3>{} ({})</h3>\n<ul>\n", encode_text(title), lines.len()));
    for line in lines.iter().take(LIST_LIMIT) {
        out.push_str(&format!("<li>{}</li>\n", encode_text(line)));
    }
    if lines.len() > LIST_LIMIT {
        out.push_str(&format!("<li>… and {} more in the log</li>\n", lines.len() - LIST_LIMIT));
    }
    out.push_str("</ul>\n");
}

fn html_page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: sans-serif; color: #1f2933\">\n{body}</body></html>\n",
        encode_text(title)
    )
}

fn html_link(url: &str, label: &str) -> String {
    format!("<p><a href=\"{}\">{}</a></p>\n", html_escape::encode_double_quoted_attribute(url), encode_text(label))
}

pub fn digest(f: &DigestFacts) -> Email {
    let subject = format!(
        "Ledgerbridge daily log for {} — {}: {} synced, {} failed, {} waiting",
        f.connection, f.date, f.synced, f.failed, f.parked
    );
    let mut text = format!(
        "Ledgerbridge — daily transaction log for {}\n{}\n\nOrders synced to QuickBooks: {}\nOrders failed: {}\nOrders \
         waiting for you (parked): {}\n",
        f.connection, f.span, f.synced, f.failed, f.parked
    );
    text_list(&mut text, "Failures", &f.failures);
    text_list(&mut text, "Customers created in QuickBooks", &f.customers_created);
    text_list(&mut text, "Items created in QuickBooks", &f.items_created);
    text.push_str(&format!("\nThe full transaction log: {}\n", f.log_url));

    let mut html = format!(
        "<h2>Daily transaction log for {}</h2>\n<p>{}</p>\n<table>\n\
         <tr><td>Orders synced to QuickBooks</td><td><strong>{}</strong></td></tr>\n\
         <tr><td>Orders failed</td><td><strong>{}</strong></td></tr>\n\
         <tr><td>Orders waiting for you (parked)</td><td><strong>{}</strong></td></tr>\n</table>\n",
        encode_text(&f.connection),
        encode_text(&f.span),
        f.synced,
        f.failed,
        f.parked
    );
    html_list(&mut html, "Failures", &f.failures);
    html_list(&mut html, "Customers created in QuickBooks", &f.customers_created);
    html_list(&mut html, "Items created in QuickBooks", &f.items_created);
    html.push_str(&html_link(&f.log_url, "Open the full transaction log"));
    Email { html: html_page(&subject, &html), subject, text }
}

/// One email for one Web Connector run that created customers or items.
pub fn records_created(connection: &str, customers: &[String], items: &[String], log_url: &str) -> Email {
    let subject = format!(
        "Ledgerbridge created {} customer{} and {} item{} in QuickBooks ({connection})",
        customers.len(),
        if customers.len() == 1 { "" } else { "s" },
        items.len(),
        if items.len() == 1 { "" } else { "s" },
    );
    let mut text = format!("The last Web Connector run for {connection} created these records in QuickBooks.\n");
    text_list(&mut text, "Customers", customers);
    text_list(&mut text, "Items", items);
    text.push_str(&format!("\nThe transaction log: {log_url}\n"));
    let mut html = format!(
        "<p>The last Web Connector run for {} created these records in QuickBooks.</p>\n",
        encode_text(connection)
    );
    html_list(&mut html, "Customers", customers);
    html_list(&mut html, "Items", items);
    html.push_str(&html_link(log_url, "Open the transaction log"));
    Email { html: html_page(&subject, &html), subject, text }
}

pub fn overdue(connection: &str, last_contact: &str, every_minutes: i32, log_url: &str) -> Email {
    let subject = format!("The QuickBooks Web Connector has stopped calling ({connection})");
    let body = format!(
        "The Web Connector for {connection} last called at {last_contact}. It is scheduled every {every_minutes} \
         minutes, so orders are waiting. Check that the computer with QuickBooks is on, QuickBooks and the Web \
         Connector are running, and the connection is checked in the Web Connector."
    );
    Email {
        html: html_page(
            &subject,
            &format!("<p>{}</p>\n{}", encode_text(&body), html_link(log_url, "Open the transaction log")),
        ),
        text: format!("{body}\n\nThe transaction log: {log_url}\n"),
        subject,
    }
}

pub fn back(connection: &str, last_contact: &str, back_at: &str) -> Email {
    let subject = format!("The QuickBooks Web Connector is calling again ({connection})");
    let body = format!(
        "The Web Connector for {connection} called again at {back_at} after its last call at {last_contact}. Orders \
         that waited are sent on this run."
    );
    Email { html: html_page(&subject, &format!("<p>{}</p>\n", encode_text(&body))), text: format!("{body}\n"), subject }
}

pub fn test(connection: &str, log_url: &str) -> Email {
    let subject = format!("Ledgerbridge test email ({connection})");
    let body = format!(
        "This is a test from Ledgerbridge: the notifications for {connection} reach this address. The daily \
         transaction log and alerts come from the same sender."
    );
    Email {
        html: html_page(
            &subject,
            &format!("<p>{}</p>\n{}", encode_text(&body), html_link(log_url, "Open the transaction log")),
        ),
        text: format!("{body}\n\nThe transaction log: {log_url}\n"),
        subject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_says_the_counts_and_failures_in_both_parts_escaping_html() {
        let facts = DigestFacts {
            connection: "Main <Books>".into(),
            date: "2026-11-27".into(),
            span: "From 26 Nov 07:00 to 27 Nov 07:00 (America/New_York)".into(),
            synced: 12,
            failed: 1,
            parked: 2,
            failures: vec!["QuickBooks refused order #1001 (code 3140: …)".into()],
            customers_created: vec!["Customer \"Ann & Co\" created".into()],
            items_created: vec![],
            log_url: "https://lb.example/connections/x/log".into(),
        };
        let email = digest(&facts);
        assert!(email.subject.contains("12 synced, 1 failed, 2 waiting"), "{}", email.subject);
        assert!(email.text.contains("Orders failed: 1") && email.text.contains("#1001"));
        assert!(email.html.contains("Main &lt;Books&gt;") && email.html.contains("Ann &amp; Co"));
        assert!(!email.text.contains("Items created"), "empty lists are left out");
        assert!(email.html.contains("href=\"https://lb.example/connections/x/log\""));
    }

    #[test]
    fn long_lists_are_cut_saying_how_many_more() {
        let customers: Vec<String> = (0..60).map(|i| format!("Customer {i}")).collect();
        let email = records_created("Main", &customers, &["Hammer".into()], "http://x/log");
        assert_eq!(email.subject, "Ledgerbridge created 60 customers and 1 item in QuickBooks (Main)");
        assert!(email.text.contains("… and 10 more in the log"));
        assert!(!email.text.contains("Customer 55"));
    }
}
