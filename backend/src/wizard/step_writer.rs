//! Storing wizard steps. A step's settings and the log entry telling of the save commit
//! together: the log never tells of a save that was lost, nor misses one that was kept.
//!
//! On SQLite, which writes one transaction at a time, the saves arriving together are stored
//! together (group commit, as webhook deliveries are): one upsert of the steps, one insert of
//! the log entries and one commit for all of them, in SQLite's write turn. Saved one by one,
//! each in its own transaction, 32 clients saving at once spent most of their time waiting for
//! SQLite's lock, and a save's two statements were two trips to the connection's thread. The
//! group's transaction goes to SQLite in one trip, on a connection the task keeps
//! ([`crate::db_one_trip`]).
//! PostgreSQL stores each save in its own transaction, as its connections write side by side.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, EntityName, EntityTrait, IdenStatic, InsertMany, Set, TransactionTrait};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::steps::WizardStepKind;
use crate::db::WriteGate;
use crate::db_enum;
use crate::db_one_trip::{OneTrip, OneTripWriter, sqlite_time};
use crate::entities::wizard_step;
use crate::error::{ServiceError, ServiceResult};
use crate::transaction_log::service::{LogEntry, PendingLogEntries, insert_log_entries};
use crate::transaction_log::{LogBus, LogKind, NewLogEntry};

/// Saves stored in one transaction, at most.
const GROUP: usize = 128;

/// One step's settings, to be stored for a connection the caller was found to own.
pub struct StepSave {
    pub connection_id: Uuid,
    pub step: WizardStepKind,
    pub data: serde_json::Value,
}

impl StepSave {
    fn log_entry(&self) -> NewLogEntry {
        NewLogEntry::info(
            self.connection_id,
            LogKind::SettingsSaved,
            format!("{} settings saved (step {} of 7)", self.step.title(), self.step.number()),
        )
        .with_details(self.data.clone())
    }
}

struct Waiting {
    save: StepSave,
    reply: oneshot::Sender<ServiceResult<()>>,
}

/// Stores step saves: through the one task that groups them (SQLite), or directly.
#[derive(Clone)]
pub struct StepWriter {
    sender: Option<mpsc::Sender<Waiting>>,
    db: DatabaseConnection,
    bus: LogBus,
}

impl StepWriter {
    /// Starts the storing task where writers take turns (SQLite), writing through the one
    /// connection of `own` ([`crate::db::connect_own`]), which it keeps; elsewhere saves are
    /// stored directly through `db`. Log entries are published on `bus` once committed.
    pub fn spawn(db: DatabaseConnection, own: &DatabaseConnection, gate: WriteGate, bus: LogBus) -> Self {
        if !gate.takes_turns() {
            return Self { sender: None, db, bus };
        }
        let (sender, mut receiver) = mpsc::channel::<Waiting>(GROUP * 8);
        let (mut writer, task_bus) = (OneTripWriter::new(own), bus.clone());
        tokio::spawn(async move {
            let (mut group, mut answered) = (Vec::with_capacity(GROUP), 0);
            // The turn is held through the replies: a failed group's retries write too.
            while let Some(_turn) = gate.gather(&mut receiver, &mut group, GROUP, answered).await {
                answered = group.len();
                let saves: Vec<&StepSave> = group.iter().map(|w| &w.save).collect();
                match write_in_one_trip(&mut writer, &saves).await {
                    Ok(entries) => {
                        publish(&task_bus, entries);
                        for waiting in group.drain(..) {
                            let _ = waiting.reply.send(Ok(()));
                        }
                    }
                    // One save that cannot be stored (its connection gone from under it) must
                    // not fail the others: each is tried again on its own, and told its fate.
                    Err(_) if group.len() > 1 => {
                        for waiting in group.drain(..) {
                            let outcome =
                                write_in_one_trip(&mut writer, &[&waiting.save]).await.map(|e| publish(&task_bus, e));
                            let _ = waiting.reply.send(outcome);
                        }
                    }
                    Err(err) => {
                        if let Some(waiting) = group.pop() {
                            let _ = waiting.reply.send(Err(err));
                        }
                    }
                }
            }
        });
        Self { sender: Some(sender), db, bus }
    }

    /// Stores the step and its log entry; returns once both are committed.
    pub async fn save(&self, save: StepSave) -> ServiceResult<()> {
        let Some(sender) = &self.sender else {
            // Boxed: a transaction through sea-orm is a future of over 4 KB, and every save
            // allocates its resolver's whole future. Unboxed, this path not taken on SQLite
            // made every wizard save pay for that room (see `crate::graphql::flat_root`).
            let entries = Box::pin(write(&self.db, &[&save])).await?;
            publish(&self.bus, entries);
            return Ok(());
        };
        let (reply, answer) = oneshot::channel();
        // The task ends only with the server. Waiting for room in the queue is rare and its
        // future large (a semaphore's waiter): it goes in a box of its own, so that a save
        // finding room carries none of it.
        match sender.try_send(Waiting { save, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(waiting)) => {
                Box::pin(sender.send(waiting)).await.map_err(|_| ServiceError::Unavailable)?;
            }
            Err(TrySendError::Closed(_)) => return Err(ServiceError::Unavailable),
        }
        answer.await.map_err(|_| ServiceError::Unavailable)?
    }
}

