//! Storing orders from any store, idempotently, and reading them back.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::Order;
use crate::accounts::Caller;
use crate::connections::find_owned;
use crate::db_enum;
use crate::entities::{store, store_order};
use crate::error::{ServiceError, ServiceResult};
use crate::stores::find_owned_store;
use crate::transaction_log::{LogBus, LogKind, LogLevel, NewLogEntry, record_log_entry};
use crate::wizard::ChangedAfterSync;
use crate::wizard::Settings;
use crate::wizard::service::settings_of;

/// Where an order stands with QuickBooks.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Waiting for the next Web Connector run.
    Pending,
    /// In QuickBooks.
    Synced,
    /// QuickBooks refused it, or the settings say to fail such orders.
    Failed,
    /// Waiting for the merchant (a SKU to map, a tax mapping to add…).
    Parked,
    /// Skipped by the merchant.
    Skipped,
    /// Left out by the status filter of the Orders step.
    Filtered,
    /// In QuickBooks, to be deleted there on the next Web Connector run.
    UndoRequested,
    /// Changed in the store after it reached QuickBooks: deleted there and sent again on the
    /// next run (the Orders step's "repost" setting).
    RepostRequested,
    /// Cancelled in the store after it reached QuickBooks: voided there on the next run.
    VoidRequested,
    /// Voided in QuickBooks: the transaction stays, with its number and zero amounts.
    Voided,
}

impl OrderStatus {
    /// The statuses whose QuickBooks transaction the next run deletes or voids.
    pub const UNDOING: [OrderStatus; 3] =
        [OrderStatus::UndoRequested, OrderStatus::RepostRequested, OrderStatus::VoidRequested];
}

/// What importing one order did.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub order: store_order::Model,
    pub created: bool,
}

fn passes_filter(filter: &[String], order: &Order) -> bool {
    filter.is_empty()
        || [order.financial_status.as_deref(), order.fulfillment_status.as_deref()]
            .into_iter()
            .flatten()
            .any(|status| filter.iter().any(|f| f.eq_ignore_ascii_case(status.trim())))
}

/// Stores an order, or updates the stored one with the same store and external id: importing
/// twice never makes two orders. The Orders step's status filter decides PENDING or FILTERED.
pub async fn upsert_order(
    db: &impl ConnectionTrait,
    bus: &LogBus,
    store: &store::Model,
    order: Order,
) -> ServiceResult<ImportOutcome> {
    let settings = settings_of(db, store.connection_id).await?;
    upsert_order_with(db, bus, store, &settings, order).await
}

/// [`upsert_order`] with the connection's settings already read: many orders of one store
/// stored in a row read them once.
pub async fn upsert_order_with(
    db: &impl ConnectionTrait,
    bus: &LogBus,
    store: &store::Model,
    settings: &Settings,
    order: Order,
) -> ServiceResult<ImportOutcome> {
    let existing = store_order::Entity::find()
        .filter(store_order::Column::StoreId.eq(store.id))
        .filter(store_order::Column::ExternalId.eq(order.external_id.clone()))
        .one(db)
        .await?;
    let Some(row) = existing else {
        let (row, entries) = new_order(store, settings, &order)?;
        let model = row.into_active_model().insert(db).await?;
        for entry in entries {
            record_log_entry(db, bus, entry).await?;
        }
        super::refunds::record_refunds(db, bus, &model, &order.refunds).await?;
        return Ok(ImportOutcome { order: model, created: true });
    };
    let status = intake_status(settings, &order);
    let payload = serde_json::to_value(&order).map_err(ServiceError::internal)?;
    let current: Option<OrderStatus> = db_enum::from_db(&row.sync_status);
    let in_quickbooks = matches!(current, Some(OrderStatus::Synced | OrderStatus::Voided))
        || current.is_some_and(|c| OrderStatus::UNDOING.contains(&c));
    let mut changed_after_sync = None;
    if current == Some(OrderStatus::Synced) && !order_of(&row)?.posts_like(&order) {
        let action = settings.orders.as_ref().map(|o| o.when_changed_after_sync).unwrap_or_default();
        changed_after_sync = Some(action);
    }
    let mut active: store_order::ActiveModel = row.into();
    active.payload = Set(payload);
    active.order_number = Set(order.number.clone());
    active.updated_at = Set(Utc::now());
    if !in_quickbooks {
        active.sync_status = Set(db_enum::to_db(&status));
    } else if changed_after_sync == Some(ChangedAfterSync::Repost) {
        active.sync_status = Set(db_enum::to_db(&OrderStatus::RepostRequested));
    }
    let model = active.update(db).await?;
    let message = format!("Order {} updated from {}", order.number, store.name);
    for entry in received_entries(store, &model, &order, message) {
        record_log_entry(db, bus, entry).await?;
    }
    if let Some(action) = changed_after_sync {
        let message = match action {
            ChangedAfterSync::Repost => format!(
                "Order {} changed in {} after it reached QuickBooks: the next run deletes it there and sends it again",
                order.number, store.name
            ),
            ChangedAfterSync::Flag => format!(
                "Order {} changed in {} after it reached QuickBooks, which keeps the order as it was sent: undo and \
                 retry it to send the change (or set the Orders step to re-post changed orders)",
                order.number, store.name
            ),
        };
        let mut changed = NewLogEntry::info(store.connection_id, LogKind::OrderChanged, message);
        changed.level = LogLevel::Warning;
        changed.order_id = Some(model.id);
        changed.order_number = Some(order.number.clone());
        record_log_entry(db, bus, changed).await?;
    }
    super::refunds::record_refunds(db, bus, &model, &order.refunds).await?;
    Ok(ImportOutcome { order: model, created: false })
}

