//! SQLite's checkpoints, taken off the writers' path.
//!
//! In WAL mode a commit appends its pages to the write-ahead log; a checkpoint copies the log
//! back into the database file and flushes both to disk. By default the commit that takes the
//! log past 1,000 pages runs the checkpoint itself before it returns, while its writer still
//! holds the write gate: with 32 clients saving settings, every ~190 ms one commit spent ~6 ms
//! in flushes and copied ~1,000 pages, and every save queued behind it waited as long. A
//! checkpoint needs no write lock (SQLite's PASSIVE mode), so one task takes them on a
//! connection of its own, every [`EVERY`], while the writers go on appending.
//!
//! The writers keep an automatic checkpoint, [`WRITER_CHECKPOINT_PAGES`] instead of 1,000, as a
//! safety net: for a process without this task (the command line's one-shot commands, tests)
//! and for a log growing faster than the task empties it. Durability is unchanged: SQLite
//! flushes the log before it copies it, whoever checkpoints.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use tokio::task::JoinHandle;

/// Pages (4 KiB) of write-ahead log at which a commit checkpoints by itself.
pub const WRITER_CHECKPOINT_PAGES: u32 = 8_000;

/// How often the task checkpoints. At the heaviest write rates measured (~25 MB/s of log, 32
/// clients saving settings) that is ~2.5 MB a time, the size the default made at every ~190 ms.
const EVERY: Duration = Duration::from_millis(100);

/// What one checkpoint found and did, in pages of log (SQLite's `wal_checkpoint` answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// A reader or another checkpoint kept it from copying everything.
    pub busy: bool,
    /// Pages in the log.
    pub logged: i64,
    /// Of those, pages now in the database file.
    pub copied: i64,
}

/// Copies what the log holds into the database file, without waiting for or blocking writers.
pub async fn checkpoint(db: &DatabaseConnection) -> Result<Checkpoint, DbErr> {
    let statement = Statement::from_string(db.get_database_backend(), "PRAGMA wal_checkpoint(PASSIVE)");
    let row = db.query_one_raw(statement).await?.ok_or_else(|| DbErr::Custom("no checkpoint answer".to_owned()))?;
    Ok(Checkpoint {
        busy: row.try_get_by_index::<i64>(0)? != 0,
        logged: row.try_get_by_index(1)?,
        copied: row.try_get_by_index(2)?,
    })
}

/// Checkpoints on `db` (a connection of its own) until aborted. A failed checkpoint is logged
/// and tried again at the next beat: until one succeeds, writers checkpoint by themselves.
pub fn spawn(db: DatabaseConnection) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(err) = checkpoint(&db).await {
                tracing::warn!(error = %err, "SQLite checkpoint failed; trying again");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{ConnectionTrait, DatabaseConnection};

    use super::{WRITER_CHECKPOINT_PAGES, checkpoint};

    async fn open(dir: &tempfile::TempDir) -> (String, DatabaseConnection) {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = crate::db::connect(&url).await.expect("open");
        db.execute_unprepared("CREATE TABLE pages (body BLOB)").await.expect("a table");
        (url, db)
    }

    /// One transaction writing about `pages` pages of log.
    async fn write_pages(db: &DatabaseConnection, pages: usize) {
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {pages}) \
             INSERT INTO pages SELECT randomblob(4000) FROM n"
        );
        db.execute_unprepared(&sql).await.expect("written");
    }

    #[tokio::test]
    async fn writers_leave_the_checkpoints_to_the_checkpointer_up_to_a_safety_net() {
        let dir = tempfile::tempdir().expect("a folder");
        let (_, db) = open(&dir).await;
        for _ in 0..3 {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "PRAGMA wal_autocheckpoint"));
            let pages = row.await.expect("read").expect("a row").try_get_by_index::<i64>(0).expect("a number");
            assert_eq!(pages, i64::from(WRITER_CHECKPOINT_PAGES));
        }
        // With SQLite's default (1,000 pages) this commit would have checkpointed, and the next
        // commit started the log afresh: a handful of pages.
        write_pages(&db, 1_500).await;
        db.execute_unprepared("INSERT INTO pages VALUES (x'00')").await.expect("written");
        let first = checkpoint(&db).await.expect("a checkpoint");
        assert!(first.logged > 1_500, "{first:?}");
        assert_eq!(first.copied, first.logged, "{first:?}");
        assert!(!first.busy);
        // Everything was copied, so the next commit starts the log again from its beginning.
        db.execute_unprepared("INSERT INTO pages VALUES (x'01')").await.expect("written");
        let second = checkpoint(&db).await.expect("a checkpoint");
        assert!(second.logged < 10, "{second:?}");
    }

    #[tokio::test]
    async fn the_checkpointer_copies_the_log_into_the_database_file_by_itself() {
        let dir = tempfile::tempdir().expect("a folder");
        let (url, db) = open(&dir).await;
        write_pages(&db, 1_200).await;
        let file = dir.path().join("t.db");
        let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(size() < 100 * 4096, "still in the log: {}", size());
        let task = super::spawn(crate::db::connect_for_checkpoints(&url).await.expect("open").expect("SQLite"));
        let copied = async {
            while size() < 1_200 * 4096 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), copied).await.expect("copied into the database file");
        task.abort();
    }
}
