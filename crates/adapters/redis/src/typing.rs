//! [`TypingStore`] in Redis: one sorted set per chat, each typist scored by
//! the time their indicator runs out, so expiry needs no sweeper.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_redis::Pool;
use nerutalk_domain::{ChatId, UserId};
use nerutalk_ports::{PortError, TypingStore};

/// A chat nobody has typed in for this long loses its key; until then,
/// expired entries are ignored by their score.
const FORGET_AFTER_SECONDS: i64 = 3_600;

fn key(chat_id: ChatId) -> String {
    format!("nerutalk:typing:{chat_id}")
}

/// Typing indicators in Redis, shared by every node.
#[derive(Clone)]
pub struct RedisTypingStore {
    pool: Pool,
}

impl std::fmt::Debug for RedisTypingStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisTypingStore").finish_non_exhaustive()
    }
}

impl RedisTypingStore {
    /// Shares the bus's connection pool.
    #[must_use]
    pub fn new(bus: &crate::RedisEventBus) -> Self {
        Self {
            pool: bus.pool().clone(),
        }
    }

    /// Runs `command` on the chat's set after dropping indicators that ran
    /// out by `now`, in one transaction; returns the command's reply.
    async fn after_expiry<T: redis::FromRedisValue>(
        &self,
        chat_id: ChatId,
        now: DateTime<Utc>,
        command: impl FnOnce(&mut redis::Pipeline, &str),
    ) -> Result<T, PortError> {
        let key = key(chat_id);
        let mut pipeline = redis::pipe();
        pipeline
            .atomic()
            .zrembyscore(&key, "-inf", now.timestamp_micros())
            .ignore();
        command(&mut pipeline, &key);
        pipeline.expire(&key, FORGET_AFTER_SECONDS).ignore();
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let (reply,): (T,) = pipeline
            .query_async(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        Ok(reply)
    }
}

#[async_trait]
impl TypingStore for RedisTypingStore {
    async fn start(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(), PortError> {
        let _added: i64 = self
            .after_expiry(chat_id, now, |pipeline, key| {
                pipeline.zadd(key, user_id.to_string(), until.timestamp_micros());
            })
            .await?;
        Ok(())
    }

    async fn stop(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let removed: i64 = self
            .after_expiry(chat_id, now, |pipeline, key| {
                pipeline.zrem(key, user_id.to_string());
            })
            .await?;
        Ok(removed == 1)
    }

    async fn typing_in(
        &self,
        chat_id: ChatId,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserId>, PortError> {
        let mut connection = self.pool.get().await.map_err(PortError::unavailable)?;
        let members: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(key(chat_id))
            .arg(format!("({}", now.timestamp_micros()))
            .arg("+inf")
            .query_async(&mut connection)
            .await
            .map_err(PortError::unavailable)?;
        Ok(members
            .iter()
            .filter_map(|member| member.parse().ok())
            .collect())
    }
}
