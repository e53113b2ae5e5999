//! Storing webhook deliveries. Every request waits until its delivery is stored — a store is
//! never told "received" for something that could still be lost. On SQLite, which writes one
//! transaction at a time, the requests arriving together are stored together (group commit:
//! one statement and one commit for all of them); PostgreSQL takes each on its own connection.

use std::collections::HashSet;

use sea_orm::{DatabaseConnection, EntityTrait, TryInsertResult};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::db::WriteGate;
use crate::entities::webhook_event;

/// Deliveries stored in one statement, at most.
const GROUP: usize = 256;

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

/// Stores deliveries: through the one task that groups them (SQLite), or directly.
#[derive(Clone)]
pub struct IntakeWriter {
    sender: Option<mpsc::Sender<Waiting>>,
    db: DatabaseConnection,
    stored: std::sync::Arc<tokio::sync::Notify>,
}

impl IntakeWriter {
    /// Starts the storing task; `stored` is woken after each group (for the intake worker).
    pub fn spawn(db: DatabaseConnection, gate: WriteGate, stored: std::sync::Arc<tokio::sync::Notify>) -> Self {
        if !gate.takes_turns() {
            return Self { sender: None, db, stored };
        }
        let (sender, mut receiver) = mpsc::channel::<Waiting>(GROUP * 8);
        let (task_db, task_stored) = (db.clone(), stored.clone());
        tokio::spawn(async move {
            let mut group = Vec::with_capacity(GROUP);
            // Those that arrive while the turn is someone else's (the intake worker's batch, a
            // Web Connector call) join the group: one commit for them all.
            while let Some(turn) = gate.gather(&mut receiver, &mut group, GROUP).await {
                let outcome = insert(&task_db, group.iter().map(|w| w.row.clone()).collect()).await;
                drop(turn);
                match outcome {
                    Ok(inserted) => {
                        for waiting in group.drain(..) {
                            let stored = if inserted.contains(&waiting.row.id) { Stored::New } else { Stored::Repeat };
                            let _ = waiting.reply.send(Ok(stored));
                        }
                        task_stored.notify_one();
                    }
                    Err(err) => {
                        tracing::error!(error = ?err, deliveries = group.len(), "webhook deliveries could not be stored");
                        for waiting in group.drain(..) {
                            let _ = waiting.reply.send(Err(err.to_string()));
                        }
                    }
                }
            }
        });
        Self { sender: Some(sender), db, stored }
    }

    /// Stores one delivery (with those arriving alongside it) and says whether it was new.
    pub async fn store(&self, row: webhook_event::Model) -> Result<Stored, String> {
        let Some(sender) = &self.sender else {
            let id = row.id;
            let inserted = insert(&self.db, vec![row]).await.map_err(|err| err.to_string())?;
            self.stored.notify_one();
            return Ok(if inserted.contains(&id) { Stored::New } else { Stored::Repeat });
        };
        let (reply, answer) = oneshot::channel();
        sender.send(Waiting { row, reply }).await.map_err(|_| "the server is stopping".to_owned())?;
        answer.await.map_err(|_| "the server is stopping".to_owned())?
    }
}

/// One statement for the group; a delivery id already stored (or twice in the group) is
/// skipped by the database, which says which rows it inserted.
async fn insert(db: &DatabaseConnection, rows: Vec<webhook_event::Model>) -> Result<HashSet<Uuid>, sea_orm::DbErr> {
    let result = webhook_event::Entity::insert_many(rows.into_iter().map(sea_orm::IntoActiveModel::into_active_model))
        .on_conflict_do_nothing_on([webhook_event::Column::StoreId, webhook_event::Column::EventId])
        .exec_with_returning_keys(db)
        .await?;
    Ok(match result {
        TryInsertResult::Inserted(ids) => ids.into_iter().collect(),
        TryInsertResult::Empty | TryInsertResult::Conflicted => HashSet::new(),
    })
}
