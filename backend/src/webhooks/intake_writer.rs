//! Storing webhook deliveries. Every request waits until its delivery is stored — a store is
//! never told "received" for something that could still be lost. The requests arriving
//! together are stored together (group commit: one statement and one commit for all of them).
//! On SQLite, which writes one transaction at a time, that spares each delivery a turn of its
//! own. On PostgreSQL it spares the database a statement and a commit (a flush of its
//! write-ahead log) per delivery: one group is written while the next gathers.

use std::collections::HashSet;
use std::sync::Arc;

use sea_orm::{DatabaseConnection, EntityTrait, TryInsertResult};
use tokio::sync::{Notify, Semaphore, mpsc, oneshot};
use uuid::Uuid;

use crate::db::WriteGate;
use crate::entities::webhook_event;

/// Deliveries stored in one statement, at most.
const GROUP: usize = 256;
/// Groups written at once on PostgreSQL.
const IN_FLIGHT: usize = 4;

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    /// The store sent this delivery id before: nothing was stored again.
    Repeat,
}

struct Waiting {
    row: webhook_event::Model,
    reply: oneshot::Sender<Result<Stored, String>>,
}

/// Stores deliveries through the one task that groups them.
#[derive(Clone)]
pub struct IntakeWriter {
    sender: mpsc::Sender<Waiting>,
}

impl IntakeWriter {
    /// Starts the storing task; `stored` is woken after each group (for the intake worker).
    pub fn spawn(db: DatabaseConnection, gate: WriteGate, stored: Arc<Notify>) -> Self {
        let (sender, mut receiver) = mpsc::channel::<Waiting>(GROUP * 8);
        // SQLite writes one group at a time; PostgreSQL's connections write side by side.
        let slots = Arc::new(Semaphore::new(if gate.takes_turns() { 1 } else { IN_FLIGHT }));
        tokio::spawn(async move {
            let (mut group, mut last) = (Vec::with_capacity(GROUP), 0);
            // Those that arrive while the groups before are written, or while the turn is
            // someone else's (SQLite: the intake worker's batch, a Web Connector call), join
            // the group: one commit for them all.
            loop {
                let Ok(slot) = slots.clone().acquire_owned().await else { break };
                let Some(turn) = gate.gather(&mut receiver, &mut group, GROUP, last).await else { break };
                last = group.len();
                let write = store_group(db.clone(), std::mem::take(&mut group), stored.clone());
                if turn.is_some() {
                    write.await;
                } else {
                    tokio::spawn(async move {
                        write.await;
                        drop(slot);
                    });
                }
            }
        });
        Self { sender }
    }

    /// Stores one delivery (with those arriving alongside it) and says whether it was new.
    pub async fn store(&self, row: webhook_event::Model) -> Result<Stored, String> {
        let (reply, answer) = oneshot::channel();
        self.sender.send(Waiting { row, reply }).await.map_err(|_| "the server is stopping".to_owned())?;
        answer.await.map_err(|_| "the server is stopping".to_owned())?
    }
}

/// Stores a group and tells each request what became of its delivery.
async fn store_group(db: DatabaseConnection, group: Vec<Waiting>, stored: Arc<Notify>) {
    let (rows, replies): (Vec<_>, Vec<_>) = group.into_iter().map(|w| (w.row, w.reply)).unzip();
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    // Kept for a second try one by one, should the database refuse the group.
    let alone = (rows.len() > 1).then(|| rows.clone());
    match insert(&db, rows).await {
        // One row the database refuses (its store removed a moment ago) must not fail the
        // others: each is tried on its own and told its fate. An unreachable database fails
        // them all at once.
        Err(err) if !crate::db::is_unreachable(&err) && alone.is_some() => {
            tracing::warn!(error = %err, deliveries = ids.len(), "a group of webhook deliveries was refused; storing them one by one");
            for (row, reply) in alone.into_iter().flatten().zip(replies) {
                Box::pin(store_group(db.clone(), vec![Waiting { row, reply }], stored.clone())).await;
            }
        }
        Ok(inserted) => {
            for (id, reply) in ids.iter().zip(replies) {
                let _ = reply.send(Ok(if inserted.contains(id) { Stored::New } else { Stored::Repeat }));
            }
            stored.notify_one();
        }
        Err(err) => {
            tracing::error!(error = ?err, deliveries = ids.len(), "webhook deliveries could not be stored");
            for reply in replies {
                let _ = reply.send(Err(err.to_string()));
            }
        }
    }
}

/// One statement for the group; a delivery id already stored (or twice in the group) is
/// skipped by the database, which says which rows it inserted.
async fn insert(db: &DatabaseConnection, mut rows: Vec<webhook_event::Model>) -> Result<HashSet<Uuid>, sea_orm::DbErr> {
    // In one order on every replica: on PostgreSQL an insert waits on a key another one has
    // just inserted, and two replicas given the same redeliveries in opposite orders would
    // otherwise wait on each other (a deadlock, one group refused).
    rows.sort_unstable_by(|a, b| (a.store_id, &a.event_id).cmp(&(b.store_id, &b.event_id)));
    let result = webhook_event::Entity::insert_many(rows.into_iter().map(sea_orm::IntoActiveModel::into_active_model))
        .on_conflict_do_nothing_on([webhook_event::Column::StoreId, webhook_event::Column::EventId])
        .exec_with_returning_keys(db)
        .await?;
    Ok(match result {
        TryInsertResult::Inserted(ids) => ids.into_iter().collect(),
        TryInsertResult::Empty | TryInsertResult::Conflicted => HashSet::new(),
    })
}
