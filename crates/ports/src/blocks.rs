//! Who has blocked whom.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::UserId;

use crate::PortError;

/// One user blocking another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub blocker: UserId,
    pub blocked: UserId,
}

/// Persistence of blocks.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait BlockRepository: Send + Sync {
    /// Records that `blocker` blocks `blocked`; blocking twice changes nothing.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when either user does not exist.
    async fn block(
        &self,
        blocker: UserId,
        blocked: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), PortError>;

    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn unblock(&self, blocker: UserId, blocked: UserId) -> Result<(), PortError>;

    /// The users `blocker` has blocked, newest first.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn blocked_by(&self, blocker: UserId) -> Result<Vec<UserId>, PortError>;

    /// True when either user has blocked the other.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn either_blocks(&self, a: UserId, b: UserId) -> Result<bool, PortError>;

    /// The blocks between `user` and any of `others`, in either direction,
    /// read together rather than one pair at a time.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn blocks_between(
        &self,
        user: UserId,
        others: Vec<UserId>,
    ) -> Result<Vec<Block>, PortError>;
}
