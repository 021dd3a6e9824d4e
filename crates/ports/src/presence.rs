//! Who is online, across every node.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::UserId;

use crate::PortError;

/// A user's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    pub user_id: UserId,
    pub online: bool,
    /// When their last socket closed; `None` while online or if never seen.
    pub last_seen: Option<DateTime<Utc>>,
}

/// How often each node renews the presence of its connected users.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Counts each user's open sockets on all nodes together.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// One more socket of `user_id` is open; true when they were offline until now.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be reached.
    async fn connected(&self, user_id: UserId) -> Result<bool, PortError>;

    /// One socket of `user_id` closed at `at`; true when it was their last one.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be reached.
    async fn disconnected(&self, user_id: UserId, at: DateTime<Utc>) -> Result<bool, PortError>;

    /// These users still have sockets on this node. A store shared by
    /// several nodes forgets counts that no node renews, so the sockets of a
    /// node that died stop counting; each node calls this every
    /// [`REFRESH_EVERY`].
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be reached.
    async fn refresh(&self, users: Vec<UserId>) -> Result<(), PortError>;

    /// How many sockets `user_id` has open on all nodes together (as
    /// counted by [`Self::connected`] and [`Self::disconnected`], and
    /// forgotten with a node that stopped renewing them).
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be reached.
    async fn sockets(&self, user_id: UserId) -> Result<u32, PortError>;

    /// The presence of each user, in the order asked.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be reached.
    async fn presence(&self, users: Vec<UserId>) -> Result<Vec<Presence>, PortError>;
}
