//! The `.qwc` file a merchant opens in the Web Connector to pair it with a connection.

use quick_xml::escape::escape;

use crate::entities::qb_connection;

/// Ledgerbridge's OwnerID: one for the application, as Intuit intends. The FileID is per
/// connection (per company file).
pub const OWNER_ID: &str = "{6F2D8C41-3B7A-4E19-A5C0-9D1E7B24F8A3}";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QwcError {
    #[error(
        "the Web Connector only accepts https:// addresses (http:// only for localhost), but this server's public URL is \
         {0}: start Ledgerbridge with --public-url https://your-domain (or LEDGERBRIDGE_PUBLIC_URL)"
    )]
    NotHttps(String),
}

/// Whether the Web Connector will accept this address: https, or http on the local machine.
fn acceptable(public_url: &str) -> bool {
    if public_url.starts_with("https://") {
        return true;
    }
    let Some(rest) = public_url.strip_prefix("http://") else { return false };
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = if authority.starts_with('[') {
        authority.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or(authority).to_owned()
    };
    matches!(host.to_ascii_lowercase().as_str(), "localhost" | "127.0.0.1" | "[::1")
        || host.eq_ignore_ascii_case("[::1]")
}

fn guid(uuid: &uuid::Uuid) -> String {
    format!("{{{}}}", uuid.to_string().to_uppercase())
}

/// Writes the .qwc file for a connection, served from `public_url`.
pub fn qwc_file(connection: &qb_connection::Model, public_url: &str) -> Result<String, QwcError> {
    let base = public_url.trim_end_matches('/');
    if !acceptable(base) {
        return Err(QwcError::NotHttps(base.to_owned()));
    }
    // QuickBooks shows the AppName in its list of integrated applications; Latin-1 only.
    let app_name: String = format!("Ledgerbridge - {}", connection.name)
        .chars()
        .map(|c| if (c as u32) > 0xFF { '?' } else { c })
        .collect();
    Ok(format!(
        "<?xml version=\"1.0\"?>\n<QBWCXML>\n  <AppName>{app_name}</AppName>\n  <AppID></AppID>\n  <AppURL>{base}/qbwc</AppURL>\n  \
<AppDescription>Sends your web store orders to QuickBooks</AppDescription>\n  <AppSupport>{base}/qbwc/support</AppSupport>\n  \
<UserName>{user}</UserName>\n  <OwnerID>{OWNER_ID}</OwnerID>\n  <FileID>{file_id}</FileID>\n  <QBType>QBFS</QBType>\n  \
<IsReadOnly>false</IsReadOnly>\n  <Scheduler>\n    <RunEveryNMinutes>{minutes}</RunEveryNMinutes>\n  </Scheduler>\n</QBWCXML>\n",
        app_name = escape(app_name.as_str()),
        base = escape(base),
        user = escape(connection.wc_username.as_str()),
        file_id = guid(&connection.file_id),
        minutes = connection.run_every_minutes,
    ))
}

/// A file name for the download, from the connection's name.
pub fn file_name(connection: &qb_connection::Model) -> String {
    let slug: String = connection
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("ledgerbridge-{}.qwc", if slug.is_empty() { "connection" } else { &slug })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbxml::parse_document;

    fn connection() -> qb_connection::Model {
        qb_connection::Model {
            id: uuid::Uuid::nil(),
            merchant_id: uuid::Uuid::nil(),
            name: "Ben & Jerry's Books".into(),
            wc_username: "lb-0a1b2c3d4e".into(),
            wc_password_hash: None,
            owner_id: uuid::Uuid::nil(),
            file_id: uuid::Uuid::parse_str("90a44fb5-33d9-4815-ac85-bc87a7e7d1eb").unwrap(),
            run_every_minutes: 30,
            company_name: None,
            country: None,
            edition: None,
            qbxml_versions: None,
            last_contact_at: None,
            lists_refresh_requested_at: None,
            setup_completed_at: None,
            created_at: chrono::Utc::now(),
            wc_active_ticket: None,
            wc_active_until: None,
            wc_failed_logins: 0,
            wc_locked_until: None,
            inventory_read_at: None,
            sales_read_at: None,
        }
    }

    #[test]
    fn the_qwc_file_names_everything_the_web_connector_needs() {
        let text = qwc_file(&connection(), "https://books.example.com/").unwrap();
        let root = parse_document(&text).unwrap();
        assert_eq!(root.name, "QBWCXML");
        assert_eq!(root.child_text("AppName"), Some("Ledgerbridge - Ben & Jerry's Books"));
        assert_eq!(root.child_text("AppURL"), Some("https://books.example.com/qbwc"));
        assert_eq!(root.child_text("AppSupport"), Some("https://books.example.com/qbwc/support"));
        assert_eq!(root.child_text("UserName"), Some("lb-0a1b2c3d4e"));
        assert_eq!(root.child_text("OwnerID"), Some(OWNER_ID));
        assert_eq!(root.child_text("FileID"), Some("{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}"));
        assert_eq!(root.child_text("QBType"), Some("QBFS"));
        assert_eq!(root.child_text("IsReadOnly"), Some("false"));
        assert_eq!(root.path(&["Scheduler", "RunEveryNMinutes"]).unwrap().text, "30");
        assert!(root.child("AppID").is_some());
    }

    #[test]
    fn plain_http_is_refused_except_on_this_machine() {
        assert!(qwc_file(&connection(), "http://127.0.0.1:8080").is_ok());
        assert!(qwc_file(&connection(), "http://localhost:8080").is_ok());
        assert!(qwc_file(&connection(), "http://[::1]:8080").is_ok());
        let refused = qwc_file(&connection(), "http://books.example.com").unwrap_err();
        assert!(refused.to_string().contains("--public-url https://"));
        assert!(qwc_file(&connection(), "http://localhost.evil.com").is_err());
    }

    #[test]
    fn the_file_name_is_safe() {
        assert_eq!(file_name(&connection()), "ledgerbridge-ben-jerry-s-books.qwc");
    }
}
