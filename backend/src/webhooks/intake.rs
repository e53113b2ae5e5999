//! What a signed delivery asks for, read from its topic and body. Pure: the request reads it
//! to refuse an unreadable body at once (the store is told, the raw body kept) and hands what
//! it read to the intake worker; the worker reads a stored body itself when nothing was handed
//! over.

use super::{PayloadError, shopify, woocommerce};
use crate::orders::{Order, Refund};
use crate::stores::Platform;

/// What a delivery asks Ledgerbridge to do.
#[derive(Debug)]
pub enum Intake {
    /// A new or changed order.
    Upsert(Order),
    /// An order cancelled (Shopify) or deleted (WooCommerce) in the store, as it was last.
    Cancel(Order),
    /// A refund sent on its own, for the order with this store id.
    Refund { order_external_id: String, refund: Refund },
}

/// Why a signed delivery cannot be acted on.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    #[error("the body is not valid JSON ({0})")]
    Json(#[source] serde_json::Error),
    #[error(transparent)]
    Payload(#[from] PayloadError),
}

/// Reads a delivery; `Ok(None)` for a topic Ledgerbridge does not act on.
pub fn read(platform: Platform, topic: &str, body: &[u8]) -> Result<Option<Intake>, Unreadable> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(Unreadable::Json)?;
    let order = |json: &serde_json::Value| match platform {
        Platform::Woocommerce => woocommerce::to_order(json),
        _ => shopify::to_order(json),
    };
    let intake = match (platform, topic) {
        (Platform::Shopify, "refunds/create") => {
            let order_external_id = super::text(&json, "order_id");
            let refund = shopify::to_refund(&json)?;
            if order_external_id.is_empty() {
                return Err(PayloadError::Missing("order_id").into());
            }
            Intake::Refund { order_external_id, refund }
        }
        (Platform::Shopify, "orders/create" | "orders/updated" | "orders/paid" | "orders/fulfilled")
        | (Platform::Woocommerce, "order.created" | "order.updated") => Intake::Upsert(order(&json)?),
        (Platform::Shopify, "orders/cancelled") | (Platform::Woocommerce, "order.deleted") => {
            Intake::Cancel(order(&json)?)
        }
        _ => return Ok(None),
    };
    Ok(Some(intake))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &[u8] = br##"{"id":5,"name":"#1005","created_at":"2026-11-26T10:00:00Z","currency":"USD",
        "line_items":[{"sku":"A","title":"A","quantity":1,"price":"2.00"}],"total_price":"2.00"}"##;

    #[test]
    fn topics_decide_what_a_delivery_asks_for() {
        assert!(
            matches!(read(Platform::Shopify, "orders/create", ORDER), Ok(Some(Intake::Upsert(o))) if o.number == "#1005")
        );
        assert!(matches!(read(Platform::Shopify, "orders/cancelled", ORDER), Ok(Some(Intake::Cancel(_)))));
        assert!(matches!(read(Platform::Shopify, "products/update", ORDER), Ok(None)));
        assert!(
            matches!(read(Platform::Woocommerce, "orders/create", ORDER), Ok(None)),
            "Shopify's topic names only for Shopify"
        );
    }

    #[test]
    fn unreadable_bodies_say_why() {
        assert!(matches!(read(Platform::Shopify, "products/update", b"{nope"), Err(Unreadable::Json(_))));
        let refund = br#"{"id":1,"created_at":"2026-11-26T10:00:00Z","refund_line_items":[]}"#;
        let err = read(Platform::Shopify, "refunds/create", refund).unwrap_err();
        assert_eq!(err.to_string(), "the payload has no `order_id`");
    }
}
