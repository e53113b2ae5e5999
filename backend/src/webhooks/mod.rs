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
        // Not an amount: refused, the character shown in the reason as one that can be kept.
        serde_json::Value::String(s) if s.contains('\0') => {
            let shown = s.replace('\0', "\u{FFFD}");
            return Err(PayloadError::Money { field: field.to_owned(), source: MoneyError::NotANumber(shown) });
        }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{money, text};

    #[test]
    fn nul_characters_never_reach_an_order_nor_an_error() {
        assert_eq!(text(&json!({ "name": "Zo\u{0}e" }), "name"), "Zoe");
        let refused = money(&json!("2.5\u{0}0"), "price").expect_err("not an amount");
        assert_eq!(refused.to_string(), "`price`: `2.5\u{FFFD}0` is not an amount of money");
    }
}