fn publish(bus: &LogBus, entries: Vec<LogEntry>) {
    for entry in entries {
        bus.publish(entry);
    }
}

/// One transaction for the saves, in the order given; the log entries as stored.
async fn write(db: &DatabaseConnection, saves: &[&StepSave]) -> ServiceResult<Vec<LogEntry>> {
    let (upsert, entries) = statements(saves);
    let txn = db.begin().await?;
    upsert.exec_without_returning(&txn).await?;
    let entries = insert_log_entries(&txn, entries).await?;
    txn.commit().await?;
    Ok(entries)
}

/// [`write`] on SQLite, where the task holds SQLite's write turn throughout: the transaction
/// goes to the connection's thread in one trip, not one per statement, BEGIN and COMMIT too.
async fn write_in_one_trip(writer: &mut OneTripWriter, saves: &[&StepSave]) -> ServiceResult<Vec<LogEntry>> {
    let entries = PendingLogEntries::new(saves.iter().map(|save| save.log_entry()).collect());
    let mut trip = OneTrip::default();
    push_sqlite_upsert(&mut trip, saves, entries.created_at())?;
    entries.push_sqlite_insert(&mut trip)?;
    entries.stored_in_sqlite(&writer.transaction(trip).await?)
}

/// The upsert of [`statements`] for a SQLite transaction sent in one trip, its values bound
/// as sea-orm binds them.
fn push_sqlite_upsert(trip: &mut OneTrip, saves: &[&StepSave], now: DateTime<Utc>) -> ServiceResult<()> {
    use wizard_step::Column;
    let rows = last_of_each(saves);
    let [connection, step, data, saved_at] =
        [Column::ConnectionId, Column::Step, Column::Data, Column::SavedAt].map(|column| column.as_str());
    let on_conflict = format!(
        "ON CONFLICT (\"{connection}\", \"{step}\") DO UPDATE SET \"{data}\" = \"excluded\".\"{data}\", \"{saved_at}\" = \"excluded\".\"{saved_at}\""
    );
    trip.insert(wizard_step::Entity.table_name(), &[connection, step, data, saved_at], rows.len(), &on_conflict);
    let now = sqlite_time(now);
    for save in rows {
        trip.bind(save.connection_id)?;
        trip.bind(db_enum::to_db(&save.step))?;
        trip.bind(serde_json::to_string(&save.data).map_err(ServiceError::internal)?)?;
        trip.bind(now.clone())?;
    }
    Ok(())
}

/// The upsert of the saves' steps and the log entries telling of them.
fn statements(saves: &[&StepSave]) -> (InsertMany<wizard_step::ActiveModel>, Vec<NewLogEntry>) {
    let now = Utc::now();
    let rows = last_of_each(saves).into_iter().map(|save| wizard_step::ActiveModel {
        connection_id: Set(save.connection_id),
        step: Set(db_enum::to_db(&save.step)),
        data: Set(save.data.clone()),
        saved_at: Set(now),
    });
    let upsert = wizard_step::Entity::insert_many(rows).on_conflict(
        OnConflict::columns([wizard_step::Column::ConnectionId, wizard_step::Column::Step])
            .update_columns([wizard_step::Column::Data, wizard_step::Column::SavedAt])
            .to_owned(),
    );
    (upsert, saves.iter().map(|save| save.log_entry()).collect())
}

