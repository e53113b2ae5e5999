//! Ledgerbridge: online store orders into QuickBooks Desktop through the Web Connector.
//!
//! One domain layer (accounts, connections, the wizard, QuickBooks lists, the transaction
//! log) served over GraphQL; the binary in `main.rs` only parses the command line.

pub mod accounts;
pub mod app;
pub mod config;
pub mod connections;
pub mod db;
pub mod db_checkpoints;
pub(crate) mod db_enum;
pub mod db_nodelay;
pub mod db_one_trip;
pub mod domain;
pub mod entities;
pub mod error;
pub mod events;
pub mod graphql;
mod http;
pub mod inventory;
pub mod kept;
pub mod memory;
pub mod notifications;
pub mod orders;
pub mod qbxml;
pub mod quickbooks_lists;
pub mod quickbooks_sales;
pub mod replicas;
pub mod stores;
#[cfg(test)]
mod test_support;
pub mod transaction_log;
pub mod web_connector;
pub mod webhooks;
pub mod wizard;

pub use app::{AppState, Application, StartupError};
pub use config::Config;
