//! Who is typing in which chat, across every node.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::{ChatId, UserId};

use crate::PortError;

/// Typing indicators with an expiry: an indicator nobody renews or
/// withdraws (say, its node died) stops counting by itself.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait TypingStore: Send + Sync {
    /// `user_id` is typing in `chat_id` until `until`: a start or a renewal.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be reached.
    async fn start(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(), PortError>;

    /// `user_id` stopped typing in `chat_id`; true when they were typing
    /// there (and the indicator had not expired).
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be reached.
    async fn stop(
        &self,
        chat_id: ChatId,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, PortError>;

    /// Who is typing in `chat_id` at `now`, in no particular order.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be reached.
    async fn typing_in(
        &self,
        chat_id: ChatId,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserId>, PortError>;
}
