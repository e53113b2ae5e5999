//! Quantities on hand pushed to the stores: a signed JSON POST per store to the URL the merchant
//! set, for the items whose QuickBooks name is one of the store's SKUs. Deliveries are stored
//! first and sent by a background worker, retried with growing waits, each outcome logged.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::entities::{inventory_delivery, inventory_level, sku_mapping, store, store_order};
use crate::error::{ServiceError, ServiceResult};
use crate::transaction_log::{LogBus, LogKind, LogLevel, NewLogEntry, record_log_entry};

pub const PENDING: &str = "PENDING";
pub const DELIVERED: &str = "DELIVERED";
pub const FAILED: &str = "FAILED";

/// Attempts before a delivery is given up on (the waits between them double from two seconds:
/// about a minute in all).
pub const MAX_ATTEMPTS: i32 = 6;
/// How long a worker holds a delivery it is sending, so another replica does not send it too.
const CLAIM: Duration = Duration::from_secs(60);

/// The wait before attempt `attempts + 1`.
pub fn backoff(attempts: i32) -> chrono::Duration {
    chrono::Duration::seconds(2i64.pow(attempts.clamp(1, 10) as u32))
}

/// The SKUs a store sells, as the store spells them: from its orders and from the SKUs the
/// merchant mapped by hand (with the item each was mapped to).
async fn store_skus(
    db: &impl sea_orm::ConnectionTrait,
    store: &store::Model,
) -> ServiceResult<Vec<(String, Option<String>)>> {
    let mut skus: Vec<(String, Option<String>)> = Vec::new();
    let payloads: Vec<serde_json::Value> = store_order::Entity::find()
        .select_only()
        .column(store_order::Column::Payload)
        .filter(store_order::Column::StoreId.eq(store.id))
        .into_tuple()
        .all(db)
        .await?;
    for payload in payloads {
        for line in payload["lines"].as_array().into_iter().flatten() {
            if let Some(sku) = line["sku"].as_str().map(str::trim).filter(|s| !s.is_empty())
                && !skus.iter().any(|(known, _)| known.eq_ignore_ascii_case(sku))
            {
                skus.push((sku.to_owned(), None));
            }
        }
    }
    let mapped =
        sku_mapping::Entity::find().filter(sku_mapping::Column::ConnectionId.eq(store.connection_id)).all(db).await?;
    for mapping in mapped {
        match skus.iter_mut().find(|(known, _)| known.eq_ignore_ascii_case(&mapping.sku)) {
            Some(known) => known.1 = Some(mapping.item_full_name),
            None => skus.push((mapping.sku, Some(mapping.item_full_name))),
        }
    }
    Ok(skus)
}

/// The store SKU an item is sold as: mapped to it by hand, or equal to its full name or to its
/// own name (`Hammer` for `Tools:Hammer`).
fn sku_for<'a>(skus: &'a [(String, Option<String>)], item_full_name: &str) -> Option<&'a str> {
    let own_name = item_full_name.rsplit(':').next().unwrap_or(item_full_name);
    skus.iter()
        .find(|(_, mapped)| mapped.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(item_full_name)))
        .or_else(|| {
            skus.iter().find(|(sku, mapped)| {
                mapped.is_none() && (sku.eq_ignore_ascii_case(item_full_name) || sku.eq_ignore_ascii_case(own_name))
            })
        })
        .map(|(sku, _)| sku.as_str())
}

/// Queues one delivery per store that receives quantities, with the changed items it sells.
pub async fn queue(
    db: &impl sea_orm::ConnectionTrait,
    connection_id: Uuid,
    changed: &[inventory_level::Model],
) -> ServiceResult<usize> {
    if changed.is_empty() {
        return Ok(0);
    }
    let stores = store::Entity::find()
        .filter(store::Column::ConnectionId.eq(connection_id))
        .filter(store::Column::InventoryUrl.is_not_null())
        .all(db)
        .await?;
    let mut queued = 0;
    for store in stores {
        let skus = store_skus(db, &store).await?;
        let items: Vec<serde_json::Value> = changed
            .iter()
            .filter_map(|level| {
                let sku = sku_for(&skus, &level.item_full_name)?;
                Some(json!({
                    "sku": sku,
                    "quickbooksItem": level.item_full_name,
                    "quantityOnHand": level.quantity_on_hand,
                    "changedAt": level.updated_at,
                }))
            })
            .collect();
        if items.is_empty() {
            continue;
        }
        let id = Uuid::now_v7();
        let body = json!({ "deliveryId": id, "storeId": store.id, "topic": "inventory/update", "items": items });
        inventory_delivery::ActiveModel {
            id: Set(id),
            store_id: Set(store.id),
            connection_id: Set(connection_id),
            body: Set(body.to_string()),
            items: Set(items.len() as i32),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(Utc::now()),
            last_error: Set(None),
            created_at: Set(Utc::now()),
            delivered_at: Set(None),
        }
        .insert(db)
        .await?;
        queued += 1;
    }
    Ok(queued)
}

