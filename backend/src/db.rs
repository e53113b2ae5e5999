//! Opening the database (SQLite file or PostgreSQL) and bringing its schema up to date.

use std::path::Path;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

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
    if let Some(path) = sqlite_file_path(database_url)
        && let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| DbSetupError::CreateDir { path: path.to_owned(), source })?;
    }
    let mut options = ConnectOptions::new(database_url.to_owned());
    options
        .max_connections(16)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await.map_err(DbSetupError::Connect)?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode=WAL;").await.map_err(DbSetupError::Connect)?;
    }
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbSetupError> {
    Migrator::up(db, None).await.map_err(DbSetupError::Migrate)
}

/// Whether the database answers a trivial query.
pub async fn is_reachable(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
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

    #[test]
    fn finds_the_file_behind_a_sqlite_url() {
        assert_eq!(sqlite_file_path("sqlite://./data/lb.db?mode=rwc"), Some("./data/lb.db"));
        assert_eq!(sqlite_file_path("sqlite:/tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://localhost/test"), None);
    }
}
