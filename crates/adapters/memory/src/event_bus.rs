//! [`EventBus`] within one process: publishing hands the event straight to
//! this node's sink, which knows which users have sockets here.

use std::sync::Arc;

use async_trait::async_trait;
use nerutalk_domain::UserId;
use nerutalk_domain::event::ChatEvent;
use nerutalk_ports::{EventBus, EventSink, PortError};

/// The single-node event bus.
#[derive(Clone)]
pub struct MemoryEventBus {
    sink: Arc<dyn EventSink>,
}

impl std::fmt::Debug for MemoryEventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryEventBus").finish_non_exhaustive()
    }
}

impl MemoryEventBus {
    #[must_use]
    pub fn new(sink: Arc<dyn EventSink>) -> Self {
        Self { sink }
    }
}

#[async_trait]
impl EventBus for MemoryEventBus {
    async fn publish(&self, recipients: &[UserId], event: &ChatEvent) -> Result<(), PortError> {
        self.sink.deliver(recipients, event);
        Ok(())
    }

    /// Every user is "subscribed": the sink drops events for users with no
    /// socket here, and there is no other node to route between.
    async fn subscribe(&self, _user_id: UserId) -> Result<(), PortError> {
        Ok(())
    }

    async fn unsubscribe(&self, _user_id: UserId) -> Result<(), PortError> {
        Ok(())
    }
}
