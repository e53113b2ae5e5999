//! A connection's log entries as they are recorded, for one live subscriber: optionally the
//! entries after one it already has first, read from the database, then each new one once.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::service::{self, LogEntry};
use crate::error::ServiceError;

/// Entries read from the database in one statement while catching up.
const PAGE: u64 = 500;

/// Entries read from the database are remembered this long (in entries), since the bus may
/// send them again: it holds at most 1,024 entries (see [`crate::events::Bus`]), and what it
/// holds is the newest, which a page read last also holds.
const REMEMBERED: usize = 2_048;

/// Where a subscriber starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// With the entries recorded after this id, read from the database.
    After(i64),
    /// With what is recorded from now on; the newest entry so far is given (if any), for
    /// catching up after falling behind.
    Now(Option<i64>),
}

/// The entries of `connection_id` from `start` on. `receiver` must have subscribed to that
/// connection on the log bus before `start` was decided, so that nothing recorded in between
/// is missed.
///
/// On PostgreSQL an entry's id is drawn when it is inserted and it is seen when its transaction
/// commits, so a smaller id may arrive after a larger one: entries are told apart by id, never
/// skipped for being smaller than the last one sent. (Catching up after falling behind reads
/// what follows the newest entry sent; one drawn before it and committed after it, while the
/// subscriber was behind, is then only in the log.)
pub fn entries(
    db: sea_orm::DatabaseConnection,
    mut receiver: Receiver<Arc<LogEntry>>,
    connection_id: Uuid,
    start: Start,
) -> impl Stream<Item = Result<Arc<LogEntry>, ServiceError>> {
    let (mut newest, mut behind) = match start {
        Start::After(id) => (Some(id), true),
        Start::Now(newest) => (newest, false),
    };
    let mut read_back = RecentIds::default();
    async_stream::stream! {
        loop {
            // Catching up from the database: at the start, or after falling behind the bus.
            if behind {
                match service::entries_after(&db, connection_id, newest, PAGE).await {
                    Ok(page) => {
                        behind = page.len() as u64 == PAGE;
                        for entry in page {
                            newest = newest.max(Some(entry.id));
                            read_back.insert(entry.id);
                            yield Ok(Arc::new(entry));
                        }
                    }
                    Err(err) => {
                        behind = false;
                        yield Err(err);
                    }
                }
                continue;
            }
            match receiver.recv().await {
                Ok(entry) if entry.connection_id == connection_id && !read_back.contains(entry.id) => {
                    newest = newest.max(Some(entry.id));
                    // Shared, not copied: a busy connection has hundreds of subscribers.
                    yield Ok(entry);
                }
                Ok(_) => {}
                // What was missed is in the database.
                Err(RecvError::Lagged(_)) => behind = true,
                Err(RecvError::Closed) => break,
            }
        }
    }
}

/// The ids of the last [`REMEMBERED`] entries sent from the database.
#[derive(Default)]
struct RecentIds {
    order: VecDeque<i64>,
    ids: HashSet<i64>,
}

impl RecentIds {
    fn insert(&mut self, id: i64) {
        if self.ids.insert(id) {
            self.order.push_back(id);
        }
        if self.order.len() > REMEMBERED
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
    }

