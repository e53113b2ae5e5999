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
//!
//! For one call to the next (a second at most, taken once) it also keeps the order a call
//! read for the next one to send, and the session itself as the call wrote it. A kept session
//! is checked when the next call writes it (its revision), so a call answered by another
//! replica in between is noticed and the call runs again from a fresh read.

use std::sync::Arc;
use std::time::Duration;

use super::order_sync::{Prepared, SyncContext};
use crate::db::Db;
use crate::entities::{qb_connection, wc_session};
use crate::error::ServiceResult;
use crate::kept::KeptFor;

/// How long a session uses what it loaded before reading it again.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// How long an order read and mapped at the end of one call may stand in for reading it again
/// at the next. The Web Connector's next call comes within milliseconds (sendRequestXML right
/// after receiveResponseXML); a later one reads the order again.
const IN_HAND_FOR: Duration = Duration::from_secs(1);

pub struct SyncContexts {
    by_ticket: KeptFor<String, Arc<SyncContext>>,
    /// Per session, the order its last call read and mapped for the next one to send.
    in_hand: KeptFor<String, Prepared>,
    /// Per session, the session and its connection as its last call here wrote them.
    sessions: KeptFor<String, (wc_session::Model, qb_connection::Model)>,
}

impl Default for SyncContexts {
    fn default() -> Self {
        Self {
            by_ticket: KeptFor::new(FRESH_FOR),
            in_hand: KeptFor::new(IN_HAND_FOR),
            sessions: KeptFor::new(IN_HAND_FOR),
        }
    }
}

impl SyncContexts {
    /// The session's context: kept if fresh, else loaded and kept.
    pub async fn get(
        &self,
        db: &impl Db,
        ticket: &str,
        connection: &qb_connection::Model,
    ) -> ServiceResult<Arc<SyncContext>> {
        if let Some(kept) = self.by_ticket.get(ticket) {
            return Ok(kept);
        }
        let loaded = Arc::new(SyncContext::load(db, connection).await?);
        self.by_ticket.put(ticket.to_owned(), loaded.clone());
        Ok(loaded)
    }

    /// The session changed what its context holds: the next call loads it again (and maps
    /// its order again).
    pub fn forget(&self, ticket: &str) {
        self.by_ticket.forget(ticket);
        self.in_hand.forget(ticket);
        self.sessions.forget(ticket);
    }

    /// Keeps a session as a call just wrote it, for the session's next call: reading it again
    /// was one statement a call. Its revision tells the next call's writes whether another
    /// replica wrote the session meanwhile. Kept until the commit fails (the call then
    /// forgets the ticket) or the next call takes it.
    pub fn keep_session(&self, session: wc_session::Model, connection: qb_connection::Model) {
        self.sessions.put(session.ticket.clone(), (session, connection));
    }

    /// The session as this replica's last call of it left it, if recent. Taken once.
    pub fn take_session(&self, ticket: &str) -> Option<(wc_session::Model, qb_connection::Model)> {
        self.sessions.take(ticket)
    }

    /// Keeps the order a call just read and mapped for the session's next call: the Web
    /// Connector asks for its request a moment later, and reading and mapping it again then
    /// was one statement a call for nothing.
    pub fn hand_over(&self, ticket: &str, prepared: Prepared) {
        self.in_hand.put(ticket.to_owned(), prepared);
    }

    /// The order the session's last call left for this one, if it is `order_id` and recent.
    /// Taken once: any later call reads the order again.
    pub fn take(&self, ticket: &str, order_id: uuid::Uuid) -> Option<Prepared> {
        self.in_hand.take(ticket).filter(|prepared| prepared.order_id() == order_id)
    }
}
