//! The transaction log: every action Ledgerbridge takes for a connection, stored and
//! published live to subscribers.
mod bus;
pub mod graphql;
mod live;
pub mod service;

pub use bus::LogBus;
pub use service::{LogEntry, LogFilter, LogKind, LogLevel, NewLogEntry, record_log_entry};