    fn contains(&self, id: i64) -> bool {
        self.ids.contains(&id)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::StreamExt;

    use super::*;
    use crate::accounts::{Caller, CallerKind};
    use crate::transaction_log::{LogBus, LogKind, NewLogEntry, service::insert_log_entry};

    async fn log_with_connection() -> (tempfile::TempDir, sea_orm::DatabaseConnection, Uuid) {
        let (dir, db) = crate::test_support::migrated_sqlite().await;
        let merchant_id = crate::test_support::merchant(&db, "live@shop.example").await;
        let caller = Caller { merchant_id, kind: CallerKind::Session };
        let connection = crate::connections::service::create(&db, &LogBus::new(), &caller, "Books", None)
            .await
            .expect("a connection");
        (dir, db, connection.id)
    }

    async fn record(db: &sea_orm::DatabaseConnection, connection_id: Uuid, message: &str) -> LogEntry {
        insert_log_entry(db, NewLogEntry::info(connection_id, LogKind::ListsRefreshRequested, message))
            .await
            .expect("stored")
    }

    async fn next_message(stream: &mut (impl Stream<Item = Result<Arc<LogEntry>, ServiceError>> + Unpin)) -> String {
        let entry = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("an entry in time");
        entry.expect("the stream goes on").expect("no error").message.clone()
    }

    async fn is_quiet(stream: &mut (impl Stream<Item = Result<Arc<LogEntry>, ServiceError>> + Unpin)) -> bool {
        tokio::time::timeout(Duration::from_millis(100), stream.next()).await.is_err()
    }

    #[tokio::test]
    async fn entries_after_an_id_come_first_and_none_twice_when_the_bus_sends_them_too() {
        let (_dir, db, connection_id) = log_with_connection().await;
        let bus = LogBus::new();
        let known = record(&db, connection_id, "known").await;
        let receiver = bus.subscribe(connection_id);
        // Recorded while the subscriber starts: stored, and published to the bus it listens on.
        for message in ["missed 1", "missed 2"] {
            bus.publish(record(&db, connection_id, message).await);
        }
        let mut stream = Box::pin(entries(db.clone(), receiver, connection_id, Start::After(known.id)));
        assert_eq!(next_message(&mut stream).await, "missed 1");
        assert_eq!(next_message(&mut stream).await, "missed 2");
        bus.publish(record(&db, connection_id, "new").await);
        assert_eq!(next_message(&mut stream).await, "new");
        assert!(is_quiet(&mut stream).await, "nothing is sent twice");
    }

    #[tokio::test]
    async fn a_smaller_id_arriving_late_is_still_sent_and_other_connections_are_not() {
        let (_dir, db, connection_id) = log_with_connection().await;
        let bus = LogBus::new();
        let mut stream = Box::pin(entries(db.clone(), bus.subscribe(connection_id), connection_id, Start::Now(None)));
        let earlier = record(&db, connection_id, "committed last").await;
        let later = record(&db, connection_id, "committed first").await;
        bus.publish(later);
        bus.publish(LogEntry { connection_id: Uuid::now_v7(), ..earlier.clone() });
        bus.publish(earlier);
        assert_eq!(next_message(&mut stream).await, "committed first");
        assert_eq!(next_message(&mut stream).await, "committed last");
        assert!(is_quiet(&mut stream).await);
    }

    #[tokio::test]
    async fn a_subscriber_that_fell_behind_reads_what_it_missed_from_the_database_once() {
        let (_dir, db, connection_id) = log_with_connection().await;
        let bus = LogBus::new();
        let newest = record(&db, connection_id, "before").await;
        let mut stream =
            Box::pin(entries(db.clone(), bus.subscribe(connection_id), connection_id, Start::Now(Some(newest.id))));
        // More than the bus holds, published before the subscriber reads any.
        let total = 1_100;
        for i in 0..total {
            bus.publish(record(&db, connection_id, &format!("entry {i}")).await);
        }
        for i in 0..total {
            assert_eq!(next_message(&mut stream).await, format!("entry {i}"));
        }
        assert!(is_quiet(&mut stream).await, "what the bus still held is not sent again");
    }

    #[test]
    fn recent_ids_forget_the_oldest_beyond_their_bound() {
        let mut recent = RecentIds::default();
        for id in 0..(REMEMBERED as i64 + 10) {
            recent.insert(id);
        }
        recent.insert(REMEMBERED as i64 + 9);
        assert_eq!(recent.order.len(), REMEMBERED, "an id inserted twice counts once");
        assert!(!recent.contains(9));
        assert!(recent.contains(10));
        assert!(recent.contains(REMEMBERED as i64 + 9));
    }
}