/// One save per connection and step, the last of it winning, as if stored one after the
/// other (PostgreSQL refuses an upsert that would touch a row twice).
fn last_of_each<'a>(saves: &[&'a StepSave]) -> Vec<&'a StepSave> {
    let mut rows: Vec<&StepSave> = Vec::with_capacity(saves.len());
    for save in saves {
        match rows.iter_mut().find(|kept| kept.connection_id == save.connection_id && kept.step == save.step) {
            Some(kept) => *kept = save,
            None => rows.push(save),
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{
        ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement,
    };
    use serde_json::json;
    use uuid::Uuid;

    use super::{GROUP, StepSave, StepWriter, write, write_in_one_trip};
    use crate::accounts::{Caller, CallerKind};
    use crate::db::WriteGate;
    use crate::entities::{qb_connection, transaction_log_entry, wizard_step};
    use crate::transaction_log::{LogBus, LogKind};
    use crate::wizard::WizardStepKind;

    #[tokio::test]
    async fn saves_arriving_together_commit_together_and_one_that_cannot_be_stored_fails_alone() {
        let (_dir, db, connection, gate, writer, bus) = sqlite_writer("steps@shop.example").await;
        let mut published = bus.subscribe(connection.id);
        // Someone else's turn holds the writer back, so the three saves meet in one group.
        let turn = gate.enter().await;
        let save = |connection_id: Uuid, emails: &str| {
            let (writer, data) = (writer.clone(), json!({ "emails": emails }));
            tokio::spawn(async move {
                writer.save(StepSave { connection_id, step: WizardStepKind::Notifications, data }).await
            })
        };
        let first = save(connection.id, "first@shop.example");
        let nowhere = save(Uuid::now_v7(), "nowhere@shop.example");
        let last = save(connection.id, "last@shop.example");
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(turn);
        assert!(first.await.expect("a task").is_ok());
        assert!(nowhere.await.expect("a task").is_err(), "no such connection");
        assert!(last.await.expect("a task").is_ok());

        let step = wizard_step::Entity::find()
            .filter(wizard_step::Column::ConnectionId.eq(connection.id))
            .one(&db)
            .await
            .expect("read")
            .expect("the step");
        assert_eq!(step.data, json!({ "emails": "last@shop.example" }), "the later save wins");
        let logged = transaction_log_entry::Entity::find()
            .filter(transaction_log_entry::Column::ConnectionId.eq(connection.id))
            .filter(transaction_log_entry::Column::Kind.eq(crate::db_enum::to_db(&LogKind::SettingsSaved)))
            .order_by_asc(transaction_log_entry::Column::Id)
            .all(&db)
            .await
            .expect("read");
        let details: Vec<_> = logged.iter().map(|entry| entry.details.clone()).collect();
        assert_eq!(
            details,
            [Some(json!({ "emails": "first@shop.example" })), Some(json!({ "emails": "last@shop.example" }))]
        );
        for row in &logged {
            let entry = published.recv().await.expect("a published entry");
            // Published as stored, in order: the ids the database gave, the time it holds.
            assert_eq!(
                (entry.id, &entry.message, &entry.details, entry.created_at),
                (row.id, &row.message, &row.details, row.created_at)
            );
        }
        assert!(published.try_recv().is_err(), "nothing published for the save that failed");

        // Two that can be stored meet in one group: one statement gives their entries one time.
        let turn = gate.enter().await;
        let (one, two) = (save(connection.id, "one@shop.example"), save(connection.id, "two@shop.example"));
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(turn);
        assert!(one.await.expect("a task").is_ok() && two.await.expect("a task").is_ok());
        let (one, two) = (published.recv().await.expect("one"), published.recv().await.expect("two"));
        assert_eq!(one.details, Some(json!({ "emails": "one@shop.example" })));
        assert_eq!(two.details, Some(json!({ "emails": "two@shop.example" })));
        assert_eq!(one.created_at, two.created_at, "stored by one statement");
        // Their ids, told by the last one given, are those the database holds them under.
        for entry in [one, two] {
            let row = transaction_log_entry::Entity::find_by_id(entry.id).one(&db).await.expect("read");
            assert_eq!(row.and_then(|row| row.details), entry.details, "entry {}", entry.id);
        }
    }

    #[tokio::test]
    async fn saves_that_find_the_queue_full_wait_for_room_and_are_all_stored() {
        let (_dir, db, connection, gate, writer, _) = sqlite_writer("queue@shop.example").await;
        // With the turn held elsewhere, the task takes one group and the queue fills behind it.
        let turn = gate.enter().await;
        let count = GROUP * 8 + GROUP + 50;
        let saves: Vec<_> = (0..count)
            .map(|n| {
                let (writer, data) = (writer.clone(), json!({ "emails": format!("n{n}@shop.example") }));
                tokio::spawn(async move {
                    writer
                        .save(StepSave { connection_id: connection.id, step: WizardStepKind::Notifications, data })
                        .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sender = writer.sender.as_ref().expect("SQLite: saves go through the task");
        assert_eq!(sender.capacity(), 0, "the queue is full, so some saves wait for room");
        drop(turn);
        for save in saves {
            assert!(save.await.expect("a task").is_ok());
        }
        let logged = transaction_log_entry::Entity::find()
            .filter(transaction_log_entry::Column::ConnectionId.eq(connection.id))
            .filter(transaction_log_entry::Column::Kind.eq(crate::db_enum::to_db(&LogKind::SettingsSaved)))
            .count(&db)
            .await
            .expect("count");
        assert_eq!(logged, count as u64, "every save logged once");
    }

    /// Every column of the connection's rows in `table` that tell of a settings save, each as
    /// its SQLite type and, unless it is a time or the connection's id, its stored text.
    async fn stored(
        db: &sea_orm::DatabaseConnection,
        table: &str,
        columns: &[&str],
        connection_id: Uuid,
    ) -> Vec<String> {
        let shown = columns
            .iter()
            .map(|c| match *c {
                "connection_id" => format!("typeof({c})"),
                "saved_at" | "created_at" => format!("typeof({c}) || ' ' || substr({c}, 11, 1) || substr({c}, -6)"),
                _ => format!("typeof({c}) || ' ' || coalesce({c}, '')"),
            })
            .collect::<Vec<_>>()
            .join(" || ' | ' || ");
        // A connection's creation is logged too; only the save's entry is compared.
        let saves_only = if columns.contains(&"kind") { "AND kind = 'SETTINGS_SAVED'" } else { "" };
        let sql = format!("SELECT {shown} AS shown FROM {table} WHERE connection_id = ? {saves_only}");
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, [connection_id.into()]))
            .await
            .expect("read");
        rows.iter().map(|row| row.try_get::<String>("", "shown").expect("shown")).collect()
    }

    /// A merchant's connection in a SQLite database, the gate its writers take turns at, and a
    /// step writer on it publishing on the bus returned.
    async fn sqlite_writer(
        email: &str,
    ) -> (tempfile::TempDir, sea_orm::DatabaseConnection, qb_connection::Model, WriteGate, StepWriter, LogBus) {
        let (dir, db, url, caller) = merchant_db(email).await;
        let connection = crate::connections::service::create(&db, &LogBus::new(), &caller, "Books", None)
            .await
            .expect("a connection");
        let (gate, bus) = (WriteGate::for_database(&db), LogBus::new());
        let own = crate::db::connect_own(&url, &db).await.expect("the writer's connection");
        let writer = StepWriter::spawn(db.clone(), &own, gate.clone(), bus.clone());
        (dir, db, connection, gate, writer, bus)
    }

    /// A SQLite database in a temporary folder, its URL, and a merchant signed up in it.
    async fn merchant_db(email: &str) -> (tempfile::TempDir, sea_orm::DatabaseConnection, String, Caller) {
        let (dir, db) = crate::test_support::migrated_sqlite().await;
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let merchant_id = crate::test_support::merchant(&db, email).await;
        (dir, db, url, Caller { merchant_id, kind: CallerKind::Session })
    }

    #[tokio::test]
    async fn a_save_sent_in_one_trip_is_stored_exactly_as_sea_orm_stores_it() {
        let (_dir, db, url, caller) = merchant_db("trip@shop.example").await;
        let mut ids = Vec::new();
        for name in ["Through sea-orm", "In one trip"] {
            let connection = crate::connections::service::create(&db, &LogBus::new(), &caller, name, None)
                .await
                .expect("a connection");
            ids.push(connection.id);
        }
        let data =
            json!({ "emails": "books@shop.example, \"Ann\" <ann@shop.example>", "dailyLogEmail": true, "n": 1.5 });
        let save = |connection_id| StepSave { connection_id, step: WizardStepKind::Notifications, data: data.clone() };
        let through_sea_orm = write(&db, &[&save(ids[0])]).await.expect("stored through sea-orm");
        let own = crate::db::connect_own(&url, &db).await.expect("the writer's connection");
        let mut writer = crate::db_one_trip::OneTripWriter::new(&own);
        let in_one_trip = write_in_one_trip(&mut writer, &[&save(ids[1])]).await.expect("stored in one trip");

        let steps = ["connection_id", "step", "data", "saved_at"];
        let log = ["connection_id", "level", "kind", "message", "order_id", "order_number", "details", "created_at"];
        for (table, columns) in [("wizard_step", &steps[..]), ("transaction_log_entry", &log[..])] {
            let (one, other) = (stored(&db, table, columns, ids[0]).await, stored(&db, table, columns, ids[1]).await);
            assert_eq!(one.len(), 1, "one row in {table}: {one:?}");
            assert_eq!(one, other, "{table}");
        }
        // Read back through sea-orm, the entries are the ones handed back.
        for (connection_id, handed_back) in [(ids[0], through_sea_orm), (ids[1], in_one_trip)] {
            let row = transaction_log_entry::Entity::find()
                .filter(transaction_log_entry::Column::ConnectionId.eq(connection_id))
                .filter(transaction_log_entry::Column::Kind.eq("SETTINGS_SAVED"))
                .one(&db)
                .await
                .expect("read")
                .expect("the entry");
            assert_eq!(
                (row.id, row.details.as_ref(), row.created_at),
                (handed_back[0].id, Some(&data), handed_back[0].created_at)
            );
        }
    }
}
