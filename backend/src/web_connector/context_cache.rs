//! What a Web Connector session maps orders with (settings, the company's lists, tax and SKU
//! mappings, stores), kept between its calls.
//!
//! Loading it is eight queries, and a run makes a call every few milliseconds of server time
//! (four per order): reloading it on every call was two thirds of the statements a call ran.
//! A session keeps what it loaded for a few seconds, so a merchant's change reaches a run in
//! progress within that time (and the next run at once: a new session loads afresh). The
//! session forgets it as soon as it changes the lists itself (list pages read, items created).
//! A replica holding an older copy can at worst ask QuickBooks to add an item that now exists,
//! which QuickBooks answers with 3100 and the order goes on (continueOnError).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

use super::order_sync::SyncContext;
use crate::entities::qb_connection;
use crate::error::ServiceResult;

/// How long a session uses what it loaded before reading it again.
const FRESH_FOR: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct SyncContexts {
    by_ticket: Mutex<HashMap<String, (Instant, Arc<SyncContext>)>>,
}

impl SyncContexts {
    /// The session's context: kept if fresh, else loaded and kept.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        ticket: &str,
        connection: &qb_connection::Model,
    ) -> ServiceResult<Arc<SyncContext>> {
        if let Some(kept) = self.fresh(ticket) {
            return Ok(kept);
        }
        let loaded = Arc::new(SyncContext::load(db, connection).await?);
        let mut by_ticket = self.by_ticket.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Stale entries are of no use to anyone: dropping them here keeps the map to the
        // sessions running now.
        by_ticket.retain(|_, (loaded_at, _)| loaded_at.elapsed() < FRESH_FOR);
        by_ticket.insert(ticket.to_owned(), (Instant::now(), loaded.clone()));
        Ok(loaded)
    }

    /// The session changed what its context holds: the next call loads it again.
    pub fn forget(&self, ticket: &str) {
        self.by_ticket.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(ticket);
    }

    fn fresh(&self, ticket: &str) -> Option<Arc<SyncContext>> {
        let by_ticket = self.by_ticket.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        by_ticket.get(ticket).filter(|(loaded_at, _)| loaded_at.elapsed() < FRESH_FOR).map(|(_, kept)| kept.clone())
    }
}
