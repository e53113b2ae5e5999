//! PostgreSQL compresses a stored webhook body (several kilobytes of JSON) and an order's
//! payload on every insert; with its default method, pglz, that was the largest single item
//! of the database's work during webhook intake (14 % of it in a profile). lz4 compresses
//! faster. A server built without lz4 (or older than PostgreSQL 14) keeps pglz: the change is
//! only about speed. SQLite does not compress and needs nothing.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Sets each column's method, skipping those the server cannot use.
fn compression(method: &str) -> String {
    let columns = [("webhook_event", "raw_body"), ("store_order", "payload")];
    let statements: String = columns
        .iter()
        .map(|(table, column)| {
            format!(
                "BEGIN EXECUTE 'ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}'; \
                 EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR syntax_error THEN NULL; END; "
            )
        })
        .collect();
    format!("DO $$ BEGIN {statements}END $$")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(&compression("lz4")).await.map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(&compression("DEFAULT")).await.map(|_| ())
    }
}
