//! SQLite transactions handed to SQLite's connection thread in one trip each.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every statement, BEGIN and
//! COMMIT included, is a message to that thread and a reply back: a wake-up on each side. A
//! group writer's transaction of two statements was four trips, each waiting on busy cores to
//! be scheduled while the writer held SQLite's write turn. Sent as one multi-statement query,
//! it is one trip; SQLite still runs it as one transaction, committed or not at all.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::sqlite::SqliteArguments;
use sea_orm::sqlx::{self, Arguments, Encode, Sqlite, SqlitePool, Type};
use sea_orm::{DatabaseConnection, DbErr, QueryResult, RuntimeErr};

/// A transaction on its way to [`OneTripWriter::transaction`]: its statements' text and the
/// values bound to their `?`, in order.
///
/// The text is written here rather than by sea-query, and the values bound straight to
/// sqlx: under a stream of wizard saves, building the statements and converting their values
/// took about a twentieth of the server's time, copying every JSON document three times on
/// the way.
pub struct OneTrip {
    sql: String,
    arguments: SqliteArguments,
}

impl Default for OneTrip {
    fn default() -> Self {
        Self { sql: String::from("BEGIN IMMEDIATE;\n"), arguments: SqliteArguments::default() }
    }
}

impl OneTrip {
    /// Appends `INSERT INTO "table" ("column", …) VALUES` with `rows` rows of placeholders,
    /// then `tail` (an `ON CONFLICT` or a `RETURNING` clause, or nothing). The rows' values
    /// follow with [`Self::bind`], row after row, each in the order of `columns`.
    ///
    /// `table` and `columns` are an entity's own names, never text from outside.
    pub fn insert(&mut self, table: &str, columns: &[&str], rows: usize, tail: &str) {
        let sql = &mut self.sql;
        sql.push_str("INSERT INTO \"");
        sql.push_str(table);
        sql.push_str("\" (");
        for (n, column) in columns.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push('"');
            sql.push_str(column);
            sql.push('"');
        }
        sql.push_str(") VALUES ");
        for row in 0..rows {
            sql.push_str(if row == 0 { "(?" } else { ", (?" });
            for _ in 1..columns.len() {
                sql.push_str(", ?");
            }
            sql.push(')');
        }
        if !tail.is_empty() {
            sql.push(' ');
            sql.push_str(tail);
        }
        sql.push_str(";\n");
        self.arguments.reserve(rows * columns.len(), 0);
    }

    /// Appends `sql`, a statement of our own with no `?` of its own (a SELECT of what the
    /// transaction did, say).
    pub fn statement(&mut self, sql: &str) {
        self.sql.push_str(sql);
        self.sql.push_str(";\n");
    }

    /// Binds the next `?`, as sea-orm would bind the same Rust value.
    pub fn bind<'q, T: Encode<'q, Sqlite> + Type<Sqlite> + 'q>(&mut self, value: T) -> Result<(), DbErr> {
        self.arguments.add(value).map_err(|err| DbErr::Custom(format!("a value could not be bound: {err}")))
    }
}

/// `time` as sqlx writes a `DateTime<Utc>` to SQLite, for binding to many rows: text that
/// sorts as the times do, which the log's filters by date rely on.
pub fn sqlite_time(time: DateTime<Utc>) -> Arc<str> {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false).into()
}

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

    /// Runs `trip`'s statements in one `BEGIN IMMEDIATE … COMMIT`; returns the rows they
    /// return (`RETURNING`, a SELECT), in order. On an error nothing of them is kept.
    pub async fn transaction(&mut self, trip: OneTrip) -> Result<Vec<QueryResult>, DbErr> {
        let OneTrip { mut sql, arguments } = trip;
        sql.push_str("COMMIT;");

        let connection = match &mut self.held {
            Some(connection) => connection,
            None => self.held.insert(self.pool.acquire().await.map_err(query_error)?),
        };
        // Safe: the text is [`OneTrip`]'s, made of entities' names and placeholders, with
        // every value bound apart. Kept prepared: a writer's texts differ only by their
        // number of rows, so the same few come back again and again.
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments).fetch_all(&mut **connection).await;
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

    use super::{OneTrip, OneTripWriter};

    async fn count(db: &sea_orm::DatabaseConnection) -> i64 {
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT COUNT(*) AS n FROM one_trip"))
            .await
            .expect("a count")
            .expect("a row");
        row.try_get("", "n").expect("n")
    }

    /// Inserts of names into `one_trip`, one statement per list, each returning what `tail` says.
    fn trip(statements: &[(&[&str], &str)]) -> OneTrip {
        let mut trip = OneTrip::default();
        for (names, tail) in statements {
            trip.insert("one_trip", &["name"], names.len(), tail);
            for name in *names {
                trip.bind(*name).expect("bound");
            }
        }
        trip
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

        let rows =
            writer.transaction(trip(&[(&["a", "b"], ""), (&["c"], "RETURNING id, name")])).await.expect("stored");
        let returned: Vec<(i64, String)> = rows
            .iter()
            .map(|row| (row.try_get("", "id").expect("id"), row.try_get("", "name").expect("name")))
            .collect();
        assert_eq!(returned, [(3, "c".to_owned())], "the values of the second statement follow the first's");
        assert_eq!(count(&main).await, 3);

        // The second statement breaks the unique name: the first is not kept either.
        let failed = writer.transaction(trip(&[(&["d"], ""), (&["a"], "")])).await;
        assert!(failed.is_err(), "a duplicate name");
        assert_eq!(count(&main).await, 3, "nothing of the failed transaction kept");

        // The writer's next transactions do not start inside the failed one (BEGIN would fail):
        // they begin and commit as they should.
        for name in ["e", "f", "g"] {
            writer.transaction(trip(&[(&[name], "")])).await.expect("stored after the failure");
        }
        assert_eq!(count(&main).await, 6);

        // A statement of our own after them sees what they did.
        let mut last = trip(&[(&["h", "i"], "")]);
        last.statement("SELECT last_insert_rowid() AS id");
        let rows = writer.transaction(last).await.expect("stored");
        let ids: Vec<i64> = rows.iter().map(|row| row.try_get("", "id").expect("id")).collect();
        assert_eq!(ids, [8], "the second of the two rows after the six");
    }

    #[test]
    fn an_insert_has_a_row_of_placeholders_per_row_and_its_tail() {
        let mut trip = OneTrip::default();
        trip.insert("t", &["a", "b"], 2, "RETURNING \"id\"");
        trip.insert("u", &["c"], 1, "");
        trip.statement("SELECT 1");
        assert_eq!(
            trip.sql,
            "BEGIN IMMEDIATE;\nINSERT INTO \"t\" (\"a\", \"b\") VALUES (?, ?), (?, ?) RETURNING \"id\";\nINSERT INTO \"u\" (\"c\") VALUES (?);\nSELECT 1;\n"
        );
    }
}
