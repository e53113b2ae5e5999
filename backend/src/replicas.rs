//! Several replicas on one PostgreSQL, behind a load balancer with no sticky routing: a
//! merchant subscribed on one replica sees what happens on another. Each replica tells the
//! others what it published with `NOTIFY` on one channel, naming only the row (a log entry's
//! id, a connection whose progress moved), and each reads that row and publishes it to its own
//! subscribers. Rows are committed before they are published, so the reader always finds them.
//! A lost notice costs a live update, never data: everything is in the database.
//! SQLite has a single process by design and needs none of this.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::transaction_log::LogBus;
use crate::transaction_log::service::find_entry;
use crate::web_connector::progress::{self, ProgressBus};

const CHANNEL: &str = "ledgerbridge_events";

/// What changed, by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    LogEntry(i64),
    Progress(Uuid),
}

impl Notice {
    /// `<origin replica> <kind> <key>`: well under NOTIFY's 8,000-byte limit.
    fn encode(self, origin: Uuid) -> String {
        match self {
            Notice::LogEntry(id) => format!("{origin} log {id}"),
            Notice::Progress(connection) => format!("{origin} progress {connection}"),
        }
    }

    fn decode(text: &str) -> Option<(Uuid, Notice)> {
        let mut parts = text.split(' ');
        let origin = parts.next()?.parse().ok()?;
        let notice = match (parts.next()?, parts.next()?) {
            ("log", id) => Notice::LogEntry(id.parse().ok()?),
            ("progress", connection) => Notice::Progress(connection.parse().ok()?),
            _ => return None,
        };
        parts.next().is_none().then_some((origin, notice))
    }
}

/// This replica's side of the exchange: who it is, the notices waiting to be sent, and (once
/// [`Replicas::listen`] succeeded) its subscription to the others' notices.
pub struct Replicas {
    origin: Uuid,
    outbox: mpsc::UnboundedReceiver<Notice>,
    listener: Option<PgListener>,
}

/// The log and progress buses of a process; on PostgreSQL they forward to the other replicas.
pub fn buses(db: &DatabaseConnection) -> (LogBus, ProgressBus, Option<Replicas>) {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return (LogBus::new(), ProgressBus::new(), None);
    }
    let (sender, outbox) = mpsc::unbounded_channel();
    let log_sender = sender.clone();
    let log_bus = LogBus::forwarding(Arc::new(move |entry| {
        let _ = log_sender.send(Notice::LogEntry(entry.id));
    }));
    let progress_bus = ProgressBus::forwarding(Arc::new(move |progress| {
        let _ = sender.send(Notice::Progress(progress.connection_id));
    }));
    (log_bus, progress_bus, Some(Replicas { origin: Uuid::new_v4(), outbox, listener: None }))
}

impl Replicas {
    /// Starts hearing the other replicas. Called before the replica takes requests, so that a
    /// subscriber it serves sees what the others do from the start, not from whenever its
    /// listening connection happened to be ready.
    pub async fn listen(&mut self, db: &DatabaseConnection) -> Result<(), sea_orm::sqlx::Error> {
        self.listener = Some(listening(db).await?);
        Ok(())
    }

    /// Sends this replica's notices and publishes the others' until aborted.
    pub fn spawn(self, db: DatabaseConnection, log_bus: LogBus, progress_bus: ProgressBus) -> Vec<JoinHandle<()>> {
        let Replicas { origin, outbox, listener } = self;
        vec![
            tokio::spawn(send(db.clone(), origin, outbox)),
            tokio::spawn(receive(db, origin, listener, log_bus, progress_bus)),
        ]
    }
}

/// A connection of its own (outside the pool) listening on the replicas' channel.
async fn listening(db: &DatabaseConnection) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Notices sent in one statement at most: a busy intake records hundreds of log entries a
/// second, and one round trip each would compete with the work itself for the database.
const NOTICES_PER_STATEMENT: usize = 64;

async fn send(db: DatabaseConnection, origin: Uuid, mut outbox: mpsc::UnboundedReceiver<Notice>) {
    let mut notices = Vec::with_capacity(NOTICES_PER_STATEMENT);
    while outbox.recv_many(&mut notices, NOTICES_PER_STATEMENT).await > 0 {
        if let Err(err) = db.execute_raw(notify_all(origin, &notices)).await {
            tracing::warn!(%err, "could not tell the other replicas about {notices:?}; their subscribers miss them live");
        }
        notices.clear();
    }
}

/// `SELECT pg_notify($1, $2), pg_notify($1, $3), …`: every notice its own notification (in
/// order), all in one round trip.
fn notify_all(origin: Uuid, notices: &[Notice]) -> Statement {
    let calls: Vec<String> = (0..notices.len()).map(|i| format!("pg_notify($1, ${})", i + 2)).collect();
    let mut values: Vec<sea_orm::Value> = vec![CHANNEL.into()];
    values.extend(notices.iter().map(|notice| notice.encode(origin).into()));
    Statement::from_sql_and_values(DatabaseBackend::Postgres, format!("SELECT {}", calls.join(", ")), values)
}

async fn receive(
    db: DatabaseConnection,
    origin: Uuid,
    mut listener: Option<PgListener>,
    log_bus: LogBus,
    progress_bus: ProgressBus,
) {
    loop {
        // PgListener reconnects by itself after a dropped connection; anything else starts over.
        let heard = async {
            let mut listener = match listener.take() {
                Some(listener) => listener,
                None => listening(&db).await?,
            };
            loop {
                let notification = listener.recv().await?;
                let Some((from, notice)) = Notice::decode(notification.payload()) else { continue };
                if from != origin {
                    publish(&db, notice, &log_bus, &progress_bus).await;
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), sea_orm::sqlx::Error>(())
        };
        if let Err(err) = heard.await {
            tracing::warn!(%err, "not hearing the other replicas; listening again in a second");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn publish(db: &DatabaseConnection, notice: Notice, log_bus: &LogBus, progress_bus: &ProgressBus) {
    match notice {
        Notice::LogEntry(id) => match find_entry(db, id).await {
            Ok(Some(entry)) => log_bus.publish_local(entry),
            Ok(None) => {}
            Err(err) => tracing::warn!(%err, "could not read log entry {id} another replica recorded"),
        },
        Notice::Progress(connection) => match progress::current(db, connection).await {
            Ok(now) => progress_bus.publish_local(now),
            Err(err) => tracing::warn!(%err, "could not read the progress another replica reported"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_notices_go_out_in_one_statement_in_order() {
        let origin = Uuid::new_v4();
        let statement = notify_all(origin, &[Notice::LogEntry(1), Notice::LogEntry(2)]);
        assert_eq!(statement.sql, "SELECT pg_notify($1, $2), pg_notify($1, $3)");
        let values = statement.values.expect("bound values").0;
        assert_eq!(values.len(), 3);
        assert_eq!(values[2], sea_orm::Value::from(Notice::LogEntry(2).encode(origin)));
    }

    #[test]
    fn notices_read_back_as_written_and_nothing_else_reads() {
        let origin = Uuid::new_v4();
        let connection = Uuid::new_v4();
        for notice in [Notice::LogEntry(42), Notice::Progress(connection)] {
            assert_eq!(Notice::decode(&notice.encode(origin)), Some((origin, notice)));
        }
        for junk in ["", "x log 1", &format!("{origin} log"), &format!("{origin} log x"), &format!("{origin} log 1 2")]
        {
            assert_eq!(Notice::decode(junk), None, "{junk}");
        }
    }
}