/// PENDING, or FILTERED when the Orders step's status filter leaves the order out.
fn intake_status(settings: &Settings, order: &Order) -> OrderStatus {
    let filter = settings.orders.as_ref().map(|o| o.status_filter.as_slice()).unwrap_or_default();
    if passes_filter(filter, order) { OrderStatus::Pending } else { OrderStatus::Filtered }
}

/// The row of an order not stored yet, and the log entries that say it arrived.
pub fn new_order(
    store: &store::Model,
    settings: &Settings,
    order: &Order,
) -> ServiceResult<(store_order::Model, Vec<NewLogEntry>)> {
    let status = intake_status(settings, order);
    let now = Utc::now();
    let row = store_order::Model {
        id: Uuid::now_v7(),
        store_id: store.id,
        connection_id: store.connection_id,
        external_id: order.external_id.clone(),
        order_number: order.number.clone(),
        sync_status: db_enum::to_db(&status),
        payload: serde_json::to_value(order).map_err(ServiceError::internal)?,
        created_at: now,
        updated_at: now,
        qb_txn_id: None,
        qb_txn_type: None,
        qb_ref_number: None,
        qb_payment_txn_id: None,
        qb_invoice_txn_id: None,
        attempts: 0,
        last_error: None,
        synced_at: None,
    };
    let message = match status {
        OrderStatus::Filtered => format!("Order {} received and left out by the status filter", order.number),
        _ => format!("Order {} received from {}", order.number, store.name),
    };
    let entries = received_entries(store, &row, order, message);
    Ok((row, entries))
}

/// "Received" (or "updated"), after a warning when the store's figures do not add up.
fn received_entries(
    store: &store::Model,
    row: &store_order::Model,
    order: &Order,
    message: String,
) -> Vec<NewLogEntry> {
    let about = |mut entry: NewLogEntry| {
        entry.order_id = Some(row.id);
        entry.order_number = Some(order.number.clone());
        entry
    };
    let mut entries = Vec::with_capacity(2);
    if let Some(problem) = order.arithmetic_problem() {
        let mut warning = NewLogEntry::info(
            store.connection_id,
            LogKind::OrderReceived,
            format!("Order {} does not add up: {problem}", order.number),
        );
        warning.level = LogLevel::Warning;
        entries.push(about(warning));
    }
    entries.push(about(NewLogEntry::info(store.connection_id, LogKind::OrderReceived, message)));
    entries
}

/// Imports orders for a partner, each on its own: one bad order does not stop the others.
pub async fn import(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    store_id: Uuid,
    orders: Vec<Order>,
) -> ServiceResult<Vec<ServiceResult<ImportOutcome>>> {
    let store = find_owned_store(db, caller, store_id).await?;
    let mut results = Vec::with_capacity(orders.len());
    for order in orders {
        results.push(upsert_order(db, bus, &store, order).await);
    }
    Ok(results)
}

