//! [`PresenceStore`] in Redis, shared by every node.
//!
//! Each user has a socket count that lives only as long as some node keeps
//! renewing it ([`PresenceStore::refresh`], every
//! [`nerutalk_ports::presence::REFRESH_EVERY`]), so the sockets of a node
//! that dies without closing them stop counting within
//! [`RedisPresenceStore::DEFAULT_TTL`]. The last-seen time is a key of its
//! own that outlives the count. Redis losing its data (it keeps none on
//! disk here) shows connected users offline until they reconnect.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_redis::Pool;
use nerutalk_domain::UserId;
use nerutalk_ports::{PortError, Presence, PresenceStore};

/// How long a last-seen time is kept after the user's last socket closed.
const LAST_SEEN_FOR_SECONDS: i64 = 30 * 86_400;

fn sockets_key(user_id: UserId) -> String {
    format!("nerutalk:presence:{user_id}:sockets")
}

fn last_seen_key(user_id: UserId) -> String {
    format!("nerutalk:presence:{user_id}:last_seen")
}

/// Socket counts and last-seen times in Redis.
#[derive(Clone)]
pub struct RedisPresenceStore {
    pool: Pool,
    ttl_seconds: i64,
}

impl std::fmt::Debug for RedisPresenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPresenceStore")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl RedisPresenceStore {
    /// How long a count lasts without renewal: three missed refreshes.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(90);

    /// Shares the bus's connection pool.
    #[must_use]
    pub fn new(bus: &crate::RedisEventBus) -> Self {
        Self::with_ttl(bus, Self::DEFAULT_TTL)
    }

    /// Like [`Self::new`], with counts that last `ttl` without renewal.
    #[must_use]
    pub fn with_ttl(bus: &crate::RedisEventBus, ttl: Duration) -> Self {
        Self {
            pool: bus.pool().clone(),
            ttl_seconds: i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX),
        }
    }

    async fn count(&self, user_id: UserId, change: i64) -> Result<i64, PortError> {
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let (sockets,): (i64,) = redis::pipe()
            .atomic()
            .incr(sockets_key(user_id), change)
            .expire(sockets_key(user_id), self.ttl_seconds)
            .ignore()
            .query_async(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        Ok(sockets)
    }
}

#[async_trait]
impl PresenceStore for RedisPresenceStore {
    async fn connected(&self, user_id: UserId) -> Result<bool, PortError> {
        Ok(self.count(user_id, 1).await? == 1)
    }

    async fn disconnected(&self, user_id: UserId, at: DateTime<Utc>) -> Result<bool, PortError> {
        let sockets = self.count(user_id, -1).await?;
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let mut pipeline = redis::pipe();
        pipeline
            .set_ex(
                last_seen_key(user_id),
                at.timestamp_micros(),
                LAST_SEEN_FOR_SECONDS.unsigned_abs(),
            )
            .ignore();
        // A count that went below zero had outlived a node: start over.
        if sockets <= 0 {
            pipeline.del(sockets_key(user_id)).ignore();
        }
        pipeline
            .query_async::<()>(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        Ok(sockets <= 0)
    }

    async fn refresh(&self, users: Vec<UserId>) -> Result<(), PortError> {
        if users.is_empty() {
            return Ok(());
        }
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let mut pipeline = redis::pipe();
        for user in users {
            pipeline
                .expire(sockets_key(user), self.ttl_seconds)
                .ignore();
        }
        pipeline
            .query_async::<()>(&mut connection)
            .await
            .map_err(PortError::unavailable)
    }

    async fn sockets(&self, user_id: UserId) -> Result<u32, PortError> {
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let sockets: Option<i64> = redis::cmd("GET")
            .arg(sockets_key(user_id))
            .query_async(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        // Below zero: a count that outlived a node, as `disconnected` says.
        Ok(sockets.map_or(0, |sockets| u32::try_from(sockets).unwrap_or(0)))
    }

    async fn presence(&self, users: Vec<UserId>) -> Result<Vec<Presence>, PortError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let mut pipeline = redis::pipe();
        for user in &users {
            pipeline.get(sockets_key(*user)).get(last_seen_key(*user));
        }
        let replies: Vec<Option<i64>> = pipeline
            .query_async(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        Ok(users
            .into_iter()
            .zip(replies.chunks(2))
            .map(|(user_id, reply)| {
                let online = reply.first().copied().flatten().unwrap_or(0) > 0;
                let last_seen = reply.get(1).copied().flatten();
                Presence {
                    user_id,
                    online,
                    last_seen: if online {
                        None
                    } else {
                        last_seen.and_then(DateTime::from_timestamp_micros)
                    },
                }
            })
            .collect())
    }
}
