//! Opening the database (SQLite file or PostgreSQL) and bringing its schema up to date.

use std::ffi::c_int;
use std::path::Path;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{LockedSqliteHandle, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot create the folder for the SQLite file {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("cannot open the database: {0}")]
    Connect(#[source] DbErr),
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[source] DbErr),
}

/// Connects, creating the SQLite file's folder when needed and switching SQLite to WAL mode
/// so readers never wait for the writer.
pub async fn connect(database_url: &str) -> Result<DatabaseConnection, DbSetupError> {
    open(database_url, 16).await
}

/// Where the Web Connector's calls run their transactions. On SQLite, a pool of one
/// connection of its own: each call holds SQLite's write lock from its first statement anyway
/// (see [`crate::web_connector`]'s call unit), so calls gain nothing from more connections,
/// and one connection means one thread, which stays warm from call to call instead of a
/// different sleeping thread woken for each. PostgreSQL runs many calls at once: the main pool.
pub async fn connect_for_web_connector(
    database_url: &str,
    main: &DatabaseConnection,
) -> Result<DatabaseConnection, DbSetupError> {
    connect_own(database_url, main).await
}

/// On SQLite, a pool of one connection for one writer of its own; PostgreSQL: the main pool.
pub async fn connect_own(database_url: &str, main: &DatabaseConnection) -> Result<DatabaseConnection, DbSetupError> {
    match main.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => open(database_url, 1).await,
        _ => Ok(main.clone()),
    }
}

/// On a SQLite file, a connection of its own for the checkpoints (see [`crate::db_checkpoints`]);
/// `None` elsewhere: PostgreSQL has its own checkpointer, and a second pool on an in-memory
/// SQLite would be another database.
pub async fn connect_for_checkpoints(database_url: &str) -> Result<Option<DatabaseConnection>, DbSetupError> {
    match sqlite_file_path(database_url) {
        Some(_) => open(database_url, 1).await.map(Some),
        None => Ok(None),
    }
}

async fn open(database_url: &str, max_connections: u32) -> Result<DatabaseConnection, DbSetupError> {
    if let Some(path) = sqlite_file_path(database_url)
        && let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| DbSetupError::CreateDir { path: path.to_owned(), source })?;
    }
    let mut options = ConnectOptions::new(database_url.to_owned());
    options
        .max_connections(max_connections)
        .connect_timeout(Duration::from_secs(10))
        // Short enough that with the database down a webhook still gets its 503 within the
        // five seconds Shopify waits.
        .acquire_timeout(Duration::from_secs(4))
        .sqlx_logging(false)
        // Every connection of the pool: write-ahead log, and no flush to disk at each commit.
        // A killed process loses nothing (the log is in the file); a power cut may roll back
        // the last commits, which the sync survives by design: it asks QuickBooks what it has
        // before sending anything again.
        // Checkpoints are a task's own (crate::db_checkpoints); a commit takes one only as a
        // safety net.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .pragma("wal_autocheckpoint", crate::db_checkpoints::WRITER_CHECKPOINT_PAGES.to_string())
        })
        .map_sqlx_sqlite_pool_opts(|o| {
            o.after_connect(|connection, _| Box::pin(async move { plan_once(&mut connection.lock_handle().await?) }))
        });
    // sqlx 0.9.0 leaves Nagle's algorithm on: see crate::db_nodelay.
    if !database_url.starts_with("sqlite:")
        && let Ok(postgres) = database_url.parse::<sea_orm::sqlx::postgres::PgConnectOptions>()
    {
        let port = postgres.get_port();
        options.map_sqlx_postgres_pool_opts(move |o| {
            o.after_connect(move |_, _| {
                Box::pin(async move {
                    crate::db_nodelay::set_on_sockets_to(port);
                    Ok(())
                })
            })
        });
    }
    // By default the pool pings a connection before handing it out: one more round trip per
    // statement (to SQLite's worker thread, or to the PostgreSQL server), which made up a third
    // of a Web Connector call. A SQLite file inside the process cannot hang up; a PostgreSQL
    // connection is pinged only after sitting idle long enough for the server, a proxy or a
    // restart to have dropped it (a connection that broke in use fails its release check and
    // is closed by the pool).
    if database_url.starts_with("sqlite:") {
        options.test_before_acquire(false);
    } else {
        options.test_before_acquire_if_idle_for(Duration::from_secs(1));
    }
    let db = Database::connect(options).await.map_err(DbSetupError::Connect)?;
    Ok(db)
}

