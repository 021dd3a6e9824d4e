//! Whether two users keep apart, kept: every direct-chat send checks it.
//!
//! A user's invalidation must drop every pair they are in, and it arrives
//! on the single pub/sub thread, so it must not walk the cache. Each copy
//! instead remembers the generations of its two users, taken before the
//! database read; an invalidation bumps its user's generation (one atomic
//! add), and a copy whose generations are no longer current is not served.
//! Generations live in a fixed table that users share by hash: a shared
//! slot only costs its other users a re-read, and the table never grows.
//! A copy that is no longer served is overwritten by the next read of the
//! pair, or reclaimed like any other (see [`super::copies`]).

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::UserId;
use nerutalk_ports::{Block, BlockRepository, PortError};

use super::copies::Copies;

/// Generation slots shared by all users; 32 KiB.
const GENERATION_SLOTS: usize = 4_096;

/// The two users of a pair, in one order whichever way it was asked.
type Pair = (UserId, UserId);

fn pair(a: UserId, b: UserId) -> Pair {
    if a <= b { (a, b) } else { (b, a) }
}

/// A kept answer, and the generations of its pair's users it was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Answer {
    blocked: bool,
    generations: (u64, u64),
}

/// The pairs' answers, and the generation table that invalidates them by user.
pub(super) struct BlockCopies {
    pairs: Copies<Pair, Answer>,
    generations: Box<[AtomicU64]>,
    hasher: RandomState,
}

impl BlockCopies {
    pub(super) fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            pairs: Copies::new(capacity, ttl),
            generations: (0..GENERATION_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            hasher: RandomState::new(),
        }
    }

    fn generation(&self, user: UserId) -> &AtomicU64 {
        let slot =
            usize::try_from(self.hasher.hash_one(user) % GENERATION_SLOTS as u64).unwrap_or(0);
        &self.generations[slot]
    }

    fn generations(&self, (a, b): Pair) -> (u64, u64) {
        (
            self.generation(a).load(Ordering::SeqCst),
            self.generation(b).load(Ordering::SeqCst),
        )
    }

    /// Stops serving every pair `user` is in, without walking the cache.
    pub(super) fn forget_user(&self, user: UserId) {
        self.generation(user).fetch_add(1, Ordering::SeqCst);
    }

    pub(super) fn tracking(&self, live: bool) {
        self.pairs.tracking(live);
    }

    fn get(&self, key: Pair) -> Option<bool> {
        let answer = self.pairs.get(&key)?;
        (answer.generations == self.generations(key)).then_some(answer.blocked)
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.pairs.len()
    }
}

/// A [`BlockRepository`] that keeps the answers of
/// [`BlockRepository::either_blocks`]. A block or unblock through it drops
/// this node's copy before it returns; other nodes drop theirs on the
/// invalidation of the blocker the use case publishes.
pub struct CachedBlocks {
    inner: Arc<dyn BlockRepository>,
    copies: Arc<BlockCopies>,
}

impl std::fmt::Debug for CachedBlocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedBlocks").finish_non_exhaustive()
    }
}

impl CachedBlocks {
    pub(super) fn new(inner: Arc<dyn BlockRepository>, copies: Arc<BlockCopies>) -> Self {
        Self { inner, copies }
    }
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
        self.copies.pairs.forget(&pair(blocker, blocked));
        outcome
    }

    async fn unblock(&self, blocker: UserId, blocked: UserId) -> Result<(), PortError> {
        let outcome = self.inner.unblock(blocker, blocked).await;
        self.copies.pairs.forget(&pair(blocker, blocked));
        outcome
    }

    async fn blocked_by(&self, blocker: UserId) -> Result<Vec<UserId>, PortError> {
        self.inner.blocked_by(blocker).await
    }

    async fn either_blocks(&self, a: UserId, b: UserId) -> Result<bool, PortError> {
        let key = pair(a, b);
        if let Some(blocked) = self.copies.get(key) {
            return Ok(blocked);
        }
        let ticket = self.copies.pairs.ticket();
        let generations = self.copies.generations(key);
        let blocked = self.inner.either_blocks(a, b).await?;
        let answer = Answer {
            blocked,
            generations,
        };
        self.copies.pairs.keep(ticket, key, answer);
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

#[cfg(test)]
mod tests {
    use nerutalk_ports::MockBlockRepository;

    use super::*;

    /// A user whose generation slot is not `other`'s, so that the test
    /// does not depend on the hash.
    fn apart_from(copies: &BlockCopies, others: &[UserId]) -> UserId {
        loop {
            let user = UserId::generate();
            if others
                .iter()
                .all(|other| !std::ptr::eq(copies.generation(user), copies.generation(*other)))
            {
                return user;
            }
        }
    }

    #[tokio::test]
    async fn a_users_invalidation_drops_their_pairs_and_sweeps_no_others() {
        let copies = Arc::new(BlockCopies::new(1_000, Duration::from_secs(60)));
        copies.tracking(true);
        let ada = UserId::generate();
        let bob = apart_from(&copies, &[ada]);
        let carol = apart_from(&copies, &[ada]);
        let dan = apart_from(&copies, &[ada]);
        let mut inner = MockBlockRepository::new();
        inner
            .expect_either_blocks()
            .withf(move |a, b| pair(*a, *b) == pair(ada, bob))
            .times(2)
            .returning(|_, _| Ok(true));
        inner
            .expect_either_blocks()
            .withf(move |a, b| pair(*a, *b) == pair(carol, dan))
            .times(1)
            .returning(|_, _| Ok(false));
        let blocks = CachedBlocks::new(Arc::new(inner), copies.clone());
        assert!(blocks.either_blocks(ada, bob).await.unwrap());
        assert!(!blocks.either_blocks(carol, dan).await.unwrap());
        copies.forget_user(ada);
        // Nothing was walked or removed: carol and dan's copy still serves.
        assert_eq!(copies.len(), 2);
        assert!(!blocks.either_blocks(dan, carol).await.unwrap());
        assert!(blocks.either_blocks(bob, ada).await.unwrap());
        // The pair read again is kept again, in its new generation.
        assert!(blocks.either_blocks(ada, bob).await.unwrap());
    }

    #[tokio::test]
    async fn an_invalidation_during_a_read_beats_its_copy() {
        let copies = Arc::new(BlockCopies::new(1_000, Duration::from_secs(60)));
        copies.tracking(true);
        let (ada, bob) = (UserId::generate(), UserId::generate());
        let key = pair(ada, bob);
        let ticket = copies.pairs.ticket();
        let generations = copies.generations(key);
        // Bob blocks Ada while the read of the pair is on its way.
        copies.forget_user(bob);
        let answer = Answer {
            blocked: false,
            generations,
        };
        copies.pairs.keep(ticket, key, answer);
        assert_eq!(copies.get(key), None);
    }
}
