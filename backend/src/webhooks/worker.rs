//! The intake worker: turns stored webhook deliveries into orders and refunds, oldest first.
//! A batch of deliveries is one database transaction (on SQLite the commit is what costs), its
//! log entries shown to subscribers only once it commits. A delivery is taken by locking its
//! row inside that transaction (on SQLite the transaction holds the only write lock), so
//! another replica skips it; its outcome changes from RECEIVED only with the commit, and a
//! crash leaves it RECEIVED for the next pass: none is lost and none is acted on twice. The
//! bodies are read, parsed and mapped to orders before that transaction, so the write lock is
//! held only for the writing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::Notify;
use uuid::Uuid;

use super::handover::Handover;
use super::intake::{self, Intake, Unreadable};
use super::service::RECEIVED;
use crate::db::WriteGate;
use crate::db_enum;
use crate::entities::{store, store_order, webhook_event};
use crate::error::ServiceResult;
use crate::orders::OrderStatus;
use crate::orders::refunds::attach_refund;
use crate::orders::refunds::record_refunds;
use crate::orders::service::{new_order, upsert_order_with};
use crate::stores::Platform;
use crate::transaction_log::service::insert_log_entries;
use crate::transaction_log::{LogBus, LogKind, LogLevel, NewLogEntry, record_log_entry};
use crate::wizard::service::settings_of;
use crate::wizard::{CancelledAfterSync, Settings};

/// Deliveries taken in one transaction.
const BATCH: u64 = 200;
/// Reads of a batch in one pass, when other replicas keep taking what was read.
const READS: usize = 3;
/// How long a woken worker waits for more deliveries before taking them.
const GATHER: Duration = Duration::from_millis(25);

/// Acts on stored deliveries as they arrive (woken by each one) and once a second (for those
/// another replica stored, and those left waiting by an error) until the process stops. The
/// first pass, at start-up, takes what a stopped server left.
pub fn spawn(
    db: DatabaseConnection,
    bus: LogBus,
    wake: Arc<Notify>,
    gate: WriteGate,
    handover: Arc<Handover>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match process_waiting(&db, &bus, &gate, &handover).await {
                // A full batch: more are probably waiting.
                Ok(taken) if taken as u64 == BATCH => continue,
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "stored webhooks wait to become orders"),
            }
            tokio::select! {
                _ = wake.notified() => {
                    // Letting the deliveries arriving with this one gather makes one
                    // transaction of many: on SQLite the stores' requests wait while the
                    // worker writes, and on PostgreSQL each transaction is a handful of
                    // statements and a commit whatever its size.
                    tokio::time::sleep(GATHER).await;
                }
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    })
}

/// Acts on up to one batch of waiting deliveries; returns how many were taken. When the
/// batch fails as a whole, each delivery is tried on its own, so one the database refuses
/// does not hold back the others. What `handover` holds for a delivery is used instead of
/// its stored body.
pub async fn process_waiting(
    db: &DatabaseConnection,
    bus: &LogBus,
    gate: &WriteGate,
    handover: &Handover,
) -> ServiceResult<usize> {
    let held = LogBus::holding();
    match process_batch(db, &held, gate, handover, None).await {
        Ok(taken) => {
            held.release_into(bus);
            Ok(taken)
        }
        Err(err) => {
            held.discard();
            tracing::warn!(error = ?err, "a batch of webhooks failed; trying them one by one");
            one_by_one(db, bus, gate, handover).await
        }
    }
}

async fn one_by_one(
    db: &DatabaseConnection,
    bus: &LogBus,
    gate: &WriteGate,
    handover: &Handover,
) -> ServiceResult<usize> {
    let waiting: Vec<Uuid> = waiting().select_only().column(webhook_event::Column::Id).into_tuple().all(db).await?;
    let mut taken = 0;
    for id in waiting {
        let held = LogBus::holding();
        match process_batch(db, &held, gate, handover, Some(id)).await {
            Ok(n) => {
                held.release_into(bus);
                taken += n;
            }
            Err(err) => {
                held.discard();
                // Kept waiting with the reason, for support; tried again on the next pass.
                tracing::error!(error = ?err, delivery = %id, "a stored webhook could not become an order");
                let _turn = gate.enter().await;
                webhook_event::Entity::update_many()
                    .col_expr(webhook_event::Column::Error, Expr::value(Some(err.to_string())))
                    .filter(webhook_event::Column::Id.eq(id))
                    .exec(db)
                    .await?;
            }
        }
    }
    Ok(taken)
}