/// Makes SQLite plan each statement once, when it is first prepared.
///
/// By default SQLite prepares a statement again whenever a value newly bound to it could
/// change its plan, and a `LIMIT ?` is such a value: sea-query binds every limit, so each
/// `.one()` (`LIMIT 1`) was parsed and planned anew on every run, about half of such a
/// statement's time. The "query planner stability guarantee" keeps the first plan. Our plans
/// never depend on the values bound: the indexes decide them, and no statistics are gathered.
/// sqlx offers no setting for it, hence the one call into SQLite's C API.
fn plan_once(handle: &mut LockedSqliteHandle<'_>) -> Result<(), sea_orm::sqlx::Error> {
    match query_planner_stability(handle, 1) {
        (libsqlite3_sys::SQLITE_OK, 1) => Ok(()),
        (code, _) => Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused to keep its query plans (code {code})").into(),
        )),
    }
}

/// Sets SQLite's query planner stability guarantee (1 on, 0 off, -1 leaves it): SQLite's result
/// code and the setting now.
fn query_planner_stability(handle: &mut LockedSqliteHandle<'_>, set: c_int) -> (c_int, c_int) {
    let mut now: c_int = -1;
    // SAFETY: the handle is this connection's open sqlite3, locked for us for the duration;
    // SQLITE_DBCONFIG_ENABLE_QPSG takes an int and an int* (where SQLite writes the setting),
    // which match the variadic arguments passed.
    let code = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            handle.as_raw_handle().as_ptr(),
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            set,
            &mut now as *mut c_int,
        )
    };
    (code, now)
}

/// SQLite lets one connection write at a time, and one that finds the file busy sleeps and
/// polls (1, 2, 5, 10… ms). The paths that write most under load (webhook intake and its
/// worker) take turns through this gate instead, each woken the moment the other is done.
/// PostgreSQL needs no gate: the gate is open.
#[derive(Clone, Default)]
pub struct WriteGate(Option<std::sync::Arc<tokio::sync::Mutex<()>>>);

impl WriteGate {
    pub fn for_database(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => Self(Some(Default::default())),
            _ => Self(None),
        }
    }

    /// Whether writers take turns here (SQLite).
    pub fn takes_turns(&self) -> bool {
        self.0.is_some()
    }

    /// Waits for the turn to write; the turn lasts as long as the guard.
    pub async fn enter(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.0 {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// For a task storing what requests send it, many per commit (group commit): waits until
    /// `receiver` holds something, then waits for the turn to write, and adds to `group`
    /// whatever arrived meanwhile, up to `max`. `None` once every sender is gone.
    ///
    /// `expected` is the size of the group stored before. Its callers, just answered, tend to
    /// come back together: the first one back would otherwise be stored alone while the rest
    /// arrive during its commit, and every other commit would hold a single request (seen with
    /// 32 clients saving wizard steps: 42 % of the groups). So while fewer than `expected` are
    /// here, the runtime is let run its other ready tasks a few rounds first, each round also
    /// reading the sockets, and those that arrive join. A lone caller (`expected` ≤ 1) is
    /// stored at once.
    pub async fn gather<T>(
        &self,
        receiver: &mut tokio::sync::mpsc::Receiver<T>,
        group: &mut Vec<T>,
        max: usize,
        expected: usize,
    ) -> Option<Option<tokio::sync::MutexGuard<'_, ()>>> {
        if receiver.recv_many(group, max).await == 0 {
            return None;
        }
        let wanted = expected.min(max);
        for _ in 0..GATHER_ROUNDS {
            if group.len() >= wanted {
                break;
            }
            tokio::task::yield_now().await;
            take_waiting(receiver, group, max);
        }
        let turn = self.enter().await;
        take_waiting(receiver, group, max);
        Some(turn)
    }
}

/// How many times a group writer lets the runtime run before it stores fewer than expected:
/// each round costs the writer a few microseconds when nothing else is ready.
const GATHER_ROUNDS: usize = 8;

/// Adds what `receiver` holds to `group`, without waiting, up to `max`.
fn take_waiting<T>(receiver: &mut tokio::sync::mpsc::Receiver<T>, group: &mut Vec<T>, max: usize) {
    while group.len() < max
        && let Ok(item) = receiver.try_recv()
    {
        group.push(item);
    }
}

/// What the services run their statements on: the pool, or a transaction a caller opened
/// around a unit of work (a Web Connector call is one).
pub trait Db: sea_orm::ConnectionTrait + sea_orm::TransactionTrait {}

impl<T: sea_orm::ConnectionTrait + sea_orm::TransactionTrait> Db for T {}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbSetupError> {
    Migrator::up(db, None).await.map_err(DbSetupError::Migrate)
}

/// Whether the database answers a trivial query.
pub async fn is_reachable(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Whether PostgreSQL ended this statement to break a deadlock (SQLSTATE 40P01): the other
/// transaction went on, and the statement can simply be run again.
pub fn is_deadlock(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx))) = err else {
        return false;
    };
    matches!(sqlx.as_ref(), sqlx::Error::Database(db) if db.code().as_deref() == Some("40P01"))
}

