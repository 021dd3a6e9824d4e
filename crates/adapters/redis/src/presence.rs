//! [`PresenceStore`] in Redis: one hash per user, shared by every node.
//!
//! A node that dies without closing its sockets leaves its counts behind;
//! the hash expires a day after its last change so such a user does not
//! stay "online" forever.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_redis::Pool;
use nerutalk_domain::UserId;
use nerutalk_ports::{PortError, Presence, PresenceStore};

const STALE_AFTER_SECONDS: i64 = 86_400;

fn key(user_id: UserId) -> String {
    format!("nerutalk:presence:{user_id}")
}

/// Socket counts and last-seen times in Redis.
#[derive(Clone)]
pub struct RedisPresenceStore {
    pool: Pool,
}

impl std::fmt::Debug for RedisPresenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPresenceStore").finish_non_exhaustive()
    }
}

impl RedisPresenceStore {
    /// Shares the bus's connection pool.
    #[must_use]
    pub fn new(bus: &crate::RedisEventBus) -> Self {
        Self {
            pool: bus.pool().clone(),
        }
    }
}

#[async_trait]
impl PresenceStore for RedisPresenceStore {
    async fn connected(&self, user_id: UserId) -> Result<bool, PortError> {
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let (sockets,): (i64,) = redis::pipe()
            .atomic()
            .hincr(key(user_id), "sockets", 1)
            .expire(key(user_id), STALE_AFTER_SECONDS)
            .ignore()
            .query_async(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        Ok(sockets == 1)
    }

    async fn disconnected(&self, user_id: UserId, at: DateTime<Utc>) -> Result<bool, PortError> {
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let (sockets,): (i64,) = redis::pipe()
            .atomic()
            .hincr(key(user_id), "sockets", -1)
            .expire(key(user_id), STALE_AFTER_SECONDS)
            .ignore()
            .query_async(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        if sockets > 0 {
            return Ok(false);
        }
        redis::pipe()
            .atomic()
            .hset(key(user_id), "sockets", 0)
            .ignore()
            .hset(key(user_id), "last_seen", at.timestamp_micros())
            .ignore()
            .query_async::<()>(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        Ok(true)
    }

    async fn presence(&self, users: Vec<UserId>) -> Result<Vec<Presence>, PortError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let mut pipeline = redis::pipe();
        for user in &users {
            pipeline.hget(key(*user), &["sockets", "last_seen"]);
        }
        let rows: Vec<(Option<i64>, Option<i64>)> = pipeline
            .query_async(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        Ok(users
            .into_iter()
            .zip(rows)
            .map(|(user_id, (sockets, last_seen))| {
                let online = sockets.unwrap_or(0) > 0;
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
