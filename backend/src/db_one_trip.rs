//! SQLite transactions handed to SQLite's connection thread in one trip each.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every statement, BEGIN and
//! COMMIT included, is a message to that thread and a reply back: a wake-up on each side. A
//! group writer's transaction of two statements was four trips, each waiting on busy cores to
//! be scheduled while the writer held SQLite's write turn. Sent as one multi-statement query,
//! it is one trip; SQLite still runs it as one transaction, committed or not at all.

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, Sqlite, SqlitePool};
use sea_orm::{DatabaseConnection, DbErr, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;

/// A SQLite connection kept by one writing task, which hands it each transaction in one trip.
///
/// Kept rather than borrowed from the pool for each transaction: sqlx pings a connection on
/// its way back into the pool, one more trip to its thread, and the next transaction would
/// wait for that trip before it could borrow the connection again.
pub struct OneTripWriter {
    pool: SqlitePool,
    held: Option<PoolConnection<Sqlite>>,
}

impl OneTripWriter {
    /// Writes through a connection of `db`, a SQLite pool of the writer's own
    /// ([`crate::db::connect_own`]): the connection is kept for as long as the writer lives.
    pub fn new(db: &DatabaseConnection) -> Self {
        Self { pool: db.get_sqlite_connection_pool().clone(), held: None }
    }

    /// Runs `statements` in one `BEGIN IMMEDIATE … COMMIT`; returns the rows they return
    /// (`RETURNING`), in order. On an error nothing of them is kept.
    pub async fn transaction(&mut self, statements: Vec<Statement>) -> Result<Vec<QueryResult>, DbErr> {
        let mut sql = String::from("BEGIN IMMEDIATE;\n");
        let mut values = Vec::new();
        for statement in statements {
            sql.push_str(&statement.sql);
            sql.push_str(";\n");
            values.extend(statement.values.map(|v| v.0).unwrap_or_default());
        }
        sql.push_str("COMMIT;");

        let connection = match &mut self.held {
            Some(connection) => connection,
            None => self.held.insert(self.pool.acquire().await.map_err(query_error)?),
        };
        // Safe: the text is the statements' own, sea-query's output with every value bound apart.
        // Kept prepared: a writer's texts differ only by their number of rows, so the same
        // few come back again and again.
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), SqlxValues(sea_orm::sea_query::Values(values)))
            .fetch_all(&mut **connection)
            .await;
        match rows {
            Ok(rows) => Ok(rows.into_iter().map(QueryResult::from).collect()),
            Err(err) => {
                // A statement failed after BEGIN: the transaction is still open on this
                // connection. Closing the connection rolls it back, and the next transaction
                // borrows a fresh one, so none ever starts inside a transaction left open.
                if let Some(mut connection) = self.held.take() {
                    connection.close_on_drop();
                }
                Err(query_error(err))
            }
        }
    }
}

fn query_error(err: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(err.into()))
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};

    use super::OneTripWriter;

    fn statement(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
        Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
    }

    async fn count(db: &sea_orm::DatabaseConnection) -> i64 {
        let row = db
            .query_one_raw(statement("SELECT COUNT(*) AS n FROM one_trip", vec![]))
            .await
            .expect("a count")
            .expect("a row");
        row.try_get("", "n").expect("n")
    }

    #[tokio::test]
    async fn the_statements_commit_together_with_their_values_bound_in_order_or_not_at_all() {
        let (dir, main) = crate::test_support::migrated_sqlite().await;
        // The writer's pool has one connection: after the failure there is no other to hand out.
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let own = crate::db::connect_own(&url, &main).await.expect("a one-connection pool");
        let mut writer = OneTripWriter::new(&own);
        main.execute_unprepared("CREATE TABLE one_trip (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
            .await
            .expect("a table");

        let rows = writer
            .transaction(vec![
                statement("INSERT INTO one_trip (name) VALUES (?), (?)", vec!["a".into(), "b".into()]),
                statement("INSERT INTO one_trip (name) VALUES (?) RETURNING id, name", vec!["c".into()]),
            ])
            .await
            .expect("stored");
        let returned: Vec<(i64, String)> = rows
            .iter()
            .map(|row| (row.try_get("", "id").expect("id"), row.try_get("", "name").expect("name")))
            .collect();
        assert_eq!(returned, [(3, "c".to_owned())], "the values of the second statement follow the first's");
        assert_eq!(count(&main).await, 3);

        // The second statement breaks the unique name: the first is not kept either.
        let failed = writer
            .transaction(vec![
                statement("INSERT INTO one_trip (name) VALUES (?)", vec!["d".into()]),
                statement("INSERT INTO one_trip (name) VALUES (?)", vec!["a".into()]),
            ])
            .await;
        assert!(failed.is_err(), "a duplicate name");
        assert_eq!(count(&main).await, 3, "nothing of the failed transaction kept");

        // The writer's next transactions do not start inside the failed one (BEGIN would fail):
        // they begin and commit as they should.
        for name in ["e", "f", "g"] {
            writer
                .transaction(vec![statement("INSERT INTO one_trip (name) VALUES (?)", vec![name.into()])])
                .await
                .expect("stored after the failure");
        }
        assert_eq!(count(&main).await, 6);
    }
}
