//! One webhook delivery: checked, kept, de-duplicated, and turned into an order or a refund.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{PayloadError, shopify, signature, woocommerce};
use crate::db_enum;
use crate::entities::{store, webhook_event};
use crate::error::ServiceResult;
use crate::orders::OrderStatus;
use crate::orders::refunds::attach_refund;
use crate::orders::service::upsert_order;
use crate::stores::Platform;
use crate::transaction_log::{LogBus, LogKind, LogLevel, NewLogEntry, record_log_entry};

/// What the store sent besides the body.
pub struct Delivery<'a> {
    pub signature: Option<&'a str>,
    pub topic: &'a str,
    pub event_id: Option<&'a str>,
}

/// The HTTP answer for the store.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub message: String,
}

fn answer(status: u16, message: impl Into<String>) -> Answer {
    Answer { status, message: message.into() }
}

async fn log(
    db: &DatabaseConnection,
    bus: &LogBus,
    store: &store::Model,
    level: LogLevel,
    kind: LogKind,
    message: String,
) -> ServiceResult<()> {
    let mut entry = NewLogEntry::info(store.connection_id, kind, message);
    entry.level = level;
    record_log_entry(db, bus, entry).await.map(|_| ())
}

/// WooCommerce's first delivery is an unsigned `webhook_id=N` ping that must get a 200.
fn is_woocommerce_ping(body: &[u8]) -> bool {
    std::str::from_utf8(body)
        .ok()
        .and_then(|text| text.trim().strip_prefix("webhook_id="))
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
}

pub async fn receive(
    db: &DatabaseConnection,
    bus: &LogBus,
    platform: &str,
    store_id: &str,
    delivery: Delivery<'_>,
    body: &[u8],
) -> ServiceResult<Answer> {
    let Some(store) = (match Uuid::parse_str(store_id) {
        Ok(id) => store::Entity::find_by_id(id).one(db).await?,
        Err(_) => None,
    }) else {
        return Ok(answer(404, "no such store"));
    };
    let store_platform: Platform = db_enum::from_db(&store.platform).unwrap_or(Platform::Custom);
    if store_platform.webhook_segment() != platform {
        return Ok(answer(404, "no such store"));
    }
    if store_platform == Platform::Woocommerce && delivery.signature.is_none() && is_woocommerce_ping(body) {
        return Ok(answer(200, "ok"));
    }
    // The signature is checked before a byte of the body is interpreted.
    let signed = delivery.signature.is_some_and(|s| signature::is_valid(&store.webhook_secret, body, s));
    if !signed {
        let why = if delivery.signature.is_none() {
            "it was not signed"
        } else {
            "its signature does not match the store's secret"
        };
        log(
            db,
            bus,
            &store,
            LogLevel::Warning,
            LogKind::WebhookRefused,
            format!("A webhook for {} was refused: {why}. Nothing was stored.", store.name),
        )
        .await?;
        return Ok(answer(401, "invalid signature"));
    }
    let event_id = delivery.event_id.map(str::to_owned).unwrap_or_else(|| hex::encode(Sha256::digest(body)));
    let raw = String::from_utf8_lossy(body).into_owned();
    let event = webhook_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        store_id: Set(store.id),
        topic: Set(delivery.topic.to_owned()),
        event_id: Set(event_id),
        outcome: Set("RECEIVED".to_owned()),
        raw_body: Set(raw),
        order_id: Set(None),
        error: Set(None),
        received_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    let event = match event {
        Ok(event) => event,
        Err(err) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(answer(200, "already received"));
        }
        Err(err) => return Err(err.into()),
    };
    let finish = |outcome: &str, order_id: Option<Uuid>, error: Option<String>| {
        let mut active: webhook_event::ActiveModel = event.clone().into();
        active.outcome = Set(outcome.to_owned());
        active.order_id = Set(order_id);
        active.error = Set(error);
        active
    };
    let json: serde_json::Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(err) => {
            finish("MALFORMED", None, Some(err.to_string())).update(db).await?;
            log(
                db,
                bus,
                &store,
                LogLevel::Error,
                LogKind::WebhookMalformed,
                format!(
                    "A signed webhook from {} was not valid JSON ({err}); the raw body is kept for support",
                    store.name
                ),
            )
            .await?;
            return Ok(answer(400, "the body is not valid JSON"));
        }
    };
    enum Action {
        Upsert,
        Cancel,
        Refund,
    }
    let action = match (store_platform, delivery.topic) {
        (Platform::Shopify, "refunds/create") => Action::Refund,
        (Platform::Shopify, "orders/create" | "orders/updated" | "orders/paid" | "orders/fulfilled") => Action::Upsert,
        (Platform::Shopify, "orders/cancelled") | (Platform::Woocommerce, "order.deleted") => Action::Cancel,
        (Platform::Woocommerce, "order.created" | "order.updated") => Action::Upsert,
        (_, topic) => {
            finish("IGNORED", None, None).update(db).await?;
            log(
                db,
                bus,
                &store,
                LogLevel::Info,
                LogKind::WebhookIgnored,
                format!("A webhook from {} about \"{topic}\" was received and ignored", store.name),
            )
            .await?;
            return Ok(answer(200, "ignored"));
        }
    };
    if let Action::Refund = action {
        let order_id = super::text(&json, "order_id");
        let refund = match shopify::to_refund(&json) {
            Ok(refund) if !order_id.is_empty() => refund,
            Ok(_) => {
                return malformed(db, bus, &store, finish("MALFORMED", None, None), PayloadError::Missing("order_id"))
                    .await;
            }
            Err(err) => return malformed(db, bus, &store, finish("MALFORMED", None, None), err).await,
        };
        return match attach_refund(db, bus, store.id, &order_id, refund).await? {
            Some(order) => {
                finish("REFUND_STORED", Some(order.id), None).update(db).await?;
                Ok(answer(200, "ok"))
            }
            None => {
                finish("ORDER_UNKNOWN", None, None).update(db).await?;
                log(
                    db,
                    bus,
                    &store,
                    LogLevel::Warning,
                    LogKind::RefundReceived,
                    format!(
                        "A refund from {} is for order {order_id}, which Ledgerbridge has not received; it is kept, and \
                         arrives with the order's next update",
                        store.name
                    ),
                )
                .await?;
                Ok(answer(200, "order not known yet"))
            }
        };
    }
    let mapped = match store_platform {
        Platform::Woocommerce => woocommerce::to_order(&json),
        _ => shopify::to_order(&json),
    };
    let order = match mapped {
        Ok(order) => order,
        Err(err) => return malformed(db, bus, &store, finish("MALFORMED", None, None), err).await,
    };
    let stored = upsert_order(db, bus, &store, order).await?.order;
    finish("ORDER_STORED", Some(stored.id), None).update(db).await?;
    if let Action::Cancel = action {
        cancel(db, bus, &store, stored).await?;
    }
    Ok(answer(200, "ok"))
}