/// Sends the deliveries that are due; returns how many were attempted.
pub async fn deliver_due(db: &DatabaseConnection, bus: &LogBus, client: &reqwest::Client) -> ServiceResult<usize> {
    let now = Utc::now();
    let due = inventory_delivery::Entity::find()
        .filter(inventory_delivery::Column::Status.eq(PENDING))
        .filter(inventory_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(inventory_delivery::Column::NextAttemptAt)
        .limit(20)
        .all(db)
        .await?;
    let mut attempted = 0;
    for delivery in due {
        // Claimed in one conditional update: of several replicas, one sends it.
        let claimed = inventory_delivery::Entity::update_many()
            .col_expr(inventory_delivery::Column::NextAttemptAt, Expr::value(now + CLAIM))
            .filter(inventory_delivery::Column::Id.eq(delivery.id))
            .filter(inventory_delivery::Column::NextAttemptAt.eq(delivery.next_attempt_at))
            .filter(inventory_delivery::Column::Status.eq(PENDING))
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let Some(store) = store::Entity::find_by_id(delivery.store_id).one(db).await? else { continue };
        attempted += 1;
        let outcome = match store.inventory_url.as_deref() {
            Some(url) => send(client, url, &store.webhook_secret, &delivery).await,
            None => Err("the store no longer has a URL for quantities".to_owned()),
        };
        record_attempt(db, bus, &store, delivery, outcome, now).await?;
    }
    Ok(attempted)
}

async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    delivery: &inventory_delivery::Model,
) -> Result<(), String> {
    let response = client
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Ledgerbridge-Topic", "inventory/update")
        .header("X-Ledgerbridge-Delivery-Id", delivery.id.to_string())
        .header("X-Ledgerbridge-Hmac-Sha256", crate::webhooks::signature::sign(secret, delivery.body.as_bytes()))
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|e| format!("could not reach {url}: {e}"))?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(format!("{url} answered {status}")),
    }
}

async fn record_attempt(
    db: &DatabaseConnection,
    bus: &LogBus,
    store: &store::Model,
    delivery: inventory_delivery::Model,
    outcome: Result<(), String>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let attempts = delivery.attempts + 1;
    let items = delivery.items;
    let connection_id = delivery.connection_id;
    let mut active: inventory_delivery::ActiveModel = delivery.into();
    active.attempts = Set(attempts);
    let (level, message) = match outcome {
        Ok(()) => {
            active.status = Set(DELIVERED.to_owned());
            active.delivered_at = Set(Some(Utc::now()));
            active.last_error = Set(None);
            (LogLevel::Info, format!("Quantities on hand of {items} items delivered to {}", store.name))
        }
        Err(error) if attempts >= MAX_ATTEMPTS => {
            active.status = Set(FAILED.to_owned());
            active.last_error = Set(Some(error.clone()));
            (
                LogLevel::Error,
                format!(
                    "Quantities on hand for {} could not be delivered after {attempts} attempts ({error}); check the \
                     store's inventory URL",
                    store.name
                ),
            )
        }
        Err(error) => {
            let wait = backoff(attempts);
            active.next_attempt_at = Set(now + wait);
            active.last_error = Set(Some(error.clone()));
            (
                LogLevel::Warning,
                format!(
                    "Quantities on hand for {} were not delivered ({error}); tried again in {} seconds",
                    store.name,
                    wait.num_seconds()
                ),
            )
        }
    };
    active.update(db).await?;
    let mut entry = NewLogEntry::info(connection_id, LogKind::InventoryPushed, message);
    entry.level = level;
    record_log_entry(db, bus, entry).await?;
    Ok(())
}

/// Sends due deliveries every second until the process stops. Errors are logged and the loop
/// goes on: a database away for a while delays deliveries, it loses none.
pub fn spawn_worker(db: DatabaseConnection, bus: LogBus) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
            Ok(client) => client,
            Err(err) => {
                tracing::error!(error = %err, "the inventory delivery worker cannot start");
                return;
            }
        };
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(err) = deliver_due(&db, &bus, &client).await {
                tracing::warn!(error = %err, "inventory deliveries are delayed");
            }
        }
    })
}

/// Checks a URL the merchant gives for quantities: http(s), and https unless it is this machine.
pub fn check_url(url: &str) -> Result<String, ServiceError> {
    let url = url.trim();
    let invalid = || ServiceError::invalid("url", "give the full address, starting with https://");
    let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    if host_name.is_empty() {
        return Err(invalid());
    }
    let local = matches!(host_name, "localhost" | "127.0.0.1" | "[::1]");
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(url.to_owned()),
        "http" if local => Ok(url.to_owned()),
        "http" => Err(ServiceError::invalid("url", "quantities are sent only over https (http only to localhost)")),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_found_by_their_name_their_full_name_or_a_hand_mapping() {
        let skus = vec![
            ("hammer".to_owned(), None),
            ("Tools:Saw".to_owned(), None),
            ("GW-1".to_owned(), Some("Gift Wrap".to_owned())),
        ];
        assert_eq!(sku_for(&skus, "Tools:Hammer"), Some("hammer"));
        assert_eq!(sku_for(&skus, "Tools:Saw"), Some("Tools:Saw"));
        assert_eq!(sku_for(&skus, "Gift Wrap"), Some("GW-1"));
        assert_eq!(sku_for(&skus, "Tools:Drill"), None, "items the store does not sell are not sent");
    }

    #[test]
    fn waits_double_and_urls_must_be_https_unless_local() {
        assert_eq!((backoff(1).num_seconds(), backoff(2).num_seconds(), backoff(5).num_seconds()), (2, 4, 32));
        assert!(check_url("https://shop.example/hooks/qty").is_ok());
        assert!(check_url("http://127.0.0.1:9000/qty").is_ok());
        assert!(check_url("http://shop.example/qty").is_err());
        assert!(check_url("shop.example").is_err());
    }
}
