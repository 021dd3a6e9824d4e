//! This node's live connections, by user. The event bus delivers here; each
//! connection has a bounded queue, and one that cannot keep up is dropped
//! (its socket then closes with "try again later") instead of growing memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use nerutalk_app::EventSink;
use nerutalk_domain::UserId;
use nerutalk_domain::event::ChatEvent;
use tokio::sync::mpsc;

struct Connection {
    id: u64,
    queue: mpsc::Sender<ChatEvent>,
}

/// The registry of sockets on this node.
pub struct Hub {
    connections: RwLock<HashMap<UserId, Vec<Connection>>>,
    next_id: AtomicU64,
    queue_capacity: usize,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("queue_capacity", &self.queue_capacity)
            .finish_non_exhaustive()
    }
}

/// A registered connection: its id and the queue of events for it.
pub(crate) struct Registration {
    pub(crate) id: u64,
    pub(crate) events: mpsc::Receiver<ChatEvent>,
    /// True when this is the user's first connection on this node.
    pub(crate) first: bool,
}

impl Hub {
    #[must_use]
    pub fn new(queue_capacity: usize) -> Self {
        Self {
            connections: RwLock::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            queue_capacity: queue_capacity.max(1),
        }
    }

    pub(crate) fn register(&self, user_id: UserId) -> Registration {
        let (queue, events) = mpsc::channel(self.queue_capacity);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut connections = self
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let list = connections.entry(user_id).or_default();
        let first = list.is_empty();
        list.push(Connection { id, queue });
        Registration { id, events, first }
    }

    /// Forgets a connection; true when it was the user's last one here.
    pub(crate) fn unregister(&self, user_id: UserId, id: u64) -> bool {
        let mut connections = self
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(list) = connections.get_mut(&user_id) else {
            return true;
        };
        list.retain(|connection| connection.id != id);
        let last = list.is_empty();
        if last {
            connections.remove(&user_id);
        }
        last
    }

    /// Users with at least one socket on this node.
    #[must_use]
    pub fn online_here(&self, user_id: UserId) -> bool {
        self.connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&user_id)
    }
}

impl EventSink for Hub {
    fn deliver(&self, user_id: UserId, event: ChatEvent) {
        let mut overflowing = Vec::new();
        {
            let connections = self
                .connections
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            let Some(list) = connections.get(&user_id) else {
                return;
            };
            for connection in list {
                if connection.queue.try_send(event.clone()).is_err() {
                    overflowing.push(connection.id);
                }
            }
        }
        if overflowing.is_empty() {
            return;
        }
        tracing::warn!(%user_id, count = overflowing.len(), "dropping sockets that cannot keep up");
        let mut connections = self
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = connections.get_mut(&user_id) {
            // Dropping the sender closes the queue; the socket sees that and closes.
            list.retain(|connection| !overflowing.contains(&connection.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::ChatId;

    use super::*;

    fn event() -> ChatEvent {
        ChatEvent::Typing {
            chat_id: ChatId::generate(),
            user_id: UserId::generate(),
            is_typing: true,
        }
    }

    #[test]
    fn a_connection_that_cannot_keep_up_is_cut_off() {
        let hub = Hub::new(2);
        let user = UserId::generate();
        let mut slow = hub.register(user);
        assert!(slow.first);
        for _ in 0..3 {
            hub.deliver(user, event());
        }
        assert!(slow.events.try_recv().is_ok());
        assert!(slow.events.try_recv().is_ok());
        assert!(matches!(
            slow.events.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert!(!hub.online_here(user) || hub.unregister(user, slow.id));
    }

    #[test]
    fn the_last_connection_leaving_takes_the_user_offline() {
        let hub = Hub::new(8);
        let user = UserId::generate();
        let first = hub.register(user);
        let second = hub.register(user);
        assert!(!second.first);
        assert!(!hub.unregister(user, first.id));
        assert!(hub.unregister(user, second.id));
        assert!(!hub.online_here(user));
    }
}