/// Up to one batch of the deliveries waiting, oldest first.
fn waiting() -> sea_orm::Select<webhook_event::Entity> {
    webhook_event::Entity::find()
        .filter(webhook_event::Column::Outcome.eq(RECEIVED))
        .order_by_asc(webhook_event::Column::ReceivedAt)
        .order_by_asc(webhook_event::Column::Id)
        .limit(BATCH)
}

/// A waiting delivery without its body, which is read only when nothing was handed over.
#[derive(Debug, FromQueryResult)]
struct Event {
    id: Uuid,
    store_id: Uuid,
    topic: String,
}

/// A stored delivery, read and made ready before the worker's turn to write.
struct Waiting {
    event: Event,
    /// What the body asks for; `None` for a store removed since.
    read: Option<Result<Option<Intake>, Unreadable>>,
    /// The order row and its log entries, for a delivery that would create its order.
    ready: Option<(store_order::Model, Vec<NewLogEntry>)>,
}

/// Reads the waiting deliveries (or the one named), oldest first, and does the batch's
/// parsing and mapping. No write lock is held here: on SQLite the stores' requests take
/// turns with the worker to write, and would otherwise wait through all of it.
async fn read_waiting(
    db: &DatabaseConnection,
    known: &mut Known,
    handover: &Handover,
    only: Option<Uuid>,
) -> ServiceResult<Vec<Waiting>> {
    let mut find = waiting().select_only().columns([
        webhook_event::Column::Id,
        webhook_event::Column::StoreId,
        webhook_event::Column::Topic,
    ]);
    if let Some(id) = only {
        find = find.filter(webhook_event::Column::Id.eq(id));
    }
    let events: Vec<Event> = find.into_model().all(db).await?;
    let mut handed: HashMap<Uuid, Intake> =
        events.iter().filter_map(|e| handover.take(e.id).map(|intake| (e.id, intake))).collect();
    let unread: Vec<Uuid> = events.iter().map(|e| e.id).filter(|id| !handed.contains_key(id)).collect();
    let mut bodies: HashMap<Uuid, String> = if unread.is_empty() {
        HashMap::new()
    } else {
        webhook_event::Entity::find()
            .select_only()
            .columns([webhook_event::Column::Id, webhook_event::Column::RawBody])
            .filter(webhook_event::Column::Id.is_in(unread))
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let mut batch = Vec::with_capacity(events.len());
    for event in events {
        let handed = handed.remove(&event.id);
        let body = bodies.remove(&event.id);
        if handed.is_none() && body.is_none() {
            // Deleted since it was listed: its store was removed.
            continue;
        }
        let store = known.store(db, event.store_id).await?;
        let read = store.as_ref().map(|store| match (handed, &body) {
            (Some(intake), _) => Ok(Some(intake)),
            (None, body) => {
                let platform: Platform = db_enum::from_db(&store.platform).unwrap_or(Platform::Custom);
                intake::read(platform, &event.topic, body.as_deref().unwrap_or_default().as_bytes())
            }
        });
        let ready = match (&store, &read) {
            (Some(store), Some(Ok(Some(Intake::Upsert(order))))) => {
                let settings = known.settings(db, store.connection_id).await?;
                Some(new_order(store, settings, order)?)
            }
            _ => None,
        };
        batch.push(Waiting { event, read, ready });
    }
    Ok(batch)
}

/// One transaction: take the deliveries read before (those no other replica took meanwhile),
/// act on each, commit.
async fn process_batch(
    db: &DatabaseConnection,
    bus: &LogBus,
    gate: &WriteGate,
    handover: &Handover,
    only: Option<Uuid>,
) -> ServiceResult<usize> {
    // Another replica may take every delivery read here before this worker's turn comes; the
    // ones behind them are then read at once rather than left to the next wake-up.
    for _ in 0..READS {
        let mut known = Known::default();
        let mut batch = read_waiting(db, &mut known, handover, only).await?;
        if batch.is_empty() {
            return Ok(0);
        }
        let _turn = gate.enter().await;
        // On SQLite the write lock is taken at BEGIN: a transaction that read first would fail
        // to write, not wait, if another connection wrote in between.
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = db.begin_with_options(options).await?;
        // Taking them: the ones still waiting, locked until the commit (PostgreSQL; SQLite has
        // no row locks and needs none under its one write lock). Those another replica holds
        // are skipped rather than waited for, and those it has finished are no longer
        // RECEIVED. Locking instead of marking them rewrites no row: on SQLite each rewrite
        // copies the whole body.
        let ours: HashSet<Uuid> = webhook_event::Entity::find()
            .select_only()
            .column(webhook_event::Column::Id)
            .filter(webhook_event::Column::Outcome.eq(RECEIVED))
            .filter(webhook_event::Column::Id.is_in(batch.iter().map(|w| w.event.id)))
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .into_tuple()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        if ours.is_empty() {
            txn.rollback().await?;
            continue;
        }
        batch.retain(|w| ours.contains(&w.event.id));
        return act_on_taken(txn, bus, known, batch).await;
    }
    Ok(0)
}

/// Acts on the deliveries of `batch`, all taken by this transaction, and commits.
async fn act_on_taken(
    txn: sea_orm::DatabaseTransaction,
    bus: &LogBus,
    mut known: Known,
    mut batch: Vec<Waiting>,
) -> ServiceResult<usize> {
    let taken = batch.len();
    let made = store_new_orders(&txn, bus, &mut batch).await?;
    for (index, waiting) in batch.into_iter().enumerate() {
        if !made.contains(&index) {
            act(&txn, bus, &mut known, &waiting.event, waiting.read).await?;
        }
    }
    txn.commit().await?;
    Ok(taken)
}

/// Stores at once the orders the batch creates and nothing else in it touches (the common
/// case: a store's orders/create deliveries), a few statements for them all; returns the
/// other deliveries, in order, to be acted on one by one.
async fn store_new_orders(
    db: &impl ConnectionTrait,
    bus: &LogBus,
    batch: &mut [Waiting],
) -> ServiceResult<HashSet<usize>> {
    // Every order the batch names, and how often.
    let mut named: HashMap<(Uuid, &str), usize> = HashMap::new();
    for waiting in batch.iter() {
        let external_id = match &waiting.read {
            Some(Ok(Some(Intake::Upsert(order) | Intake::Cancel(order)))) => order.external_id.as_str(),
            Some(Ok(Some(Intake::Refund { order_external_id, .. }))) => order_external_id.as_str(),
            _ => continue,
        };
        *named.entry((waiting.event.store_id, external_id)).or_default() += 1;
    }
    let mut creations: Vec<usize> = (0..batch.len())
        .filter(|&i| {
            batch[i].ready.as_ref().is_some_and(|(row, _)| named[&(row.store_id, row.external_id.as_str())] == 1)
        })
        .collect();
    drop(named);
    if creations.is_empty() {
        return Ok(HashSet::new());
    }
    let ready = |i: &usize| batch[*i].ready.as_ref().map(|(row, _)| row);
    let stored: Vec<(Uuid, String)> = store_order::Entity::find()
        .select_only()
        .columns([store_order::Column::StoreId, store_order::Column::ExternalId])
        .filter(store_order::Column::StoreId.is_in(creations.iter().filter_map(ready).map(|row| row.store_id)))
        .filter(
            store_order::Column::ExternalId
                .is_in(creations.iter().filter_map(ready).map(|row| row.external_id.clone())),
        )
        .into_tuple()
        .all(db)
        .await?;
    let stored: HashSet<(Uuid, String)> = stored.into_iter().collect();
    creations.retain(|i| ready(i).is_some_and(|row| !stored.contains(&(row.store_id, row.external_id.clone()))));
    if creations.is_empty() {
        return Ok(HashSet::new());
    }
    let (mut rows, mut entries, mut refunds) = (Vec::new(), Vec::new(), Vec::new());
    let mut made = Vec::with_capacity(creations.len());
    for &index in &creations {
        let waiting = &mut batch[index];
        let Some((row, received)) = waiting.ready.take() else { continue };
        made.push((index, waiting.event.id, row.id));
        entries.extend(received);
        if let Some(Ok(Some(Intake::Upsert(order)))) = &waiting.read
            && !order.refunds.is_empty()
        {
            refunds.push((row.clone(), order.refunds.clone()));
        }
        rows.push(row.into_active_model());
    }
    store_order::Entity::insert_many(rows).exec_without_returning(db).await?;
    for entry in insert_log_entries(db, entries).await? {
        bus.publish(entry);
    }
    for (row, order_refunds) in refunds {
        record_refunds(db, bus, &row, &order_refunds).await?;
    }
    let mut order_of_event = sea_orm::sea_query::CaseStatement::new();
    for (_, event_id, order_id) in &made {
        order_of_event = order_of_event.case(webhook_event::Column::Id.eq(*event_id), Expr::value(*order_id));
    }
    webhook_event::Entity::update_many()
        .col_expr(webhook_event::Column::Outcome, Expr::value("ORDER_STORED"))
        .col_expr(webhook_event::Column::OrderId, order_of_event.into())
        .filter(webhook_event::Column::Id.is_in(made.iter().map(|(_, event_id, _)| *event_id)))
        .exec(db)
        .await?;
    Ok(made.into_iter().map(|(index, _, _)| index).collect())
}

/// Stores and settings read once per batch.
#[derive(Default)]
struct Known {
    stores: HashMap<Uuid, Option<store::Model>>,
    settings: HashMap<Uuid, Settings>,
}

impl Known {
    async fn store(&mut self, db: &impl ConnectionTrait, id: Uuid) -> ServiceResult<Option<store::Model>> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.stores.entry(id) {
            slot.insert(store::Entity::find_by_id(id).one(db).await?);
        }
        Ok(self.stores.get(&id).cloned().flatten())
    }

    async fn settings(&mut self, db: &impl ConnectionTrait, connection_id: Uuid) -> ServiceResult<&Settings> {
        Ok(match self.settings.entry(connection_id) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => slot.insert(settings_of(db, connection_id).await?),
        })
    }
}

