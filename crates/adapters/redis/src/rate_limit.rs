//! [`RateLimiter`] in Redis: one key per budget holding its theoretical
//! arrival time, read, decided and written by one Lua script, so a check is
//! one round trip and atomic across every node.
//!
//! Times are the caller's clock, not Redis's `TIME`: the memory adapter and
//! the contract suite work on the caller's time too, so both adapters
//! answer alike and tests need no sleeping. Nodes' clocks are kept in step
//! by NTP; a node whose clock is off by a few milliseconds sees a budget
//! refill that much earlier or later, which no limit here can tell apart.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_redis::Pool;
use nerutalk_ports::rate_limit::gcra;
use nerutalk_ports::{Decision, PortError, Quota, RateKey, RateLimiter};

/// GCRA on one key. It stores the new arrival time, expiring when the
/// budget is full again, only when the hit is allowed, and returns the
/// arrival time it read: Rust then decides with the same [`gcra`] the
/// memory adapter runs, whose condition this script repeats.
///
/// `KEYS[1]`: the budget. `ARGV`: now, the emission interval and the
/// capacity (`burst` intervals), in microseconds. Lua's numbers are
/// doubles, exact for integers up to 2^53 µs (the year 2255).
const SCRIPT: &str = r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then
  tat = math.max(tonumber(stored), now)
end
local new_tat = tat + interval
if new_tat - capacity <= now then
  redis.call('SET', KEYS[1], string.format('%d', new_tat),
    'PX', math.ceil((new_tat - now) / 1000))
end
return stored
";

fn key(key: &RateKey) -> String {
    format!("nerutalk:rate:{}:{}", key.limit(), key.subject())
}

/// Rate limits in Redis, shared by every node.
#[derive(Clone)]
pub struct RedisRateLimiter {
    pool: Pool,
    script: redis::Script,
}

impl std::fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimiter").finish_non_exhaustive()
    }
}

impl RedisRateLimiter {
    /// Shares the bus's connection pool.
    #[must_use]
    pub fn new(bus: &crate::RedisEventBus) -> Self {
        Self {
            pool: bus.pool().clone(),
            script: redis::Script::new(SCRIPT),
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(
        &self,
        rate_key: &RateKey,
        quota: &Quota,
        now: DateTime<Utc>,
    ) -> Result<Decision, PortError> {
        let now = now.timestamp_micros();
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        // `invoke_async` sends EVALSHA and, on NOSCRIPT (a restarted or
        // failed-over Redis), loads the script and runs it again.
        let stored: Option<String> = self
            .script
            .key(key(rate_key))
            .arg(now)
            .arg(quota.interval_micros())
            .arg(quota.capacity_micros())
            .invoke_async(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        let stored = stored
            .map(|tat| tat.parse::<i64>())
            .transpose()
            .map_err(PortError::internal)?;
        Ok(gcra(stored, now, quota).decision)
    }
}
