//! The Web Connector's progress over GraphQL: live as each round trip completes.

use async_graphql::{Context, ID, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::progress::{SyncProgress, current};
use crate::connections::find_owned;
use crate::graphql::{ApiError, app, caller, parse_id};

#[derive(Default)]
pub struct SyncSubscription;

#[Subscription]
impl SyncSubscription {
    /// The connection's Web Connector progress: where it stands now, then every change as the
    /// Web Connector reports it (percent done, and when the session ends).
    async fn sync_progress(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
    ) -> Result<impl Stream<Item = SyncProgress> + use<>, ApiError> {
        let app = app(ctx).clone();
        let id = parse_id(&connection_id, "connection")?;
        let connection = find_owned(&app.db, &caller(ctx)?, id).await?;
        // Subscribe first, then read the current state: no change can fall in between.
        let mut receiver = app.progress_bus.subscribe(connection.id);
        let now = current(&app.db, connection.id).await?;
        Ok(async_stream::stream! {
            yield now;
            loop {
                match receiver.recv().await {
                    Ok(progress) if progress.connection_id == connection.id => yield progress.as_ref().clone(),
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        if let Ok(latest) = current(&app.db, connection.id).await {
                            yield latest;
                        }
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        })
    }
}
