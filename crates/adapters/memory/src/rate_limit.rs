//! [`RateLimiter`] within one process: each key's theoretical arrival time
//! in a map, split into shards so that checks of different keys rarely
//! wait for one another.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_ports::rate_limit::gcra;
use nerutalk_ports::{Decision, PortError, Quota, RateKey, RateLimiter};

const SHARDS: usize = 16;

/// Each shard drops its run-out entries once per this many checks, so the
/// map holds only keys hit within their last burst's worth of intervals.
const SWEEP_EVERY: u32 = 1_024;

#[derive(Debug, Default)]
struct Shard {
    /// Key → theoretical arrival time, in microseconds since the epoch.
    arrivals: HashMap<RateKey, i64>,
    checks_since_sweep: u32,
}

/// Rate limits for a single node. Clones share their budgets.
#[derive(Debug, Clone)]
pub struct MemoryRateLimiter {
    shards: Arc<[Mutex<Shard>; SHARDS]>,
    hasher: RandomState,
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryRateLimiter {
    #[must_use]
    pub fn new() -> Self {
        Self {
            shards: Arc::new(std::array::from_fn(|_| Mutex::default())),
            hasher: RandomState::new(),
        }
    }

    fn shard(&self, key: &RateKey) -> &Mutex<Shard> {
        // The remainder is below SHARDS, so the cast back cannot truncate.
        #[expect(clippy::cast_possible_truncation, reason = "below SHARDS")]
        let index = (self.hasher.hash_one(key) % SHARDS as u64) as usize;
        &self.shards[index]
    }

    /// How many keys of `limit` are remembered, over all shards.
    #[cfg(test)]
    fn tracked(&self, limit: nerutalk_ports::LimitName) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
                shard
                    .arrivals
                    .keys()
                    .filter(|key| key.limit() == limit)
                    .count()
            })
            .sum()
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(
        &self,
        key: &RateKey,
        quota: &Quota,
        now: DateTime<Utc>,
    ) -> Result<Decision, PortError> {
        let now = now.timestamp_micros();
        let mut shard = self
            .shard(key)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shard.checks_since_sweep += 1;
        if shard.checks_since_sweep >= SWEEP_EVERY {
            shard.checks_since_sweep = 0;
            // An arrival time at or before now means a full budget, the
            // same as no entry at all.
            shard.arrivals.retain(|_, tat| *tat > now);
        }
        let verdict = gcra(shard.arrivals.get(key).copied(), now, quota);
        if let Some(tat) = verdict.new_tat {
            shard.arrivals.insert(key.clone(), tat);
        }
        Ok(verdict.decision)
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;
    use std::time::Duration;

    use nerutalk_ports::LimitName;

    use super::*;

    #[tokio::test]
    async fn run_out_keys_are_forgotten() {
        let (old, new) = (LimitName::new("test.old"), LimitName::new("test.new"));
        let limiter = MemoryRateLimiter::new();
        let quota = Quota::per_period(NonZeroU32::MIN, Duration::from_secs(1)).unwrap();
        let start = Utc::now();
        let many = SWEEP_EVERY as usize * SHARDS;
        for subject in 0..many {
            let key = RateKey::new(old, subject);
            limiter.check(&key, &quota, start).await.unwrap();
        }
        assert_eq!(limiter.tracked(old), many, "none has run out yet");
        // Twice as many checks as it takes every shard to sweep at least
        // once, whatever its count so far and however the keys spread.
        let later = start + chrono::Duration::seconds(2);
        for subject in 0..2 * many {
            let key = RateKey::new(new, subject);
            limiter.check(&key, &quota, later).await.unwrap();
        }
        assert_eq!(
            limiter.tracked(old),
            0,
            "the first keys ran out a second after their hit and were swept"
        );
    }
}
