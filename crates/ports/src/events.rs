//! Live events between nodes: publish to users, deliver to this node's sockets.

use async_trait::async_trait;
use nerutalk_domain::UserId;
use nerutalk_domain::event::{Invalidation, LiveEvent};

use crate::PortError;

/// Where an event bus hands the events for users connected to this node.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait EventSink: Send + Sync {
    /// Delivers one event to every local connection of each recipient, all
    /// at once so that the sink can encode it once; must not block.
    fn deliver(&self, recipients: &[UserId], event: &LiveEvent);
}

/// Where an event bus hands invalidations, on every node: to whatever keeps
/// copies (of sessions, profiles, rosters) that must not outlive a change.
#[cfg_attr(feature = "mock", mockall::automock)]
pub trait InvalidationSink: Send + Sync {
    /// Drops every copy `what` makes stale; must not block.
    fn invalidate(&self, what: &Invalidation);

    /// Whether invalidations reach this node from now on. `false` when the
    /// bus lost its way to the other nodes: some invalidations may have been
    /// missed and more may be, so drop every copy and keep none until told
    /// `true` again.
    fn tracking(&self, live: bool);
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

    /// Tells every node, this one included, that `what` changed. Nodes that
    /// cannot be told are told `tracking(false)` by their own bus instead.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the bus cannot be reached.
    async fn invalidate(&self, what: &Invalidation) -> Result<(), PortError>;

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
