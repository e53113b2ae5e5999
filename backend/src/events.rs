//! In-process fan-out of things that just happened (log entries, progress, inventory, sales)
//! to live GraphQL subscribers. What is published is already stored, so a subscriber that
//! falls behind skips ahead (and may re-read from the database) rather than holding memory.

use std::sync::Arc;

use tokio::sync::broadcast;

pub struct Bus<T> {
    sender: broadcast::Sender<Arc<T>>,
}

impl<T> Bus<T> {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    /// Publishes to whoever listens; nobody listening is not an error.
    pub fn publish(&self, value: T) {
        let _ = self.sender.send(Arc::new(value));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<T>> {
        self.sender.subscribe()
    }
}

impl<T> Clone for Bus<T> {
    fn clone(&self) -> Self {
        Self { sender: self.sender.clone() }
    }
}

impl<T> Default for Bus<T> {
    fn default() -> Self {
        Self::new()
    }
}
