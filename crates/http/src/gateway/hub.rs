//! This node's live connections, by user. The event bus delivers here; each
//! connection has a bounded queue, and one that cannot keep up is dropped
//! (its socket then closes with "try again later") instead of growing memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use bytestring::ByteString;
use nerutalk_app::EventSink;
use nerutalk_domain::UserId;
use nerutalk_domain::event::ChatEvent;
use tokio::sync::mpsc;

/// One event on its way to sockets: encoded once, shared by every recipient.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) event: ChatEvent,
    /// The event's frame, `{"type", "data"}`, as sent on the wire.
    pub(crate) frame: ByteString,
}

struct Connection {
    id: u64,
    queue: mpsc::Sender<Arc<Delivery>>,
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
    pub(crate) events: mpsc::Receiver<Arc<Delivery>>,
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

    /// Every user with at least one socket on this node.
    #[must_use]
    pub fn local_users(&self) -> Vec<UserId> {
        self.connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .copied()
            .collect()
    }
}

impl EventSink for Hub {
    fn deliver(&self, recipients: &[UserId], event: &ChatEvent) {
        let mut overflowing = Vec::new();
        {
            let connections = self
                .connections
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            let mut delivery: Option<Arc<Delivery>> = None;
            for recipient in recipients {
                let Some(list) = connections.get(recipient) else {
                    continue;
                };
                let delivery = match &delivery {
                    Some(delivery) => delivery,
                    None => match serde_json::to_string(event) {
                        Ok(frame) => delivery.insert(Arc::new(Delivery {
                            event: event.clone(),
                            frame: frame.into(),
                        })),
                        Err(error) => {
                            tracing::error!(%error, "event does not serialize");
                            return;
                        }
                    },
                };
                for connection in list {
                    if connection.queue.try_send(delivery.clone()).is_err() {
                        overflowing.push((*recipient, connection.id));
                    }
                }
            }
        }
        if overflowing.is_empty() {
            return;
        }
        tracing::warn!(
            count = overflowing.len(),
            "dropping sockets that cannot keep up"
        );
        let mut connections = self
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        for (user_id, id) in overflowing {
            if let Some(list) = connections.get_mut(&user_id) {
                // Dropping the sender closes the queue; the socket sees that and closes.
                list.retain(|connection| connection.id != id);
            }
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
            hub.deliver(&[user], &event());
        }
        assert!(slow.events.try_recv().is_ok());
        assert!(slow.events.try_recv().is_ok());
        assert!(matches!(
            slow.events.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert!(!hub.local_users().contains(&user) || hub.unregister(user, slow.id));
    }

    #[test]
    fn one_encoding_is_shared_by_every_recipient() {
        let hub = Hub::new(8);
        let (me, you, absent) = (UserId::generate(), UserId::generate(), UserId::generate());
        let mut mine = hub.register(me);
        let mut yours = hub.register(you);
        let sent = event();
        hub.deliver(&[me, you, absent], &sent);
        let (mine, yours) = (
            mine.events.try_recv().unwrap(),
            yours.events.try_recv().unwrap(),
        );
        assert!(Arc::ptr_eq(&mine, &yours));
        assert_eq!(mine.event, sent);
        assert_eq!(
            serde_json::from_str::<ChatEvent>(&mine.frame).unwrap(),
            sent
        );
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
        assert!(!hub.local_users().contains(&user));
    }
}