/// A connection's orders, newest first, after the cursor `before` (an order id).
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    connection_id: Uuid,
    status: Option<OrderStatus>,
    before: Option<Uuid>,
    limit: u64,
) -> ServiceResult<Vec<store_order::Model>> {
    let connection = find_owned(db, caller, connection_id).await?;
    let mut condition = Condition::all().add(store_order::Column::ConnectionId.eq(connection.id));
    if let Some(status) = status {
        condition = condition.add(store_order::Column::SyncStatus.eq(db_enum::to_db(&status)));
    }
    if let Some(before) = before {
        condition = condition.add(store_order::Column::Id.lt(before));
    }
    // Ids are time-ordered (UUID v7): ordering by id is ordering by arrival.
    Ok(store_order::Entity::find()
        .filter(condition)
        .order_by_desc(store_order::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn find_owned_order(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> ServiceResult<store_order::Model> {
    let order = store_order::Entity::find_by_id(id).one(db).await?.ok_or(ServiceError::NotFound("order"))?;
    find_owned(db, caller, order.connection_id).await.map_err(|_| ServiceError::NotFound("order"))?;
    Ok(order)
}

/// The canonical order stored with a row.
pub fn order_of(row: &store_order::Model) -> ServiceResult<Order> {
    Order::deserialize(&row.payload).map_err(ServiceError::internal)
}

/// Puts a failed, parked or skipped order back in the queue for the next Web Connector run.
pub async fn retry(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    id: Uuid,
) -> ServiceResult<store_order::Model> {
    let row = find_owned_order(db, caller, id).await?;
    let status: Option<OrderStatus> = db_enum::from_db(&row.sync_status);
    if status == Some(OrderStatus::Synced) && super::refunds::retry_failed_refunds(db, row.id).await? > 0 {
        let mut entry = NewLogEntry::info(
            row.connection_id,
            LogKind::RefundReceived,
            format!("The failed refunds of order {} are queued again for the next Web Connector run", row.order_number),
        );
        entry.order_id = Some(row.id);
        entry.order_number = Some(row.order_number.clone());
        record_log_entry(db, bus, entry).await?;
        return Ok(row);
    }
    if !matches!(status, Some(OrderStatus::Failed | OrderStatus::Parked | OrderStatus::Skipped | OrderStatus::Filtered))
    {
        return Err(ServiceError::Conflict(format!(
            "order {} is {}: only failed, parked, skipped or filtered orders can be retried",
            row.order_number,
            row.sync_status.to_lowercase()
        )));
    }
    set_status(db, bus, row, OrderStatus::Pending, "queued again for the next Web Connector run").await
}

/// Maps a store SKU to a QuickBooks item by hand (the item found as the wizard finds names:
/// `Hammer` finds `Tools:Hammer`), then queues the parked orders again: the next run sends
/// the ones nothing else holds back.
pub async fn map_sku(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    connection_id: Uuid,
    sku: &str,
    item: &str,
) -> ServiceResult<crate::entities::sku_mapping::Model> {
    use crate::entities::sku_mapping;
    use crate::quickbooks_lists::{ListKind, ListSnapshot};
    let connection = find_owned(db, caller, connection_id).await?;
    let sku = sku.trim();
    if sku.is_empty() {
        return Err(ServiceError::invalid("sku", "give the store SKU to map"));
    }
    let lists = ListSnapshot::load(db, connection.id, &[ListKind::Item]).await?;
    let item = lists
        .find(&[ListKind::Item], item, "item")
        .map_err(|err| ServiceError::Validation(vec![err]))?
        .full_name
        .clone();
    let row = sku_mapping::ActiveModel {
        connection_id: Set(connection.id),
        sku_key: Set(sku.to_lowercase()),
        sku: Set(sku.to_owned()),
        item_full_name: Set(item.clone()),
        created_at: Set(Utc::now()),
    };
    sku_mapping::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([sku_mapping::Column::ConnectionId, sku_mapping::Column::SkuKey])
                .update_columns([
                    sku_mapping::Column::Sku,
                    sku_mapping::Column::ItemFullName,
                    sku_mapping::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let requeued = store_order::Entity::update_many()
        .col_expr(
            store_order::Column::SyncStatus,
            sea_orm::sea_query::Expr::value(db_enum::to_db(&OrderStatus::Pending)),
        )
        .filter(store_order::Column::ConnectionId.eq(connection.id))
        .filter(store_order::Column::SyncStatus.eq(db_enum::to_db(&OrderStatus::Parked)))
        .exec(db)
        .await?
        .rows_affected;
    let message =
        format!("SKU \"{sku}\" now maps to the QuickBooks item \"{item}\"; {requeued} parked orders are queued again");
    record_log_entry(db, bus, NewLogEntry::info(connection.id, LogKind::SettingsSaved, message)).await?;
    sku_mapping::Entity::find_by_id((connection.id, sku.to_lowercase()))
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("SKU mapping"))
}

/// One day of the dashboard's chart.
#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject)]
pub struct OrderDay {
    /// The day, UTC, as YYYY-MM-DD.
    pub date: String,
    pub synced: i32,
    pub failed: i32,
}

/// One store's orders by status.
#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject)]
pub struct StoreOrderCounts {
    pub store_id: async_graphql::ID,
    pub store_name: String,
    pub pending: i32,
    pub synced: i32,
    pub failed: i32,
    pub parked: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject)]
pub struct OrderStats {
    /// The last `days` days, oldest first, every day present.
    pub days: Vec<OrderDay>,
    pub stores: Vec<StoreOrderCounts>,
}

/// The dashboard's numbers: orders synced and failed per day, and each store's orders by status.
pub async fn stats(
    db: &DatabaseConnection,
    caller: &Caller,
    connection_id: Uuid,
    days: u32,
) -> ServiceResult<OrderStats> {
    use crate::entities::store;
    let connection = find_owned(db, caller, connection_id).await?;
    let rows = store_order::Entity::find().filter(store_order::Column::ConnectionId.eq(connection.id)).all(db).await?;
    let stores = store::Entity::find()
        .filter(store::Column::ConnectionId.eq(connection.id))
        .order_by_asc(store::Column::CreatedAt)
        .all(db)
        .await?;
    let today = Utc::now().date_naive();
    let mut chart: Vec<OrderDay> = (0..days.max(1))
        .rev()
        .map(|back| OrderDay {
            date: (today - chrono::Duration::days(i64::from(back))).to_string(),
            synced: 0,
            failed: 0,
        })
        .collect();
    let mut counts: Vec<StoreOrderCounts> = stores
        .iter()
        .map(|s| StoreOrderCounts {
            store_id: async_graphql::ID(s.id.to_string()),
            store_name: s.name.clone(),
            pending: 0,
            synced: 0,
            failed: 0,
            parked: 0,
        })
        .collect();
    for row in rows {
        let status: Option<OrderStatus> = db_enum::from_db(&row.sync_status);
        if let Some(store) = counts.iter_mut().find(|c| c.store_id.as_str() == row.store_id.to_string()) {
            match status {
                Some(OrderStatus::Pending) => store.pending += 1,
                Some(OrderStatus::Synced) => store.synced += 1,
                Some(OrderStatus::Failed) => store.failed += 1,
                Some(OrderStatus::Parked) => store.parked += 1,
                _ => {}
            }
        }
        let (day, synced) = match status {
            Some(OrderStatus::Synced) => (row.synced_at.unwrap_or(row.updated_at).date_naive().to_string(), true),
            Some(OrderStatus::Failed) => (row.updated_at.date_naive().to_string(), false),
            _ => continue,
        };
        if let Some(entry) = chart.iter_mut().find(|d| d.date == day) {
            if synced { entry.synced += 1 } else { entry.failed += 1 }
        }
    }
    Ok(OrderStats { days: chart, stores: counts })
}

/// Which stored orders Sync Now sends again.
#[derive(Debug, Clone, Default)]
pub struct SyncNowFilter {
    pub from: Option<chrono::DateTime<Utc>>,
    pub to: Option<chrono::DateTime<Utc>>,
    pub order_numbers: Vec<String>,
}

/// Sync Now: queues the connection's orders placed in the range (or with the given numbers)
/// that are not in QuickBooks yet for the next Web Connector run. Orders already in QuickBooks
/// stay as they are — sending one again could only duplicate it. Returns how many were queued.
pub async fn sync_now(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    connection_id: Uuid,
    filter: SyncNowFilter,
) -> ServiceResult<usize> {
    let connection = find_owned(db, caller, connection_id).await?;
    let waiting =
        [OrderStatus::Failed, OrderStatus::Parked, OrderStatus::Skipped, OrderStatus::Filtered, OrderStatus::Pending];
    let rows = store_order::Entity::find()
        .filter(store_order::Column::ConnectionId.eq(connection.id))
        .filter(store_order::Column::SyncStatus.is_in(waiting.iter().map(db_enum::to_db)))
        .all(db)
        .await?;
    let numbers: Vec<String> =
        filter.order_numbers.iter().map(|n| n.trim().trim_start_matches('#').to_lowercase()).collect();
    let mut queued = 0;
    for row in rows {
        let order = order_of(&row)?;
        let in_range =
            filter.from.is_none_or(|from| order.placed_at >= from) && filter.to.is_none_or(|to| order.placed_at < to);
        let named = numbers.is_empty() || numbers.contains(&row.order_number.trim_start_matches('#').to_lowercase());
        if in_range && named {
            if row.sync_status != db_enum::to_db(&OrderStatus::Pending) {
                set_status(db, bus, row, OrderStatus::Pending, "queued by Sync Now for the next Web Connector run")
                    .await?;
            }
            queued += 1;
        }
    }
    let mut entry = NewLogEntry::info(
        connection.id,
        LogKind::OrderReceived,
        format!("Sync Now: {queued} orders wait for the next Web Connector run"),
    );
    entry.details = Some(serde_json::json!({ "queued": queued }));
    record_log_entry(db, bus, entry).await?;
    Ok(queued)
}

/// The webhook deliveries that carried an order, newest first, raw as received.
pub async fn deliveries(
    db: &DatabaseConnection,
    order_id: Uuid,
) -> ServiceResult<Vec<crate::entities::webhook_event::Model>> {
    use crate::entities::webhook_event;
    Ok(webhook_event::Entity::find()
        .filter(webhook_event::Column::OrderId.eq(order_id))
        .order_by_desc(webhook_event::Column::ReceivedAt)
        .all(db)
        .await?)
}

/// Asks the next Web Connector run to delete the order's transactions from QuickBooks.
pub async fn undo(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    id: Uuid,
) -> ServiceResult<store_order::Model> {
    let row = find_owned_order(db, caller, id).await?;
    if row.sync_status != db_enum::to_db(&OrderStatus::Synced) || row.qb_txn_id.is_none() {
        return Err(ServiceError::Conflict(format!(
            "order {} is not in QuickBooks, so there is nothing to undo",
            row.order_number
        )));
    }
    set_status(
        db,
        bus,
        row,
        OrderStatus::UndoRequested,
        "will be deleted from QuickBooks on the next Web Connector run",
    )
    .await
}

/// Leaves an order out of syncing until it is retried.
pub async fn skip(
    db: &DatabaseConnection,
    bus: &LogBus,
    caller: &Caller,
    id: Uuid,
) -> ServiceResult<store_order::Model> {
    let row = find_owned_order(db, caller, id).await?;
    if row.sync_status == db_enum::to_db(&OrderStatus::Synced) {
        return Err(ServiceError::Conflict(format!("order {} is already in QuickBooks", row.order_number)));
    }
    set_status(db, bus, row, OrderStatus::Skipped, "skipped: it will not be sent to QuickBooks").await
}

async fn set_status(
    db: &DatabaseConnection,
    bus: &LogBus,
    row: store_order::Model,
    status: OrderStatus,
    what: &str,
) -> ServiceResult<store_order::Model> {
    let mut entry =
        NewLogEntry::info(row.connection_id, LogKind::OrderReceived, format!("Order {} {what}", row.order_number));
    entry.order_id = Some(row.id);
    entry.order_number = Some(row.order_number.clone());
    let mut active: store_order::ActiveModel = row.into();
    active.sync_status = Set(db_enum::to_db(&status));
    active.updated_at = Set(Utc::now());
    let row = active.update(db).await?;
    record_log_entry(db, bus, entry).await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::model::tests::sample_order;

    #[test]
    fn the_status_filter_passes_orders_in_any_listed_status() {
        let order = sample_order();
        assert!(passes_filter(&[], &order));
        assert!(passes_filter(&["paid".into()], &order));
        assert!(!passes_filter(&["fulfilled".into()], &order));
        let fulfilled = Order { fulfillment_status: Some("fulfilled".into()), ..order };
        assert!(passes_filter(&["fulfilled".into()], &fulfilled));
    }
}
