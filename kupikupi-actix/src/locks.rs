//! One async lock per order, so that a process handles one order's payment
//! reports one at a time.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Smallest map size at which unused entries are swept.
const MIN_SWEEP_LEN: usize = 64;

/// A map of async locks keyed by order.
///
/// An entry lives only while a task holds or waits for its lock, because the
/// last guard to drop removes it. A waiter whose future is dropped before it
/// got the lock can leave an unused entry behind. Unused entries are swept
/// whenever the map has grown to twice its size after the previous sweep,
/// so the map stays within twice the number of orders in flight (and at
/// least 64 entries).
#[derive(Debug)]
pub(crate) struct KeyedLocks<K> {
    inner: Arc<Mutex<Entries<K>>>,
}

#[derive(Debug)]
struct Entries<K> {
    locks: HashMap<K, Arc<AsyncMutex<()>>>,
    sweep_at: usize,
}

impl<K> Clone for KeyedLocks<K> {
    fn clone(&self) -> Self {
        KeyedLocks {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K: Eq + Hash + Clone> KeyedLocks<K> {
    pub(crate) fn new() -> Self {
        KeyedLocks {
            inner: Arc::new(Mutex::new(Entries {
                locks: HashMap::new(),
                sweep_at: MIN_SWEEP_LEN,
            })),
        }
    }

    /// Waits for the lock of `key`; the lock is released when the guard drops.
    pub(crate) async fn lock(&self, key: K) -> KeyGuard<K> {
        let lock = {
            let mut entries = self.entries();
            if entries.locks.len() >= entries.sweep_at {
                // Only the map holds an entry with a count of 1: nobody waits for it.
                entries.locks.retain(|_, lock| Arc::strong_count(lock) > 1);
                entries.sweep_at = (entries.locks.len() * 2).max(MIN_SWEEP_LEN);
            }
            Arc::clone(
                entries
                    .locks
                    .entry(key.clone())
                    .or_insert_with(|| Arc::new(AsyncMutex::new(()))),
            )
        };
        let guard = lock.lock_owned().await;
        KeyGuard {
            key,
            owner: self.clone(),
            guard: Some(guard),
        }
    }

    /// The number of entries, for tests.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().locks.len()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries<K>> {
        // The map is left consistent by every critical section, which never
        // panics midway, so a poisoned lock still holds a valid map.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Holds the lock of one key.
#[derive(Debug)]
pub(crate) struct KeyGuard<K: Eq + Hash + Clone> {
    key: K,
    owner: KeyedLocks<K>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> Drop for KeyGuard<K> {
    fn drop(&mut self) {
        let Some(guard) = self.guard.take() else {
            return;
        };
        let mut entries = self.owner.entries();
        // Counts change only while the map is locked, so 2 (the map and this
        // guard) means no one else holds or waits for this lock.
        let unused = entries.locks.get(&self.key).is_some_and(|lock| {
            Arc::ptr_eq(lock, OwnedMutexGuard::mutex(&guard)) && Arc::strong_count(lock) == 2
        });
        if unused {
            entries.locks.remove(&self.key);
        }
        drop(entries);
        drop(guard);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn entry_removed_after_last_guard() {
        let locks = KeyedLocks::new();
        let guard = locks.lock("a").await;
        assert_eq!(locks.len(), 1);
        drop(guard);
        assert_eq!(locks.len(), 0);
    }

    #[tokio::test]
    async fn second_lock_waits_for_first() {
        let locks = KeyedLocks::new();
        let first = locks.lock("a").await;
        let waiting = locks.clone();
        let second = tokio::spawn(async move { waiting.lock("a").await });
        tokio::task::yield_now().await;
        assert!(!second.is_finished());
        drop(first);
        let second = second.await.unwrap();
        assert_eq!(locks.len(), 1);
        drop(second);
        assert_eq!(locks.len(), 0);
    }

    #[tokio::test]
    async fn other_keys_do_not_wait() {
        let locks = KeyedLocks::new();
        let _first = locks.lock("a").await;
        let second = tokio::time::timeout(Duration::from_secs(5), locks.lock("b")).await;
        assert!(second.is_ok());
    }

    async fn abandon_waiter(locks: &KeyedLocks<u32>, key: u32) {
        let guard = locks.lock(key).await;
        let waiter = locks.clone();
        let abandoned = tokio::spawn(async move { waiter.lock(key).await });
        tokio::task::yield_now().await;
        // The holder leaves while the waiter still counts, so the entry stays;
        // then the waiter gives up before it takes the lock.
        drop(guard);
        abandoned.abort();
        let _ = abandoned.await;
    }

    #[tokio::test]
    async fn abandoned_waiter_leaves_entry() {
        let locks = KeyedLocks::new();
        abandon_waiter(&locks, 1).await;
        assert_eq!(locks.len(), 1);
    }

    #[tokio::test]
    async fn abandoned_entries_are_swept() {
        let locks = KeyedLocks::new();
        for key in 0..1000 {
            abandon_waiter(&locks, key).await;
        }
        assert!(locks.len() <= 2 * MIN_SWEEP_LEN, "{} entries", locks.len());
    }
}
