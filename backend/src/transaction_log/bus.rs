use std::sync::Arc;

use tokio::sync::broadcast;

use super::service::LogEntry;

/// Fans new log entries out to live subscribers in this process.
#[derive(Clone)]
pub struct LogBus {
    sender: broadcast::Sender<Arc<LogEntry>>,
}

impl LogBus {
    pub fn new() -> Self {
        // A subscriber that falls this far behind skips ahead (it is told how many it missed)
        // rather than holding memory for everyone.
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    pub fn publish(&self, entry: LogEntry) {
        // No subscribers is not an error: the entry is already stored.
        let _ = self.sender.send(Arc::new(entry));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LogEntry>> {
        self.sender.subscribe()
    }
}

impl Default for LogBus {
    fn default() -> Self {
        Self::new()
    }
}
