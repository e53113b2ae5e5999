//! Notifications over GraphQL: the history with each message's delivery status, and a test
//! email sent on demand.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, NotificationKind, NotificationStatus};
use crate::db_enum;
use crate::entities::notification;
use crate::error::ServiceError;
use crate::graphql::{ApiResult, app, caller, parse_id};

/// One email Ledgerbridge sent, or is sending, for a connection.
#[derive(SimpleObject)]
pub struct Notification {
    pub id: ID,
    pub kind: NotificationKind,
    /// Comma-separated, as step 7 had them when it was recorded.
    pub recipients: String,
    pub subject: String,
    pub status: NotificationStatus,
    pub attempts: i32,
    /// Why the last attempt failed (the SMTP server's answer), or why it was not sent.
    pub last_error: Option<String>,
    /// When a pending message is tried (again).
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The plain-text part, as sent.
    pub text_body: String,
}

impl From<notification::Model> for Notification {
    fn from(row: notification::Model) -> Self {
        Self {
            id: ID(row.id.to_string()),
            kind: db_enum::from_db(&row.kind).unwrap_or(NotificationKind::Test),
            recipients: row.recipients,
            subject: row.subject,
            status: db_enum::from_db(&row.status).unwrap_or(NotificationStatus::Pending),
            attempts: row.attempts,
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
            sent_at: row.sent_at,
            text_body: row.body_text,
        }
    }
}

#[derive(Default)]
pub struct NotificationsQuery;

#[Object]
impl NotificationsQuery {
    /// The emails of a connection, newest first, paged with `first` and `after`.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        after: Option<String>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> ApiResult<Connection<String, Notification, EmptyFields, EmptyFields>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        let before = match after {
            Some(cursor) => Some(
                cursor
                    .parse::<uuid::Uuid>()
                    .map_err(|_| ServiceError::invalid("after", "not a cursor returned by notifications"))?,
            ),
            None => None,
        };
        let limit = first as usize;
        let mut rows = service::history(&app.db, &caller(ctx)?, id, before, limit as u64 + 1).await?;
        let has_next = rows.len() > limit;
        rows.truncate(limit);
        let mut page = Connection::new(before.is_some(), has_next);
        page.edges.extend(rows.into_iter().map(|row| Edge::new(row.id.to_string(), Notification::from(row))));
        Ok(page)
    }
}

#[derive(Default)]
pub struct NotificationsMutation;

#[Object]
impl NotificationsMutation {
    /// Sends a test email to the Notifications step's recipients now, and says how it went
    /// (SENT, or PENDING with the SMTP server's answer and the time of the next attempt, or
    /// NOT_SENT when this server has no email configured).
    async fn send_test_email(&self, ctx: &Context<'_>, connection_id: ID) -> ApiResult<Notification> {
        let id = parse_id(&connection_id, "connection")?;
        let row = app(ctx).notifier().send_test(&caller(ctx)?, id).await?;
        Ok(Notification::from(row))
    }
}
