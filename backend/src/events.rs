//! In-process fan-out of things that just happened (log entries, progress, inventory, sales)
//! to live GraphQL subscribers. What is published is already stored, so a subscriber that
//! falls behind skips ahead (and may re-read from the database) rather than holding memory.
//! On PostgreSQL a bus also forwards what it publishes to the other replicas (see
//! [`crate::replicas`]), which publish it to their own subscribers with [`Bus::publish_local`].
//!
//! Each QuickBooks connection has its own channel, made when someone first subscribes to it
//! and dropped once nobody listens. One shared channel woke every subscriber of every
//! merchant for every value, and one merchant's burst (a Web Connector run reading thousands
//! of quantities) pushed other merchants' subscribers past the channel's end, where they lost
//! updates meant for them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio::sync::broadcast;
use uuid::Uuid;

/// Values a subscriber may fall behind by, per connection, before it skips ahead.
const ROOM: usize = 1024;

/// What a bus carries: each value belongs to one QuickBooks connection.
pub trait OfConnection {
    fn connection_id(&self) -> Uuid;
}

/// Tells the other replicas about a value published here.
pub type Forward<T> = Arc<dyn Fn(&T) + Send + Sync>;

type Channels<T> = Arc<RwLock<HashMap<Uuid, broadcast::Sender<Arc<T>>>>>;

pub struct Bus<T> {
    channels: Channels<T>,
    /// Set on a holding bus: what is published waits here for [`Bus::release_into`].
    held: Option<Arc<Mutex<Vec<T>>>>,
    forward: Option<Forward<T>>,
}

impl<T: OfConnection> Bus<T> {
    pub fn new() -> Self {
        Self { channels: Arc::default(), held: None, forward: None }
    }

    /// A bus whose every publication is also handed to `forward` (for the other replicas).
    pub fn forwarding(forward: Forward<T>) -> Self {
        Self { forward: Some(forward), ..Self::new() }
    }

    /// A bus that keeps what is published until it is released: for work inside a database
    /// transaction, whose records exist only once it commits (a rolled-back batch must not
    /// have shown subscribers entries that are not there).
    pub fn holding() -> Self {
        Self { held: Some(Arc::default()), ..Self::new() }
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
                self.publish_local(value);
            }
        }
    }

    /// Publishes to this process's subscribers only: for what another replica forwarded.
    pub fn publish_local(&self, value: T) {
        let connection_id = value.connection_id();
        let sent = match self.channels.read().unwrap_or_else(PoisonError::into_inner).get(&connection_id) {
            Some(sender) => sender.send(Arc::new(value)).is_ok(),
            None => return,
        };
        if !sent {
            // Its last subscriber left; unless another came meanwhile, the channel goes too.
            let mut channels = self.channels.write().unwrap_or_else(PoisonError::into_inner);
            if channels.get(&connection_id).is_some_and(|sender| sender.receiver_count() == 0) {
                channels.remove(&connection_id);
            }
        }
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

    /// What is published for `connection_id` from now on.
    pub fn subscribe(&self, connection_id: Uuid) -> broadcast::Receiver<Arc<T>> {
        let mut channels = self.channels.write().unwrap_or_else(PoisonError::into_inner);
        // Channels whose subscribers all left without anything published since.
        channels.retain(|_, sender| sender.receiver_count() > 0);
        channels.entry(connection_id).or_insert_with(|| broadcast::channel(ROOM).0).subscribe()
    }

    #[cfg(test)]
    fn channels(&self) -> usize {
        self.channels.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl<T> Clone for Bus<T> {
    fn clone(&self) -> Self {
        Self { channels: self.channels.clone(), held: self.held.clone(), forward: self.forward.clone() }
    }
}

impl<T: OfConnection> Default for Bus<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::sync::broadcast::error::TryRecvError;
    use uuid::Uuid;

    use super::{Bus, OfConnection};

    /// A value for a connection.
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Said(Uuid, u32);

    impl OfConnection for Said {
        fn connection_id(&self) -> Uuid {
            self.0
        }
    }

    #[tokio::test]
    async fn a_holding_bus_publishes_only_what_it_releases() {
        let books = Uuid::now_v7();
        let live = Bus::new();
        let mut subscriber = live.subscribe(books);
        let held = Bus::holding();
        held.publish(Said(books, 1));
        held.discard();
        held.publish(Said(books, 2));
        held.publish(Said(books, 3));
        assert!(subscriber.try_recv().is_err(), "nothing reaches subscribers before the release");
        held.release_into(&live);
        assert_eq!(*subscriber.recv().await.unwrap(), Said(books, 2));
        assert_eq!(*subscriber.recv().await.unwrap(), Said(books, 3));
        held.release_into(&live);
        assert!(subscriber.try_recv().is_err(), "a release publishes once");
    }

    #[tokio::test]
    async fn a_forwarding_bus_forwards_what_it_publishes_but_not_what_it_was_forwarded() {
        let books = Uuid::now_v7();
        let forwarded = Arc::new(Mutex::new(Vec::new()));
        let sink = forwarded.clone();
        let bus = Bus::forwarding(Arc::new(move |v: &Said| sink.lock().unwrap().push(v.1)));
        let mut subscriber = bus.subscribe(books);
        bus.publish(Said(books, 1));
        bus.publish_local(Said(books, 2));
        let held = Bus::holding();
        held.publish(Said(books, 3));
        held.release_into(&bus);
        assert_eq!(*forwarded.lock().unwrap(), vec![1, 3], "a value from another replica is not sent back");
        for expected in [1, 2, 3] {
            assert_eq!(subscriber.recv().await.unwrap().1, expected);
        }
    }

    #[tokio::test]
    async fn one_connections_burst_neither_reaches_nor_crowds_out_another_connections_subscribers() {
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let bus = Bus::new();
        let mut subscriber = bus.subscribe(mine);
        let mut other = bus.subscribe(theirs);
        bus.publish(Said(mine, 1));
        // Another merchant's Web Connector run, published before this subscriber's turn came.
        for n in 0..5_000 {
            bus.publish(Said(theirs, n));
        }
        bus.publish(Said(mine, 2));
        assert_eq!(subscriber.try_recv().map(|v| *v), Ok(Said(mine, 1)), "not lost behind the burst");
        assert_eq!(subscriber.try_recv().map(|v| *v), Ok(Said(mine, 2)));
        assert_eq!(subscriber.try_recv().map(|v| *v), Err(TryRecvError::Empty), "nothing of the other's");
        // The burst's own subscriber fell behind it, as before: it skips ahead.
        assert!(matches!(other.try_recv(), Err(TryRecvError::Lagged(_))));
    }

    #[tokio::test]
    async fn a_connections_channel_goes_once_nobody_listens() {
        let (books, other, third) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let bus = Bus::new();
        bus.publish(Said(books, 0));
        assert_eq!(bus.channels(), 0, "publishing to nobody makes no channel");
        let (first, second) = (bus.subscribe(books), bus.subscribe(books));
        assert_eq!(bus.channels(), 1, "one channel per connection");
        drop(first);
        bus.publish(Said(books, 1));
        assert_eq!(bus.channels(), 1, "a subscriber still listens");
        drop(second);
        bus.publish(Said(books, 2));
        assert_eq!(bus.channels(), 0, "gone on the first publication nobody hears");
        // A connection nothing is published to any more is swept when someone subscribes.
        drop(bus.subscribe(other));
        let _listening = bus.subscribe(third);
        assert_eq!(bus.channels(), 1);
    }
}
