//! In-process fan-out of things that just happened (log entries, progress, inventory, sales)
//! to live GraphQL subscribers. What is published is already stored, so a subscriber that
//! falls behind skips ahead (and may re-read from the database) rather than holding memory.
//! On PostgreSQL a bus also forwards what it publishes to the other replicas (see
//! [`crate::replicas`]), which publish it to their own subscribers with [`Bus::publish_local`].

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::broadcast;

/// Tells the other replicas about a value published here.
pub type Forward<T> = Arc<dyn Fn(&T) + Send + Sync>;

pub struct Bus<T> {
    sender: broadcast::Sender<Arc<T>>,
    /// Set on a holding bus: what is published waits here for [`Bus::release_into`].
    held: Option<Arc<Mutex<Vec<T>>>>,
    forward: Option<Forward<T>>,
}

impl<T> Bus<T> {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender, held: None, forward: None }
    }

    /// A bus whose every publication is also handed to `forward` (for the other replicas).
    pub fn forwarding(forward: Forward<T>) -> Self {
        Self { forward: Some(forward), ..Self::new() }
    }

    /// A bus that keeps what is published until it is released: for work inside a database
    /// transaction, whose records exist only once it commits (a rolled-back batch must not
    /// have shown subscribers entries that are not there).
    pub fn holding() -> Self {
        let (sender, _) = broadcast::channel(1);
        Self { sender, held: Some(Arc::default()), forward: None }
    }

    /// Publishes to whoever listens, here and (when forwarding) on the other replicas; nobody
    /// listening is not an error.
    pub fn publish(&self, value: T) {
        match &self.held {
            Some(held) => held.lock().unwrap_or_else(PoisonError::into_inner).push(value),
            None => {
                if let Some(forward) = &self.forward {
                    forward(&value);
                }
                let _ = self.sender.send(Arc::new(value));
            }
        }
    }

    /// Publishes to this process's subscribers only: for what another replica forwarded.
    pub fn publish_local(&self, value: T) {
        let _ = self.sender.send(Arc::new(value));
    }

    /// Publishes on `target` what this holding bus kept, in order, and forgets it.
    pub fn release_into(&self, target: &Bus<T>) {
        if let Some(held) = &self.held {
            let values = std::mem::take(&mut *held.lock().unwrap_or_else(PoisonError::into_inner));
            for value in values {
                target.publish(value);
            }
        }
    }

    /// Forgets what this holding bus kept (its transaction rolled back).
    pub fn discard(&self) {
        if let Some(held) = &self.held {
            held.lock().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<T>> {
        self.sender.subscribe()
    }
}

impl<T> Clone for Bus<T> {
    fn clone(&self) -> Self {
        Self { sender: self.sender.clone(), held: self.held.clone(), forward: self.forward.clone() }
    }
}

impl<T> Default for Bus<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Bus;

    #[tokio::test]
    async fn a_holding_bus_publishes_only_what_it_releases() {
        let live = Bus::<u32>::new();
        let mut subscriber = live.subscribe();
        let held = Bus::holding();
        held.publish(1);
        held.discard();
        held.publish(2);
        held.publish(3);
        assert!(subscriber.try_recv().is_err(), "nothing reaches subscribers before the release");
        held.release_into(&live);
        assert_eq!(*subscriber.recv().await.unwrap(), 2);
        assert_eq!(*subscriber.recv().await.unwrap(), 3);
        held.release_into(&live);
        assert!(subscriber.try_recv().is_err(), "a release publishes once");
    }

    #[tokio::test]
    async fn a_forwarding_bus_forwards_what_it_publishes_but_not_what_it_was_forwarded() {
        use std::sync::{Arc, Mutex};
        let forwarded = Arc::new(Mutex::new(Vec::new()));
        let sink = forwarded.clone();
        let bus = Bus::<u32>::forwarding(Arc::new(move |v: &u32| sink.lock().unwrap().push(*v)));
        let mut subscriber = bus.subscribe();
        bus.publish(1);
        bus.publish_local(2);
        let held = Bus::holding();
        held.publish(3);
        held.release_into(&bus);
        assert_eq!(*forwarded.lock().unwrap(), vec![1, 3], "a value from another replica is not sent back");
        for expected in [1, 2, 3] {
            assert_eq!(*subscriber.recv().await.unwrap(), expected);
        }
    }
}
