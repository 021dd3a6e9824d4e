//! [`EventBus`] within one process: publishing hands the event straight to
//! this node's sink, for the recipients who are subscribed here.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use nerutalk_domain::UserId;
use nerutalk_domain::event::{Invalidation, LiveEvent};
use nerutalk_ports::{EventBus, EventSink, InvalidationSink, PortError};

/// The single-node event bus.
#[derive(Clone)]
pub struct MemoryEventBus {
    sink: Arc<dyn EventSink>,
    /// There is no other node: an invalidation only concerns this one.
    invalidations: Arc<dyn InvalidationSink>,
    /// Subscriptions per user, counted rather than flagged: the gateway
    /// subscribes on a user's first socket and unsubscribes on their last,
    /// and when a last socket closes as a new first one opens, the two
    /// calls can arrive in either order. A count nets out the same way in
    /// both orders, where a flag would end unsubscribed. Read on every
    /// publish and written only on those rare transitions, hence a read
    /// lock.
    subscribed: Arc<RwLock<HashMap<UserId, u32>>>,
}

impl std::fmt::Debug for MemoryEventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryEventBus").finish_non_exhaustive()
    }
}

impl MemoryEventBus {
    /// A bus that hands events to `sink` and invalidations to
    /// `invalidations`, which it tells that it tracks them at once: nothing
    /// between the two can be lost.
    #[must_use]
    pub fn new(sink: Arc<dyn EventSink>, invalidations: Arc<dyn InvalidationSink>) -> Self {
        invalidations.tracking(true);
        Self {
            sink,
            invalidations,
            subscribed: Arc::default(),
        }
    }
}

#[async_trait]
impl EventBus for MemoryEventBus {
    /// Hands the event to the sink in one call, with those of its
    /// recipients who are subscribed here.
    async fn publish(&self, recipients: &[UserId], event: &LiveEvent) -> Result<(), PortError> {
        let reachable: Vec<UserId> = {
            let subscribed = self
                .subscribed
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            recipients
                .iter()
                .filter(|user| subscribed.contains_key(user))
                .copied()
                .collect()
        };
        if !reachable.is_empty() {
            self.sink.deliver(&reachable, event);
        }
        Ok(())
    }

    async fn invalidate(&self, what: &Invalidation) -> Result<(), PortError> {
        self.invalidations.invalidate(what);
        Ok(())
    }

    async fn subscribe(&self, user_id: UserId) -> Result<(), PortError> {
        *self
            .subscribed
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(user_id)
            .or_default() += 1;
        Ok(())
    }

    async fn unsubscribe(&self, user_id: UserId) -> Result<(), PortError> {
        let mut subscribed = self
            .subscribed
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = subscribed.get_mut(&user_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                subscribed.remove(&user_id);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use nerutalk_domain::event::{ChatEvent, LiveEvent};
    use nerutalk_domain::{ChatId, UserId};
    use nerutalk_ports::EventBus;
    use nerutalk_ports::contract::RecordingSink;

    use super::MemoryEventBus;

    #[tokio::test]
    async fn a_new_first_socket_survives_the_late_unsubscribe_of_the_last_one() {
        let sink = Arc::new(RecordingSink::default());
        let bus = MemoryEventBus::new(sink.clone(), sink.clone());
        let ada = UserId::generate();
        let typing = LiveEvent::Chat(ChatEvent::Typing {
            chat_id: ChatId::generate(),
            user_id: ada,
            is_typing: true,
        });
        bus.subscribe(ada).await.unwrap_or_else(|e| panic!("{e}"));
        // Ada's last socket closed and a new one opened; the new socket's
        // subscribe ran before the old one's unsubscribe.
        bus.subscribe(ada).await.unwrap_or_else(|e| panic!("{e}"));
        bus.unsubscribe(ada).await.unwrap_or_else(|e| panic!("{e}"));
        bus.publish(&[ada], &typing)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sink.seen().len(), 1, "the new socket is still subscribed");
        bus.unsubscribe(ada).await.unwrap_or_else(|e| panic!("{e}"));
        bus.publish(&[ada], &typing)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sink.seen().len(), 1, "and nothing once both are gone");
    }
}
