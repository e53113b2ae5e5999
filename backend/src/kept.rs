//! A map whose entries count only for a while after they were put in: what a process keeps
//! between requests instead of reading it from the database again (a session's mapping
//! context, the order a call hands to the next, the store a webhook is addressed to).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

pub struct KeptFor<K, V> {
    fresh_for: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V> KeptFor<K, V> {
    pub fn new(fresh_for: Duration) -> Self {
        Self { fresh_for, entries: Mutex::default() }
    }

    /// A copy of the entry, if put in less than `fresh_for` ago.
    pub fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        V: Clone,
    {
        let fresh_for = self.fresh_for;
        self.lock().get(key).filter(|(at, _)| at.elapsed() < fresh_for).map(|(_, value)| value.clone())
    }

    /// Keeps `value` from now. Entries past their time are dropped here, so the map holds only
    /// what is in use now.
    pub fn put(&self, key: K, value: V) {
        let fresh_for = self.fresh_for;
        let mut entries = self.lock();
        entries.retain(|_, (at, _)| at.elapsed() < fresh_for);
        entries.insert(key, (Instant::now(), value));
    }

    /// Keeps `value` from now, unless `room` fresh entries are kept already; says whether it
    /// was kept. For values worth keeping only while there are few of them, and usually taken
    /// soon: entries past their time are dropped only when the room is full, not on every put.
    pub fn put_if_room(&self, key: K, value: V, room: usize) -> bool {
        let fresh_for = self.fresh_for;
        let mut entries = self.lock();
        if entries.len() >= room {
            entries.retain(|_, (at, _)| at.elapsed() < fresh_for);
        }
        let kept = entries.len() < room;
        if kept {
            entries.insert(key, (Instant::now(), value));
        }
        kept
    }

    /// Removes the entry and answers it if it was still fresh.
    pub fn take<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let (at, value) = self.lock().remove(key)?;
        (at.elapsed() < self.fresh_for).then_some(value)
    }

    pub fn forget<Q: Eq + Hash + ?Sized>(&self, key: &Q)
    where
        K: Borrow<Q>,
    {
        self.lock().remove(key);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        // A panic elsewhere while holding the lock leaves a map that is still a valid cache.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::KeptFor;
    use std::time::Duration;

    #[test]
    fn an_entry_counts_until_its_time_is_up_and_is_taken_once() {
        let kept = KeptFor::new(Duration::from_millis(40));
        kept.put("a", 1);
        assert_eq!(kept.get(&"a"), Some(1));
        assert_eq!(kept.take(&"a"), Some(1));
        assert_eq!(kept.take(&"a"), None, "taken once");
        kept.put("b", 2);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(kept.get(&"b"), None, "past its time");
        kept.put("c", 3);
        assert_eq!(kept.lock().len(), 1, "entries past their time are dropped on put");
        kept.forget(&"c");
        assert_eq!(kept.get(&"c"), None);
    }

    #[test]
    fn an_entry_is_kept_only_while_there_is_room() {
        let kept = KeptFor::new(Duration::from_millis(40));
        assert!(kept.put_if_room("a", 1, 2));
        assert!(kept.put_if_room("b", 2, 2));
        assert!(!kept.put_if_room("c", 3, 2), "two are kept already");
        assert_eq!(kept.get(&"c"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert!(kept.put_if_room("c", 3, 2), "those past their time make room");
        assert_eq!(kept.take(&"c"), Some(3));
    }
}
