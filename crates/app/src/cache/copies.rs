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
//! Bounded by entries per shard. A full shard first reclaims its expired
//! copies (at most once per sweep interval, so a cache whose working set
//! outgrows it does not walk the shard on every miss), then drops a random
//! one. Random eviction keeps hit rates close to LRU for skewed workloads
//! and costs nothing on a hit (no recency to record under a lock); picking
//! the victim walks the shard, which is paid only on a miss into a full
//! shard, next to a database read.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use rand::Rng;

const SHARDS: usize = 16;

/// The epoch a read started in; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

/// How many sweeps for expired copies a full shard may make per TTL.
const SWEEPS_PER_TTL: u32 = 8;

/// Copies, each with when it was kept, and when expired ones were last reclaimed.
struct Shard<K, V> {
    copies: HashMap<K, (V, Instant)>,
    swept_at: Option<Instant>,
}

impl<K, V> Default for Shard<K, V> {
    fn default() -> Self {
        Self {
            copies: HashMap::new(),
            swept_at: None,
        }
    }
}

impl<K: Hash + Eq + Clone, V> Shard<K, V> {
    /// Makes room for one more copy when the shard holds `limit`: expired
    /// copies first, else a random one.
    fn make_room(&mut self, limit: usize, ttl: Duration) {
        if self.copies.len() < limit {
            return;
        }
        let sweep_due = self
            .swept_at
            .is_none_or(|swept_at| swept_at.elapsed() >= ttl / SWEEPS_PER_TTL);
        if sweep_due {
            self.swept_at = Some(Instant::now());
            self.copies
                .retain(|_, (_, kept_at)| kept_at.elapsed() < ttl);
            if self.copies.len() < limit {
                return;
            }
        }
        let victim = self
            .copies
            .keys()
            .nth(rand::thread_rng().gen_range(0..self.copies.len()))
            .cloned();
        if let Some(victim) = victim {
            self.copies.remove(&victim);
        }
    }
}

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
        let (value, kept_at) = shard.copies.get(key)?;
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
        if !shard.copies.contains_key(&key) {
            shard.make_room(self.per_shard, self.ttl);
        }
        shard.copies.insert(key, (value, Instant::now()));
    }

    /// Drops the copy of `key`.
    pub(crate) fn forget(&self, key: &K) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.shard(key).copies.remove(key);
    }

    /// Drops every copy `stale` picks; walks the whole cache, so only for
    /// invalidations that are rare (a user's every session).
    pub(crate) fn forget_where(&self, stale: impl Fn(&K, &V) -> bool) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for shard in &self.shards {
            shard
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .copies
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
            .map(|shard| {
                shard
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .copies
                    .len()
            })
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

    #[test]
    fn a_full_shard_reclaims_expired_copies_before_evicting_live_ones() {
        let mut shard: Shard<u32, &str> = Shard::default();
        let ttl = Duration::from_secs(60);
        let long_ago = Instant::now()
            .checked_sub(ttl * 2)
            .unwrap_or_else(Instant::now);
        for key in 0..4 {
            shard.copies.insert(key, ("expired", long_ago));
        }
        for key in 4..8 {
            shard.copies.insert(key, ("live", Instant::now()));
        }
        shard.make_room(8, ttl);
        let mut left: Vec<u32> = shard.copies.keys().copied().collect();
        left.sort_unstable();
        assert_eq!(left, vec![4, 5, 6, 7]);
    }

    #[test]
    fn eviction_picks_its_victim_at_random() {
        let ttl = Duration::from_secs(60);
        let mut evicted = std::collections::HashSet::new();
        for _ in 0..200 {
            let mut shard: Shard<u32, &str> = Shard::default();
            for key in 0..8 {
                shard.copies.insert(key, ("live", Instant::now()));
            }
            shard.make_room(8, ttl);
            assert_eq!(shard.copies.len(), 7);
            evicted.extend((0..8).filter(|key| !shard.copies.contains_key(key)));
        }
        // Always the same victim would leave one key here; 200 fair draws
        // out of 8 miss one with odds of about 8 * (7/8)^200, nil.
        assert_eq!(evicted.len(), 8);
    }
}
