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

use super::order_sync::{Prepared, SyncContext};
use crate::entities::qb_connection;
use crate::error::ServiceResult;

/// How long a session uses what it loaded before reading it again.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// How long an order read and mapped at the end of one call may stand in for reading it again
/// at the next. The Web Connector's next call comes within milliseconds (sendRequestXML right
/// after receiveResponseXML); a later one reads the order again.
const IN_HAND_FOR: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct SyncContexts {
    by_ticket: Mutex<HashMap<String, (Instant, Arc<SyncContext>)>>,
    /// Per session, the order its last call read and mapped for the next one to send.
    in_hand: Mutex<HashMap<String, (Instant, Prepared)>>,
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

    /// The session changed what its context holds: the next call loads it again (and maps
    /// its order again).
    pub fn forget(&self, ticket: &str) {
        self.by_ticket.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(ticket);
        self.in_hand.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(ticket);
    }

    /// Keeps the order a call just read and mapped for the session's next call: the Web
    /// Connector asks for its request a moment later, and reading and mapping it again then
    /// was one statement a call for nothing.
    pub fn hand_over(&self, ticket: &str, prepared: Prepared) {
        let mut in_hand = self.in_hand.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        in_hand.retain(|_, (kept_at, _)| kept_at.elapsed() < IN_HAND_FOR);
        in_hand.insert(ticket.to_owned(), (Instant::now(), prepared));
    }

    /// The order the session's last call left for this one, if it is `order_id` and recent.
    /// Taken once: any later call reads the order again.
    pub fn take(&self, ticket: &str, order_id: uuid::Uuid) -> Option<Prepared> {
        let mut in_hand = self.in_hand.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (kept_at, prepared) = in_hand.remove(ticket)?;
        (kept_at.elapsed() < IN_HAND_FOR && prepared.order_id() == order_id).then_some(prepared)
    }

    fn fresh(&self, ticket: &str) -> Option<Arc<SyncContext>> {
        let by_ticket = self.by_ticket.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        by_ticket.get(ticket).filter(|(loaded_at, _)| loaded_at.elapsed() < FRESH_FOR).map(|(_, kept)| kept.clone())
    }
}
