//! The transaction log over GraphQL: a paged query and a live subscription.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ComplexObject, Context, ID, InputObject, Json, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use super::live::{self, Start};
use super::service::{self, LogEntry, LogFilter, LogKind, LogLevel};
use crate::connections::find_owned;
use crate::error::ServiceError;
use crate::graphql::{ApiError, ApiResult, app, caller, parse_id};
use crate::web_connector::explain;

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct TransactionLogEntry {
    pub id: ID,
    pub connection_id: ID,
    pub level: LogLevel,
    pub kind: LogKind,
    pub message: String,
    pub order_id: Option<ID>,
    pub order_number: Option<String>,
    /// Machine-readable details (the saved settings, a QuickBooks status code, ...).
    pub details: Option<Json<serde_json::Value>>,
    pub created_at: DateTime<Utc>,
}

#[ComplexObject]
impl TransactionLogEntry {
    /// For an entry about a QuickBooks or Web Connector error: what it means and what to do,
    /// in plain English. Null for other entries and for codes without an explanation.
    async fn explanation(&self) -> Option<String> {
        let details = &self.details.as_ref()?.0;
        let explanation = match (details.get("statusCode").and_then(|c| c.as_i64()), details.get("hresult")) {
            (Some(code), _) => explain::status_code(i32::try_from(code).ok()?)?,
            (None, Some(hresult)) => explain::hresult(hresult.as_str()?),
            (None, None) => return None,
        };
        Some(format!("{} {}", explanation.summary, explanation.what_to_do))
    }
}

impl From<&LogEntry> for TransactionLogEntry {
    fn from(e: &LogEntry) -> Self {
        Self {
            id: ID(e.id.to_string()),
            connection_id: ID(e.connection_id.to_string()),
            level: e.level,
            kind: e.kind,
            message: e.message.clone(),
            order_id: e.order_id.map(|id| ID(id.to_string())),
            order_number: e.order_number.clone(),
            details: e.details.clone().map(Json),
            created_at: e.created_at,
        }
    }
}

#[derive(InputObject, Default)]
pub struct TransactionLogFilter {
    /// Only these levels; all when omitted.
    pub levels: Option<Vec<LogLevel>>,
    pub order_number: Option<String>,
    /// Entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this time.
    pub to: Option<DateTime<Utc>>,
    /// Entries whose message contains this text (any case).
    pub text: Option<String>,
}

impl From<TransactionLogFilter> for LogFilter {
    fn from(f: TransactionLogFilter) -> Self {
        Self {
            levels: f.levels.unwrap_or_default(),
            order_number: f.order_number,
            from: f.from,
            to: f.to,
            text: f.text,
        }
    }
}

const MAX_PAGE: usize = 200;

#[derive(Default)]
pub struct LogQuery;

#[Object]
impl LogQuery {
    /// A connection's log, newest first, paged with `first` and `after` (an entry's cursor).
    async fn transaction_log(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        filter: Option<TransactionLogFilter>,
        after: Option<String>,
        #[graphql(default = 50, validator(minimum = 1, maximum = 200))] first: i32,
    ) -> ApiResult<Connection<String, TransactionLogEntry, EmptyFields, EmptyFields>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        let connection = find_owned(&app.db, &caller(ctx)?, id).await?;
        let before_id = match after {
            Some(cursor) => Some(
                cursor
                    .parse::<i64>()
                    .map_err(|_| ServiceError::invalid("after", "not a cursor returned by transactionLog"))?,
            ),
            None => None,
        };
        let limit = (first as usize).min(MAX_PAGE);
        let filter = LogFilter::from(filter.unwrap_or_default());
        // One extra row tells whether another page follows.
        let mut rows = service::list_entries(&app.db, connection.id, &filter, before_id, limit as u64 + 1).await?;
        let has_next = rows.len() > limit;
        rows.truncate(limit);
        let mut page = Connection::new(before_id.is_some(), has_next);
        page.edges.extend(rows.iter().map(|e| Edge::new(e.id.to_string(), TransactionLogEntry::from(e))));
        Ok(page)
    }
}

#[derive(Default)]
pub struct LogSubscription;

#[Subscription]
impl LogSubscription {
    /// New log entries of a connection as they are recorded, each once. With `after` (the id
    /// of an entry the client already has, as `transactionLog` lists it), the entries recorded
    /// after that one come first: a client that listed the log, or that reconnects, misses
    /// nothing in between. Without it, only what is recorded from now on is sent.
    async fn transaction_log_entries(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<TransactionLogEntry, ApiError>> + use<>, ApiError> {
        let app = app(ctx).clone();
        let id = parse_id(&connection_id, "connection")?;
        let after = match after {
            Some(after) => {
                Some(after.parse::<i64>().map_err(|_| ServiceError::invalid("after", "not the id of a log entry"))?)
            }
            None => None,
        };
        let connection = find_owned(&app.db, &caller(ctx)?, id).await?;
        // Subscribe before deciding where to start, so nothing falls between the two.
        let receiver = app.log_bus.subscribe(connection.id);
        let start = match after {
            Some(after) => Start::After(after),
            None => Start::Now(
                service::list_entries(&app.db, connection.id, &LogFilter::default(), None, 1)
                    .await?
                    .first()
                    .map(|e| e.id),
            ),
        };
        let entries = live::entries(app.db.clone(), receiver, connection.id, start);
        Ok(entries.map(|entry| entry.map(|e| TransactionLogEntry::from(e.as_ref())).map_err(ApiError::from)))
    }
}