/// Whether the database could not be reached at all (down, restarting, refusing connections,
/// or it ended our connection), as opposed to a statement that failed: the caller is told to
/// try again shortly, not that something broke. A connection the pool already held fails with
/// PostgreSQL's "terminating connection" (SQLSTATE class 57P) or an I/O error, not as a failed
/// acquire.
pub fn is_unreachable(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => match sqlx.as_ref() {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                true
            }
            // Class 08: connection exception; 57P: the server is shutting down or starting.
            sqlx::Error::Database(db) => {
                db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P"))
            }
            _ => false,
        },
        _ => false,
    }
}

/// The file behind a SQLite URL (`sqlite://path?opts` or `sqlite:path`), if it names one.
fn sqlite_file_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::sqlite_file_path;

    #[tokio::test(flavor = "current_thread")]
    async fn a_group_writer_waits_a_moment_for_the_callers_it_just_answered_and_no_longer() {
        let gate = super::WriteGate::default();
        let (sender, mut receiver) = tokio::sync::mpsc::channel(16);
        // One caller here, three ready to run but not sent yet (one thread: they run only when
        // the writer lets the runtime run).
        let arrive = |numbers: std::ops::Range<i32>| {
            for n in numbers {
                let sender = sender.clone();
                tokio::spawn(async move { sender.send(n).await.expect("the writer listens") });
            }
        };
        let mut group = Vec::new();

        sender.send(0).await.expect("sent");
        arrive(1..4);
        assert!(gate.gather(&mut receiver, &mut group, 16, 1).await.is_some());
        assert_eq!(group, [0], "after a lone caller, the next is stored at once");
        group.clear();
        assert!(gate.gather(&mut receiver, &mut group, 16, 1).await.is_some());
        assert_eq!(group, [1, 2, 3]);
        group.clear();

        sender.send(4).await.expect("sent");
        arrive(5..8);
        assert!(gate.gather(&mut receiver, &mut group, 16, 4).await.is_some());
        assert_eq!(group, [4, 5, 6, 7], "after a group of four, the four came back together");
        group.clear();

        // Fewer come back than were answered: the writer does not wait for the missing one.
        sender.send(8).await.expect("sent");
        let gathered =
            tokio::time::timeout(std::time::Duration::from_secs(5), gate.gather(&mut receiver, &mut group, 16, 4))
                .await;
        assert!(gathered.expect("not waiting for ever").is_some());
        assert_eq!(group, [8]);
    }

    #[tokio::test]
    async fn every_sqlite_connection_writes_ahead_without_a_flush_per_commit() {
        use sea_orm::{ConnectionTrait, Statement};
        let dir = tempfile::tempdir().unwrap();
        let db = super::connect(&format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display())).await.unwrap();
        for _ in 0..3 {
            let row = |sql: &str| db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()));
            let mode = row("PRAGMA journal_mode").await.unwrap().unwrap();
            assert_eq!(mode.try_get_by_index::<String>(0).unwrap(), "wal");
            let synchronous = row("PRAGMA synchronous").await.unwrap().unwrap();
            assert_eq!(synchronous.try_get_by_index::<i32>(0).unwrap(), 1, "NORMAL");
        }
    }

    #[tokio::test]
    async fn every_sqlite_connection_plans_a_statement_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let main = super::connect(&url).await.unwrap();
        let web_connector = super::connect_for_web_connector(&url, &main).await.unwrap();
        let mut held = Vec::new();
        for pool in [main.get_sqlite_connection_pool(), web_connector.get_sqlite_connection_pool()] {
            for _ in 0..pool.options().get_max_connections().min(3) {
                let mut connection = pool.acquire().await.unwrap();
                let mut handle = connection.lock_handle().await.unwrap();
                assert_eq!(super::query_planner_stability(&mut handle, -1), (libsqlite3_sys::SQLITE_OK, 1));
                drop(handle);
                // Held, so that the next acquire opens another connection.
                held.push(connection);
            }
        }
    }

    #[test]
    fn a_lost_connection_is_unreachable_and_a_failed_statement_is_not() {
        use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, sqlx};
        let sqlx_err = |err: sqlx::Error| DbErr::Query(RuntimeErr::SqlxError(err.into()));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(super::is_unreachable(&sqlx_err(sqlx::Error::Io(reset))));
        assert!(super::is_unreachable(&sqlx_err(sqlx::Error::PoolTimedOut)));
        assert!(super::is_unreachable(&DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)));
        assert!(!super::is_unreachable(&sqlx_err(sqlx::Error::RowNotFound)));
        assert!(!super::is_unreachable(&DbErr::RecordNotFound("a merchant".to_owned())));
    }

    #[test]
    fn finds_the_file_behind_a_sqlite_url() {
        assert_eq!(sqlite_file_path("sqlite://./data/lb.db?mode=rwc"), Some("./data/lb.db"));
        assert_eq!(sqlite_file_path("sqlite:/tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://localhost/test"), None);
    }
}