async fn finish(
    db: &impl ConnectionTrait,
    event: &Event,
    outcome: &str,
    order_id: Option<Uuid>,
    error: Option<String>,
) -> ServiceResult<()> {
    webhook_event::Entity::update_many()
        .col_expr(webhook_event::Column::Outcome, Expr::value(outcome))
        .col_expr(webhook_event::Column::OrderId, Expr::value(order_id))
        .col_expr(webhook_event::Column::Error, Expr::value(error))
        .filter(webhook_event::Column::Id.eq(event.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes the order or refund one delivery carries.
async fn act(
    db: &impl ConnectionTrait,
    bus: &LogBus,
    known: &mut Known,
    event: &Event,
    read: Option<Result<Option<Intake>, Unreadable>>,
) -> ServiceResult<()> {
    let (Some(store), Some(read)) = (known.store(db, event.store_id).await?, read) else {
        return finish(db, event, "IGNORED", None, Some("the store was removed".to_owned())).await;
    };
    let log = |level: LogLevel, kind: LogKind, message: String| {
        let mut entry = NewLogEntry::info(store.connection_id, kind, message);
        entry.level = level;
        entry
    };
    match read {
        Ok(Some(Intake::Upsert(order))) => {
            let settings = known.settings(db, store.connection_id).await?;
            let stored = upsert_order_with(db, bus, &store, settings, order).await?.order;
            finish(db, event, "ORDER_STORED", Some(stored.id), None).await
        }
        Ok(Some(Intake::Cancel(order))) => {
            let settings = known.settings(db, store.connection_id).await?.clone();
            let stored = upsert_order_with(db, bus, &store, &settings, order).await?.order;
            let id = stored.id;
            cancel(db, bus, &store, &settings, stored).await?;
            finish(db, event, "ORDER_STORED", Some(id), None).await
        }
        Ok(Some(Intake::Refund { order_external_id, refund })) => {
            match attach_refund(db, bus, store.id, &order_external_id, refund).await? {
                Some(order) => finish(db, event, "REFUND_STORED", Some(order.id), None).await,
                None => {
                    let entry = log(
                        LogLevel::Warning,
                        LogKind::RefundReceived,
                        format!(
                            "A refund from {} is for order {order_external_id}, which Ledgerbridge has not received; \
                             it is kept, and arrives with the order's next update",
                            store.name
                        ),
                    );
                    record_log_entry(db, bus, entry).await?;
                    finish(db, event, "ORDER_UNKNOWN", None, None).await
                }
            }
        }
        // Read fine when it arrived; a newer Ledgerbridge may read it otherwise.
        Ok(None) => finish(db, event, "IGNORED", None, None).await,
        Err(err) => {
            let entry = log(
                LogLevel::Error,
                LogKind::WebhookMalformed,
                format!("A webhook from {} could not be read: {err}. The raw body is kept for support", store.name),
            );
            record_log_entry(db, bus, entry).await?;
            finish(db, event, "MALFORMED", None, Some(err.to_string())).await
        }
    }
}

/// An order cancelled in the store: one not sent yet is skipped; one already in QuickBooks is
/// flagged for the merchant, who can undo it from the dashboard.
async fn cancel(
    db: &impl ConnectionTrait,
    bus: &LogBus,
    store: &store::Model,
    settings: &Settings,
    row: store_order::Model,
) -> ServiceResult<()> {
    let status: Option<OrderStatus> = db_enum::from_db(&row.sync_status);
    let in_quickbooks = matches!(status, Some(OrderStatus::Synced | OrderStatus::RepostRequested));
    let void = in_quickbooks
        && settings.orders.as_ref().is_some_and(|o| o.when_cancelled_after_sync == CancelledAfterSync::Void);
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
        let mut active: store_order::ActiveModel = row.into();
        active.sync_status = Set(db_enum::to_db(&new_status));
        active.update(db).await?;
    }
    record_log_entry(db, bus, entry).await.map(|_| ())
}
