//! Live events between nodes: publish to users, deliver to this node's sockets.

use async_trait::async_trait;
use nerutalk_domain::UserId;
use nerutalk_domain::event::LiveEvent;

use crate::PortError;

/// Where an event bus hands the events for users connected to this node.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait EventSink: Send + Sync {
    /// Delivers one event to every local connection of each recipient, all
    /// at once so that the sink can encode it once; must not block.
    fn deliver(&self, recipients: &[UserId], event: &LiveEvent);
}

/// Carries events to whichever node each recipient is connected to.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes `event` to each recipient. Best effort: the database is the
    /// source of truth and clients that miss an event catch up with `resume`.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the bus cannot be reached.
    async fn publish(&self, recipients: &[UserId], event: &LiveEvent) -> Result<(), PortError>;

    /// Starts delivering `user_id`'s events to this node's sink.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the bus cannot be reached.
    async fn subscribe(&self, user_id: UserId) -> Result<(), PortError>;

    /// Stops delivering `user_id`'s events to this node.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the bus cannot be reached.
    async fn unsubscribe(&self, user_id: UserId) -> Result<(), PortError>;
}