/// A signed payload that is not a readable order or refund: 400, logged, the raw body kept.
async fn malformed(
    db: &DatabaseConnection,
    bus: &LogBus,
    store: &store::Model,
    mut event: webhook_event::ActiveModel,
    err: PayloadError,
) -> ServiceResult<Answer> {
    event.error = Set(Some(err.to_string()));
    event.update(db).await?;
    log(
        db,
        bus,
        store,
        LogLevel::Error,
        LogKind::WebhookMalformed,
        format!("A webhook from {} could not be read ({err}); the raw body is kept for support", store.name),
    )
    .await?;
    Ok(answer(400, err.to_string()))
}

/// An order cancelled in the store: one not sent yet is skipped; one already in QuickBooks is
/// flagged for the merchant, who can undo it from the dashboard.
async fn cancel(
    db: &DatabaseConnection,
    bus: &LogBus,
    store: &store::Model,
    row: crate::entities::store_order::Model,
) -> ServiceResult<()> {
    let status: Option<OrderStatus> = db_enum::from_db(&row.sync_status);
    let in_quickbooks = matches!(status, Some(OrderStatus::Synced | OrderStatus::RepostRequested));
    let void = in_quickbooks && {
        let connection = crate::entities::qb_connection::Entity::find_by_id(row.connection_id).one(db).await?;
        let settings = match connection {
            Some(connection) => crate::wizard::service::load(db, &connection).await?.settings,
            None => crate::wizard::Settings::default(),
        };
        settings.orders.is_some_and(|o| o.when_cancelled_after_sync == crate::wizard::CancelledAfterSync::Void)
    };
    let (message, new_status) = match (in_quickbooks, void) {
        (true, true) => (
            format!(
                "Order {} was cancelled in {} after it reached QuickBooks: the next run voids it there",
                row.order_number, store.name
            ),
            Some(OrderStatus::VoidRequested),
        ),
        (true, false) => (
            format!(
                "Order {} was cancelled in {} after it reached QuickBooks: undo it there from the order's page",
                row.order_number, store.name
            ),
            None,
        ),
        (false, _) => (
            format!("Order {} was cancelled in {}: it will not be sent to QuickBooks", row.order_number, store.name),
            Some(OrderStatus::Skipped),
        ),
    };
    let mut entry = NewLogEntry::info(row.connection_id, LogKind::OrderCancelled, message);
    entry.level = if in_quickbooks { LogLevel::Warning } else { LogLevel::Info };
    entry.order_id = Some(row.id);
    entry.order_number = Some(row.order_number.clone());
    if let Some(new_status) = new_status
        && !matches!(status, Some(OrderStatus::Voided | OrderStatus::VoidRequested | OrderStatus::UndoRequested))
    {
        let mut active: crate::entities::store_order::ActiveModel = row.into();
        active.sync_status = Set(db_enum::to_db(&new_status));
        active.update(db).await?;
    }
    record_log_entry(db, bus, entry).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::is_woocommerce_ping;

    #[test]
    fn only_the_exact_ping_body_is_a_ping() {
        assert!(is_woocommerce_ping(b"webhook_id=42"));
        assert!(!is_woocommerce_ping(b"webhook_id="));
        assert!(!is_woocommerce_ping(b"webhook_id=42&x=1"));
        assert!(!is_woocommerce_ping(br#"{"id":42}"#));
    }
}
