//! Recording and reading transaction log entries.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, InsertStatement, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QueryResult, QuerySelect, QueryTrait, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::LogBus;
use crate::db_enum;
use crate::entities::transaction_log_entry;
use crate::error::ServiceResult;

#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LogLevel {
    Info,
    Warning,
    Error,
}

/// What a log entry records. New kinds are added as Ledgerbridge learns new actions.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LogKind {
    ConnectionCreated,
    WebConnectorPasswordSet,
    SettingsSaved,
    SetupCompleted,
    ListsRefreshRequested,
    ListsRead,
    WebConnectorSessionStarted,
    WebConnectorSessionEnded,
    WebConnectorLoginFailed,
    QuickbooksError,
    OrderReceived,
    OrderSynced,
    OrderLinked,
    OrderFailed,
    OrderParked,
    CustomerCreated,
    ItemCreated,
    OrderUndone,
    InventoryRead,
    InventoryPushed,
    SalesRead,
    WebhookRefused,
    WebhookMalformed,
    WebhookIgnored,
    OrderCancelled,
    OrderChanged,
    OrderVoided,
    RefundReceived,
    RefundSynced,
    RefundFailed,
    RefundSkipped,
    NotificationSent,
    NotificationFailed,
}

/// A stored log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub id: i64,
    pub connection_id: Uuid,
    pub level: LogLevel,
    pub kind: LogKind,
    pub message: String,
    pub order_id: Option<Uuid>,
    pub order_number: Option<String>,
    pub details: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

/// A log entry about to be recorded.
#[derive(Debug, Clone)]
pub struct NewLogEntry {
    pub connection_id: Uuid,
    pub level: LogLevel,
    pub kind: LogKind,
    pub message: String,
    pub order_id: Option<Uuid>,
    pub order_number: Option<String>,
    pub details: Option<serde_json::Value>,
}

