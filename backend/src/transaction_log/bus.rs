use super::service::LogEntry;
use crate::events::Bus;

/// New log entries, for live subscribers in this process.
pub type LogBus = Bus<LogEntry>;
