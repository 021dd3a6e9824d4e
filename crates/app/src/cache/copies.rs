//! A bounded, sharded map of copies that an invalidation can always beat.
//!
//! The race it closes: a reader misses, reads the database, and meanwhile
//! the row changes and its invalidation arrives; inserting what it read
//! would then keep the old value past the invalidation. So every read takes
//! a [`Ticket`] (the cache's epoch) *before* it asks the database, every
//! invalidation bumps the epoch *before* it drops anything, and a copy is
//! only kept when the epoch has not moved since its ticket, checked under
//! the lock of the shard it goes into. One epoch for the whole cache rather
//! than one per key: invalidations are rare next to reads (logouts, profile
//! edits, membership changes), and a global epoch needs no memory for keys
//! that are not cached.
//!
//! Bounded by entries per shard; a full shard drops an arbitrary entry.
//! Random eviction keeps hit rates close to LRU for skewed workloads, costs
//! nothing on a hit (no recency to record under a lock), and every copy
//! expires after the TTL anyway.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const SHARDS: usize = 16;

/// The epoch a read started in; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

/// Copies, each with when it was kept.
type Shard<K, V> = HashMap<K, (V, Instant)>;

pub(crate) struct Copies<K, V> {
    shards: Box<[Mutex<Shard<K, V>>]>,
    hasher: RandomState,
    epoch: AtomicU64,
    /// False while invalidations may be missed: nothing is kept or served.
    tracking: AtomicBool,
    ttl: Duration,
    per_shard: usize,
}

impl<K, V> std::fmt::Debug for Copies<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Copies")
            .field("ttl", &self.ttl)
            .field("per_shard", &self.per_shard)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Copies<K, V> {
    /// A cache of at most about `capacity` copies, each kept at most `ttl`.
    /// It keeps nothing until told that invalidations arrive
    /// ([`Self::tracking`]).
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            epoch: AtomicU64::new(0),
            tracking: AtomicBool::new(false),
            ttl,
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> std::sync::MutexGuard<'_, Shard<K, V>> {
        let index = usize::try_from(self.hasher.hash_one(key) % SHARDS as u64).unwrap_or(0);
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The live copy of `key`, if one is kept.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if !self.tracking.load(Ordering::Acquire) {
            return None;
        }
        let shard = self.shard(key);
        let (value, kept_at) = shard.get(key)?;
        (kept_at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// A cache of what never goes stale but may be forgotten, such as
    /// checked signatures: no invalidation concerns it, so it tracks from the start.
    pub(crate) fn remembering(capacity: usize, ttl: Duration) -> Self {
        let copies = Self::new(capacity, ttl);
        copies.tracking(true);
        copies
    }

    /// Taken before reading what may be kept; `None` when nothing may be.
    pub(crate) fn ticket(&self) -> Option<Ticket> {
        self.tracking
            .load(Ordering::Acquire)
            .then(|| Ticket(self.epoch.load(Ordering::SeqCst)))
    }

    /// Keeps `value` read under `ticket`, unless something was invalidated since.
    pub(crate) fn keep(&self, ticket: Option<Ticket>, key: K, value: V) {
        let Some(Ticket(epoch)) = ticket else {
            return;
        };
        let mut shard = self.shard(&key);
        if !self.tracking.load(Ordering::Acquire) || self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        if shard.len() >= self.per_shard && !shard.contains_key(&key) {
            let victim = shard.keys().next().cloned();
            if let Some(victim) = victim {
                shard.remove(&victim);
            }
        }
        shard.insert(key, (value, Instant::now()));
    }

    /// Drops the copy of `key`.
    pub(crate) fn forget(&self, key: &K) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.shard(key).remove(key);
    }

    /// Drops every copy `stale` picks; walks the whole cache, so only for
    /// invalidations that are rare (a user's every session, a user's blocks).
    pub(crate) fn forget_where(&self, stale: impl Fn(&K, &V) -> bool) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for shard in &self.shards {
            shard
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|key, (value, _)| !stale(key, value));
        }
    }

    /// Whether invalidations arrive: when they may not, every copy goes and
    /// none is kept until they do again.
    pub(crate) fn tracking(&self, live: bool) {
        if live {
            // Reads that started while not tracking hold no ticket anyway.
            self.epoch.fetch_add(1, Ordering::SeqCst);
            self.tracking.store(true, Ordering::Release);
        } else {
            self.tracking.store(false, Ordering::Release);
            self.forget_where(|_, _| true);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(capacity: usize) -> Copies<u32, &'static str> {
        let copies = Copies::new(capacity, Duration::from_secs(60));
        copies.tracking(true);
        copies
    }

    #[test]
    fn a_copy_read_before_an_invalidation_is_not_kept_after_it() {
        let copies = tracked(100);
        let ticket = copies.ticket();
        // The database changes and its invalidation arrives while the read is on its way.
        copies.forget(&1);
        copies.keep(ticket, 1, "old");
        assert_eq!(copies.get(&1), None);
        let ticket = copies.ticket();
        copies.keep(ticket, 1, "new");
        assert_eq!(copies.get(&1), Some("new"));
    }

    #[test]
    fn a_sweeping_invalidation_also_beats_reads_in_flight() {
        let copies = tracked(100);
        let ticket = copies.ticket();
        copies.forget_where(|key, _| *key == 7);
        copies.keep(ticket, 1, "read before");
        assert_eq!(copies.get(&1), None);
    }

    #[test]
    fn nothing_is_kept_or_served_while_invalidations_may_be_missed() {
        let copies = tracked(100);
        let ticket = copies.ticket();
        copies.keep(ticket, 1, "kept");
        let in_flight = copies.ticket();
        copies.tracking(false);
        assert_eq!(copies.get(&1), None);
        assert_eq!(copies.ticket(), None);
        copies.keep(in_flight, 2, "read while tracking");
        copies.tracking(true);
        assert_eq!(copies.get(&1), None);
        assert_eq!(copies.get(&2), None);
    }

    #[test]
    fn an_untracked_cache_keeps_nothing() {
        let copies: Copies<u32, &str> = Copies::new(100, Duration::from_secs(60));
        copies.keep(copies.ticket(), 1, "never");
        assert_eq!(copies.len(), 0);
    }

    #[test]
    fn copies_expire() {
        let copies = Copies::new(100, Duration::ZERO);
        copies.tracking(true);
        copies.keep(copies.ticket(), 1, "gone at once");
        assert_eq!(copies.get(&1), None);
    }

    #[test]
    fn the_size_stays_bounded() {
        let copies = tracked(32);
        for key in 0..1_000 {
            copies.keep(copies.ticket(), key, "x");
        }
        assert!(copies.len() <= 32, "{} copies", copies.len());
    }
}
