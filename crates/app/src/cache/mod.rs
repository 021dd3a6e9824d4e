//! Per-node copies of what every request reads (sessions, accounts, chat
//! rosters, blocks), dropped on every node the moment the original changes.
//!
//! Each cache is a decorator over the port it copies, so the use cases do
//! not know it is there. A change made through a decorator drops this
//! node's copy before the call returns; the use case that made it then
//! publishes an [`Invalidation`] on the event bus, which reaches every
//! node's [`NodeCaches`]. When the bus loses its way to the other nodes it
//! tells [`NodeCaches::tracking`] `false`, and nothing is served from or
//! kept in the copies until it can say `true` again. See the "Caches"
//! section of docs/architecture.md.

mod blocks;
mod chats;
pub(crate) mod copies;
mod sessions;
#[cfg(test)]
mod tests;
mod users;

use std::sync::Arc;
use std::time::Duration;

use nerutalk_domain::event::Invalidation;
use nerutalk_domain::user::User;
use nerutalk_domain::{ChatId, SessionId, UserId};
use nerutalk_ports::{
    BlockRepository, ChatRepository, EmailVerificationRepository, InvalidationSink, PortError,
    Roster, SessionRepository, SessionState, UserRepository,
};

pub use blocks::CachedBlocks;
pub use chats::CachedChats;
pub use sessions::CachedSessions;
pub use users::{CachedUsers, CachedVerifications};

use blocks::BlockCopies;
use copies::Copies;

/// Whether a write that answered `outcome` may have changed what other
/// nodes keep copies of, so that its invalidation must be published. Only
/// a refusal proves nothing was written (a missing record, a uniqueness
/// rule); any other failure may have come after the commit, and the
/// decorators drop this node's copy for it too.
pub(crate) fn may_have_changed<T>(outcome: &Result<T, PortError>) -> bool {
    !matches!(outcome, Err(PortError::NotFound | PortError::Conflict(_)))
}

/// How much each cache holds, and for how long at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    /// Copies per cache (sessions, accounts, rosters, blocks each).
    pub capacity: usize,
    /// The safety net: how long a copy may serve without being re-read,
    /// should an invalidation be lost without the bus noticing (a change
    /// made straight in the database, a publish that failed).
    pub ttl: Duration,
}

/// This node's caches, and the [`InvalidationSink`] that keeps them honest.
pub struct NodeCaches {
    sessions: Arc<Copies<SessionId, SessionState>>,
    users: Arc<Copies<UserId, User>>,
    rosters: Arc<Copies<ChatId, Roster>>,
    blocks: Arc<BlockCopies>,
}

impl std::fmt::Debug for NodeCaches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeCaches").finish_non_exhaustive()
    }
}

impl NodeCaches {
    /// Empty caches that keep nothing until told [`Self::tracking`] `true`.
    #[must_use]
    pub fn new(settings: CacheSettings) -> Self {
        Self {
            sessions: Arc::new(Copies::new(settings.capacity, settings.ttl)),
            users: Arc::new(Copies::new(settings.capacity, settings.ttl)),
            rosters: Arc::new(Copies::new(settings.capacity, settings.ttl)),
            blocks: Arc::new(BlockCopies::new(settings.capacity, settings.ttl)),
        }
    }

    #[must_use]
    pub fn sessions(&self, inner: Arc<dyn SessionRepository>) -> CachedSessions {
        CachedSessions::new(inner, self.sessions.clone())
    }

    #[must_use]
    pub fn users(&self, inner: Arc<dyn UserRepository>) -> CachedUsers {
        CachedUsers::new(inner, self.users.clone())
    }

    /// Verifying an e-mail changes the account: this node's copy goes with it.
    #[must_use]
    pub fn verifications(
        &self,
        inner: Arc<dyn EmailVerificationRepository>,
    ) -> CachedVerifications {
        CachedVerifications::new(inner, self.users.clone())
    }

    #[must_use]
    pub fn chats(&self, inner: Arc<dyn ChatRepository>) -> CachedChats {
        CachedChats::new(inner, self.rosters.clone())
    }

    #[must_use]
    pub fn blocks(&self, inner: Arc<dyn BlockRepository>) -> CachedBlocks {
        CachedBlocks::new(inner, self.blocks.clone())
    }
}

impl InvalidationSink for NodeCaches {
    fn invalidate(&self, what: &Invalidation) {
        match *what {
            Invalidation::User(user_id) => {
                self.users.forget(&user_id);
                // A block is published as its blocker's invalidation.
                self.blocks.forget_user(user_id);
            }
            Invalidation::Sessions { user_id, revoked } => {
                sessions::forget(&self.sessions, user_id, revoked);
            }
            Invalidation::Chat(chat_id) => self.rosters.forget(&chat_id),
        }
    }

    fn tracking(&self, live: bool) {
        self.sessions.tracking(live);
        self.users.tracking(live);
        self.rosters.tracking(live);
        self.blocks.tracking(live);
    }
}
