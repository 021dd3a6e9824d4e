//! Whether two users keep apart, kept: every direct-chat send checks it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::UserId;
use nerutalk_ports::{Block, BlockRepository, PortError};

use super::copies::Copies;

/// The two users of a pair, in one order whichever way it was asked.
pub(super) type Pair = (UserId, UserId);

fn pair(a: UserId, b: UserId) -> Pair {
    if a <= b { (a, b) } else { (b, a) }
}

/// A [`BlockRepository`] that keeps the answers of
/// [`BlockRepository::either_blocks`]. A block or unblock through it drops
/// this node's copy before it returns; other nodes drop theirs on the
/// invalidation of the blocker the use case publishes.
pub struct CachedBlocks {
    inner: Arc<dyn BlockRepository>,
    pairs: Arc<Copies<Pair, bool>>,
}

impl std::fmt::Debug for CachedBlocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedBlocks").finish_non_exhaustive()
    }
}

impl CachedBlocks {
    pub(super) fn new(inner: Arc<dyn BlockRepository>, pairs: Arc<Copies<Pair, bool>>) -> Self {
        Self { inner, pairs }
    }
}

/// Drops every pair `user` is in.
pub(super) fn forget(pairs: &Copies<Pair, bool>, user: UserId) {
    pairs.forget_where(|(a, b), _| *a == user || *b == user);
}

#[async_trait]
impl BlockRepository for CachedBlocks {
    async fn block(
        &self,
        blocker: UserId,
        blocked: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), PortError> {
        let outcome = self.inner.block(blocker, blocked, now).await;
        self.pairs.forget(&pair(blocker, blocked));
        outcome
    }

    async fn unblock(&self, blocker: UserId, blocked: UserId) -> Result<(), PortError> {
        let outcome = self.inner.unblock(blocker, blocked).await;
        self.pairs.forget(&pair(blocker, blocked));
        outcome
    }

    async fn blocked_by(&self, blocker: UserId) -> Result<Vec<UserId>, PortError> {
        self.inner.blocked_by(blocker).await
    }

    async fn either_blocks(&self, a: UserId, b: UserId) -> Result<bool, PortError> {
        let key = pair(a, b);
        if let Some(blocked) = self.pairs.get(&key) {
            return Ok(blocked);
        }
        let ticket = self.pairs.ticket();
        let blocked = self.inner.either_blocks(a, b).await?;
        self.pairs.keep(ticket, key, blocked);
        Ok(blocked)
    }

    async fn blocks_between(
        &self,
        user: UserId,
        others: Vec<UserId>,
    ) -> Result<Vec<Block>, PortError> {
        self.inner.blocks_between(user, others).await
    }
}
