//! Store webhooks: signatures checked before anything is parsed, every delivery kept raw and
//! de-duplicated and answered at once, then turned into orders by a worker; Shopify's and
//! WooCommerce's order payloads mapped into the one order model.
pub mod handover;
pub mod intake;
pub mod intake_writer;
pub mod routes;
mod service;
pub mod shopify;
pub mod signature;
pub mod store_cache;
pub mod woocommerce;
pub mod worker;

pub use service::RECEIVED;

use crate::domain::{Money, MoneyError};

/// Why a store's payload could not become an order.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("the payload has no `{0}`")]
    Missing(&'static str),
    #[error("`{field}`: {source}")]
    Money { field: String, source: MoneyError },
    #[error("`{0}` is not a date")]
    Date(String),
}

/// Money written as a JSON string ("19.99") or number (19.99, as WooCommerce does for prices).
fn money(value: &serde_json::Value, field: &str) -> Result<Money, PayloadError> {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Null => return Ok(Money::ZERO),
        _ => String::new(),
    };
    if text.trim().is_empty() {
        return Ok(Money::ZERO);
    }
    Money::parse(&text).map_err(|source| PayloadError::Money { field: field.to_owned(), source })
}

/// A text field of a payload. JSON may carry a NUL character (`\u0000`), which means nothing
/// in a name or an address and which PostgreSQL refuses to store: it is dropped.
fn text(value: &serde_json::Value, key: &str) -> String {
    match value.get(key) {
        Some(serde_json::Value::String(s)) if s.contains('\0') => s.replace('\0', ""),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}
