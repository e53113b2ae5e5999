//! Integration tests: the real application on a random port, over real HTTP and websockets,
//! against a SQLite file and (when LEDGERBRIDGE_TEST_POSTGRES_URL is set) PostgreSQL.
mod helpers;

mod accounts;
mod health;
mod limits;
mod notifications;
mod tenancy;
mod transaction_log;
mod webhook_intake;
mod wizard;
