use uuid::Uuid;

use super::service::LogEntry;
use crate::events::{Bus, OfConnection};

/// New log entries, for live subscribers in this process.
pub type LogBus = Bus<LogEntry>;

impl OfConnection for LogEntry {
    fn connection_id(&self) -> Uuid {
        self.connection_id
    }
}
