//! How far the running Web Connector session of each connection has got, stored with the
//! session and published live, so the dashboard shows the percent as the Web Connector reports it.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entities::wc_session;
use crate::error::ServiceResult;

/// A session's progress at one moment.
#[derive(Debug, Clone, PartialEq, Eq, async_graphql::SimpleObject)]
pub struct SyncProgress {
    #[graphql(skip)]
    pub connection_id: Uuid,
    /// 0 to 100, never decreasing within a session.
    pub percent: i32,
    /// Whether a Web Connector session is under way.
    pub running: bool,
    /// What the session is doing, or how it ended.
    pub message: String,
    /// When the session started; null when there has never been one.
    pub started_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl SyncProgress {
    pub fn idle(connection_id: Uuid) -> Self {
        Self {
            connection_id,
            percent: 0,
            running: false,
            message: "Waiting for the Web Connector".to_owned(),
            started_at: None,
            updated_at: None,
        }
    }
}

/// Progress changes, for live subscribers in this process.
pub type ProgressBus = crate::events::Bus<SyncProgress>;

impl crate::events::OfConnection for SyncProgress {
    fn connection_id(&self) -> Uuid {
        self.connection_id
    }
}

/// The progress of a session as stored.
pub fn of_session(session: &wc_session::Model, message: impl Into<String>) -> SyncProgress {
    let running = session.closed_at.is_none() && session.expires_at > Utc::now();
    SyncProgress {
        connection_id: session.connection_id,
        percent: session.progress,
        running,
        message: message.into(),
        started_at: Some(session.created_at),
        updated_at: Some(session.closed_at.unwrap_or(session.last_call_at)),
    }
}

/// The connection's latest session, as progress.
pub async fn current(db: &DatabaseConnection, connection_id: Uuid) -> ServiceResult<SyncProgress> {
    let latest = wc_session::Entity::find()
        .filter(wc_session::Column::ConnectionId.eq(connection_id))
        .order_by_desc(wc_session::Column::CreatedAt)
        .one(db)
        .await?;
    Ok(match latest {
        None => SyncProgress::idle(connection_id),
        Some(session) => {
            let message = match (&session.last_error, session.closed_at) {
                (Some(error), _) => error.clone(),
                (None, Some(_)) if session.progress >= 100 => "Finished".to_owned(),
                (None, Some(_)) => "Stopped before finishing; the next run continues".to_owned(),
                (None, None) => "Reading QuickBooks".to_owned(),
            };
            of_session(&session, message)
        }
    })
}
