//! Recording and reading transaction log entries.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, InsertStatement, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityName, EntityTrait, IdenStatic, QueryFilter, QueryOrder, QueryResult,
    QuerySelect, QueryTrait, Set,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::LogBus;
use crate::db_enum;
use crate::db_one_trip::{OneTrip, sqlite_time};
use crate::entities::transaction_log_entry;
use crate::error::{ServiceError, ServiceResult};

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
    let mut stored = insert_log_entries(db, vec![entry]).await?;
    stored.pop().ok_or_else(|| ServiceError::internal(IdsMissing { expected: 1, returned: 0 }))
}

/// Stores many entries in one statement, without publishing them (see [`insert_log_entry`]);
/// returns them as stored, in the order given.
pub async fn insert_log_entries(db: &impl ConnectionTrait, entries: Vec<NewLogEntry>) -> ServiceResult<Vec<LogEntry>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let pending = PendingLogEntries::new(entries);
    let rows = db.query_all(&pending.statement()).await?;
    pending.stored(&rows)
}

/// Log entries on their way into the database in one INSERT, and the time they are recorded
/// at. The entries handed back (and published to live subscribers) are made of what was
/// written and the ids the database gave: reading whole rows back parsed every message and its
/// details again, about a fifth of the work of the task storing grouped wizard saves.
pub struct PendingLogEntries {
    entries: Vec<NewLogEntry>,
    created_at: DateTime<Utc>,
}

impl PendingLogEntries {
    pub fn new(entries: Vec<NewLogEntry>) -> Self {
        // PostgreSQL keeps microseconds: an entry published now must equal the one read later.
        Self { entries, created_at: Utc::now().trunc_subsecs(6) }
    }

    /// The INSERT, returning the ids given; for a caller that may send it along with other
    /// statements (see [`crate::db_one_trip`]). [`Self::stored`] reads what it returns.
    pub fn statement(&self) -> InsertStatement {
        let rows = self.entries.iter().map(|entry| transaction_log_entry::ActiveModel {
            connection_id: Set(entry.connection_id),
            level: Set(db_enum::to_db(&entry.level)),
            kind: Set(db_enum::to_db(&entry.kind)),
            message: Set(entry.message.clone()),
            order_id: Set(entry.order_id),
            order_number: Set(entry.order_number.clone()),
            details: Set(entry.details.clone()),
            created_at: Set(self.created_at),
            ..Default::default()
        });
        let mut insert = transaction_log_entry::Entity::insert_many(rows).into_query();
        insert.returning_col(transaction_log_entry::Column::Id);
        insert
    }

    /// The time the entries are recorded at.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// [`Self::statement`] for a SQLite transaction sent in one trip: appends the same INSERT
    /// to `trip`, with the same values bound, as sea-orm would bind them, then a SELECT of the
    /// last id it gave, the one row [`Self::stored_in_sqlite`] reads. The INSERT must be the
    /// trip's last before that SELECT.
    ///
    /// One row, not one per entry (RETURNING): sqlx's SQLite thread hands each row it steps
    /// to the waiting task as a message of its own, and a group of 17 saves made 17 of them.
    pub fn push_sqlite_insert(&self, trip: &mut OneTrip) -> ServiceResult<()> {
        use transaction_log_entry::Column;
        let columns = [
            Column::ConnectionId,
            Column::Level,
            Column::Kind,
            Column::Message,
            Column::OrderId,
            Column::OrderNumber,
            Column::Details,
            Column::CreatedAt,
        ];
        let names = columns.map(|column| column.as_str());
        trip.insert(transaction_log_entry::Entity.table_name(), &names, self.entries.len(), "");
        let created_at = sqlite_time(self.created_at);
        for entry in &self.entries {
            let details = match &entry.details {
                Some(details) => Some(serde_json::to_string(details).map_err(ServiceError::internal)?),
                None => None,
            };
            trip.bind(entry.connection_id)?;
            trip.bind(db_enum::to_db(&entry.level))?;
            trip.bind(db_enum::to_db(&entry.kind))?;
            trip.bind(entry.message.clone())?;
            trip.bind(entry.order_id)?;
            trip.bind(entry.order_number.clone())?;
            trip.bind(details)?;
            trip.bind(created_at.clone())?;
        }
        trip.statement(LAST_ID);
        Ok(())
    }

    /// The entries as stored by [`Self::push_sqlite_insert`], in the order given, from the one
    /// row its SELECT returned.
    ///
    /// The ids are the last one's and those before it: the table's ids are AUTOINCREMENT, and
    /// one INSERT numbers its rows in the order of its VALUES, each the largest id so far plus
    /// one, with no other writer in between (the transaction holds SQLite's write lock).
    pub fn stored_in_sqlite(self, rows: &[QueryResult]) -> ServiceResult<Vec<LogEntry>> {
        let [row] = rows else {
            return Err(ServiceError::internal(LastIdMissing { rows: rows.len() }));
        };
        let last: i64 = row.try_get("", "id")?;
        let count = i64::try_from(self.entries.len()).map_err(ServiceError::internal)?;
        Ok(self.with_ids(last - count + 1..=last))
    }

    /// The entries as stored, in the order given, from the rows [`Self::statement`] returned.
    pub fn stored(self, rows: &[QueryResult]) -> ServiceResult<Vec<LogEntry>> {
        let mut ids = rows.iter().map(|row| row.try_get::<i64>("", "id")).collect::<Result<Vec<_>, _>>()?;
        if ids.len() != self.entries.len() {
            return Err(ServiceError::internal(IdsMissing { expected: self.entries.len(), returned: ids.len() }));
        }
        // RETURNING promises no order, but one INSERT numbers its rows in the order of its
        // VALUES: SQLite gives each new row the largest id plus one, PostgreSQL draws each
        // row's id from the sequence as the row is inserted.
        ids.sort_unstable();
        Ok(self.with_ids(ids))
    }

    /// The entries as stored with `ids`, the first entry's first.
    fn with_ids(self, ids: impl IntoIterator<Item = i64>) -> Vec<LogEntry> {
        let created_at = self.created_at;
        ids.into_iter()
            .zip(self.entries)
            .map(|(id, entry)| LogEntry {
                id,
                connection_id: entry.connection_id,
                level: entry.level,
                kind: entry.kind,
                message: entry.message,
                order_id: entry.order_id,
                order_number: entry.order_number,
                details: entry.details,
                created_at,
            })
            .collect()
    }
}

/// The last id an INSERT on this connection gave, as `id`.
const LAST_ID: &str = "SELECT last_insert_rowid() AS \"id\"";

/// An INSERT of log entries did not return one id per row.
#[derive(Debug, thiserror::Error)]
#[error("{returned} ids came back for {expected} log entries stored")]
struct IdsMissing {
    expected: usize,
    returned: usize,
}

/// The SELECT of the last id given after an INSERT of log entries did not return one row.
#[derive(Debug, thiserror::Error)]
#[error("{rows} rows came back for the last id given, not one")]
struct LastIdMissing {
    rows: usize,
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