impl NewLogEntry {
    pub fn info(connection_id: Uuid, kind: LogKind, message: impl Into<String>) -> Self {
        Self {
            connection_id,
            level: LogLevel::Info,
            kind,
            message: message.into(),
            order_id: None,
            order_number: None,
            details: None,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

impl LogEntry {
    fn from_model(row: transaction_log_entry::Model) -> Self {
        Self {
            id: row.id,
            connection_id: row.connection_id,
            level: db_enum::from_db(&row.level).unwrap_or(LogLevel::Info),
            kind: db_enum::from_db(&row.kind).unwrap_or(LogKind::SettingsSaved),
            message: row.message,
            order_id: row.order_id,
            order_number: row.order_number,
            details: row.details,
            created_at: row.created_at,
        }
    }
}

/// One stored entry, by id (for an entry another replica recorded).
pub async fn find_entry(db: &impl ConnectionTrait, id: i64) -> ServiceResult<Option<LogEntry>> {
    Ok(transaction_log_entry::Entity::find_by_id(id).one(db).await?.map(LogEntry::from_model))
}

/// Stores a log entry and publishes it to live subscribers. Works inside a transaction too,
/// but then the caller publishes after commit (see [`insert_log_entry`]).
pub async fn record_log_entry(db: &impl ConnectionTrait, bus: &LogBus, entry: NewLogEntry) -> ServiceResult<LogEntry> {
    let stored = insert_log_entry(db, entry).await?;
    bus.publish(stored.clone());
    Ok(stored)
}

/// Stores a log entry without publishing it: for use inside a transaction whose commit
/// decides whether the entry exists at all.
pub async fn insert_log_entry(db: &impl ConnectionTrait, entry: NewLogEntry) -> ServiceResult<LogEntry> {
    let row = transaction_log_entry::ActiveModel {
        connection_id: Set(entry.connection_id),
        level: Set(db_enum::to_db(&entry.level)),
        kind: Set(db_enum::to_db(&entry.kind)),
        message: Set(entry.message),
        order_id: Set(entry.order_id),
        order_number: Set(entry.order_number),
        details: Set(entry.details),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(LogEntry::from_model(row))
}

/// Stores many entries in one statement, without publishing them (see [`insert_log_entry`]);
/// returns them as stored, in the order given.
pub async fn insert_log_entries(db: &impl ConnectionTrait, entries: Vec<NewLogEntry>) -> ServiceResult<Vec<LogEntry>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let stored = transaction_log_entry::Entity::insert_many(log_rows(entries)).exec_with_returning(db).await?;
    Ok(in_order(stored.into_iter().map(LogEntry::from_model).collect()))
}

/// The insert of `entries` returning the rows stored, for a caller that sends it along with
/// other statements (see [`crate::db_one_trip`]); [`stored_log_entries`] reads its rows.
pub fn insert_log_entries_statement(entries: Vec<NewLogEntry>) -> InsertStatement {
    let mut insert = transaction_log_entry::Entity::insert_many(log_rows(entries)).into_query();
    insert.returning_all();
    insert
}

/// The entries as stored, from the rows [`insert_log_entries_statement`] returned.
pub fn stored_log_entries(rows: &[QueryResult]) -> ServiceResult<Vec<LogEntry>> {
    let stored = rows
        .iter()
        .map(|row| transaction_log_entry::Model::from_query_result(row, "").map(LogEntry::from_model))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(in_order(stored))
}

fn log_rows(entries: Vec<NewLogEntry>) -> impl Iterator<Item = transaction_log_entry::ActiveModel> {
    let now = Utc::now();
    entries.into_iter().map(move |entry| transaction_log_entry::ActiveModel {
        connection_id: Set(entry.connection_id),
        level: Set(db_enum::to_db(&entry.level)),
        kind: Set(db_enum::to_db(&entry.kind)),
        message: Set(entry.message),
        order_id: Set(entry.order_id),
        order_number: Set(entry.order_number),
        details: Set(entry.details),
        created_at: Set(now),
        ..Default::default()
    })
}

/// Ids rise in insertion order; RETURNING itself promises no order.
fn in_order(mut stored: Vec<LogEntry>) -> Vec<LogEntry> {
    stored.sort_by_key(|e| e.id);
    stored
}

/// Which log entries to list.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub levels: Vec<LogLevel>,
    pub order_number: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub text: Option<String>,
}

/// Lists a connection's entries newest first, `limit` of them after the cursor `before_id`
/// (exclusive). The caller has already checked that the connection is theirs.
pub async fn list_entries(
    db: &impl ConnectionTrait,
    connection_id: Uuid,
    filter: &LogFilter,
    before_id: Option<i64>,
    limit: u64,
) -> ServiceResult<Vec<LogEntry>> {
    use transaction_log_entry::Column;
    let mut condition = Condition::all().add(Column::ConnectionId.eq(connection_id));
    if let Some(before) = before_id {
        condition = condition.add(Column::Id.lt(before));
    }
    if !filter.levels.is_empty() {
        condition = condition.add(Column::Level.is_in(filter.levels.iter().map(db_enum::to_db)));
    }
    if let Some(number) = filter.order_number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        condition = condition.add(Column::OrderNumber.eq(number));
    }
    if let Some(from) = filter.from {
        condition = condition.add(Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(Column::CreatedAt.lt(to));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // LIKE ignores case on SQLite only; lower-casing both sides behaves alike everywhere.
        let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        condition = condition.add(
            Expr::expr(Func::lower(Expr::col(Column::Message)))
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    let rows =
        transaction_log_entry::Entity::find().filter(condition).order_by_desc(Column::Id).limit(limit).all(db).await?;
    Ok(rows.into_iter().map(LogEntry::from_model).collect())
}

/// Entries recorded after `after_id` (all when `None`), oldest first: what a live subscriber
/// that fell behind has missed.
pub async fn entries_after(
    db: &impl ConnectionTrait,
    connection_id: Uuid,
    after_id: Option<i64>,
    limit: u64,
) -> ServiceResult<Vec<LogEntry>> {
    use transaction_log_entry::Column;
    let mut query = transaction_log_entry::Entity::find().filter(Column::ConnectionId.eq(connection_id));
    if let Some(after) = after_id {
        query = query.filter(Column::Id.gt(after));
    }
    let rows = query.order_by_asc(Column::Id).limit(limit).all(db).await?;
    Ok(rows.into_iter().map(LogEntry::from_model).collect())
}
