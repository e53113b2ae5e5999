//! One webhook delivery as the store sees it: the signature checked before anything is read,
//! the raw body stored once (de-duplicated on the store's delivery id), and the answer given.
//! The order or refund it carries is made after, by the intake worker: the store is never kept
//! waiting on that, and a delivery stored is never lost.

use chrono::Utc;
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::intake;
use super::intake_writer::Stored;
use super::signature;
use crate::app::AppState;
use crate::db_enum;
use crate::entities::{store, webhook_event};
use crate::error::{ServiceError, ServiceResult};
use crate::stores::Platform;
use crate::transaction_log::{LogBus, LogKind, LogLevel, NewLogEntry, record_log_entry};

/// The outcome of a delivery stored and not acted on yet.
pub const RECEIVED: &str = "RECEIVED";

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

/// The body as text to keep for support, whatever its bytes: invalid UTF-8, and the NUL
/// character PostgreSQL refuses to store in text, become U+FFFD. A body that could not be
/// kept would be refused again on every resend.
fn kept_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.contains('\0') { text.replace('\0', "\u{FFFD}") } else { text.into_owned() }
}

/// WooCommerce's first delivery is an unsigned `webhook_id=N` ping that must get a 200.
fn is_woocommerce_ping(body: &[u8]) -> bool {
    std::str::from_utf8(body)
        .ok()
        .and_then(|text| text.trim().strip_prefix("webhook_id="))
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
}

pub async fn receive(
    app: &AppState,
    platform: &str,
    store_id: &str,
    delivery: Delivery<'_>,
    body: &[u8],
) -> ServiceResult<Answer> {
    let (db, bus) = (&app.db, &app.log_bus);
    let Some(store) = (match Uuid::parse_str(store_id) {
        Ok(id) => app.webhook_stores.get(db, id).await?,
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
    let read = intake::read(store_platform, delivery.topic, body);
    let (outcome, error) = match &read {
        Ok(Some(_)) => (RECEIVED, None),
        Ok(None) => ("IGNORED", None),
        Err(err) => ("MALFORMED", Some(err.to_string())),
    };
    let event_id = delivery.event_id.map(str::to_owned).unwrap_or_else(|| hex::encode(Sha256::digest(body)));
    let row = webhook_event::Model {
        id: Uuid::now_v7(),
        store_id: store.id,
        topic: delivery.topic.to_owned(),
        event_id,
        outcome: outcome.to_owned(),
        raw_body: kept_text(body),
        order_id: None,
        error,
        received_at: Utc::now(),
    };
    // Offered before it is stored: the worker may take the delivery the moment it is.
    let event_id = row.id;
    let read = read.map(|intake| intake.map(|intake| app.intake_handover.offer(event_id, intake)).is_some());
    let stored = app.intake.store(row).await;
    if !matches!(stored, Ok(Stored::New)) {
        app.intake_handover.withdraw(event_id);
    }
    match stored {
        Ok(Stored::New) => {}
        Ok(Stored::Repeat) => return Ok(answer(200, "already received")),
        // Not acknowledged: the store sends it again.
        Err(err) => return Err(ServiceError::Internal(err.into())),
    }
    match read {
        // Stored: the store has its answer now, the intake worker makes the order.
        Ok(true) => Ok(answer(200, "ok")),
        Ok(false) => {
            log(
                db,
                bus,
                &store,
                LogLevel::Info,
                LogKind::WebhookIgnored,
                format!("A webhook from {} about \"{}\" was received and ignored", store.name, delivery.topic),
            )
            .await?;
            Ok(answer(200, "ignored"))
        }
        Err(err) => {
            log(
                db,
                bus,
                &store,
                LogLevel::Error,
                LogKind::WebhookMalformed,
                format!(
                    "A signed webhook from {} could not be read: {err}. The raw body is kept for support",
                    store.name
                ),
            )
            .await?;
            Ok(answer(400, err.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{is_woocommerce_ping, kept_text};

    #[test]
    fn kept_bodies_hold_no_nul_and_only_valid_utf8() {
        assert_eq!(kept_text(b"{\"name\": \"#1\0\"}"), "{\"name\": \"#1\u{FFFD}\"}");
        assert_eq!(kept_text(&[b'a', 0xFF, b'b']), "a\u{FFFD}b");
        assert_eq!(kept_text("Zoë".as_bytes()), "Zoë");
    }

    #[test]
    fn only_the_exact_ping_body_is_a_ping() {
        assert!(is_woocommerce_ping(b"webhook_id=42"));
        assert!(!is_woocommerce_ping(b"webhook_id="));
        assert!(!is_woocommerce_ping(b"webhook_id=42&x=1"));
        assert!(!is_woocommerce_ping(br#"{"id":42}"#));
    }
}
