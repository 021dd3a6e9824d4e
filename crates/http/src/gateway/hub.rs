//! This node's live connections, by user. The event bus delivers here; each
//! connection has a bounded queue, and one that cannot keep up is dropped
//! (its socket then closes with "try again later") instead of growing memory.
//! A revocation is not queued: it wakes the sockets of the revoked sessions,
//! which close at once, however many events wait before it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use bytestring::ByteString;
use nerutalk_app::EventSink;
use nerutalk_domain::event::{LiveEvent, RevokedSessions};
use nerutalk_domain::{SessionId, UserId};
use tokio::sync::{Notify, mpsc};

use super::protocol::ServerFrame;

/// One event on its way to sockets: encoded once, shared by every recipient.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) event: LiveEvent,
    /// The frame's `type`, for the frames-sent counter.
    pub(crate) kind: &'static str,
    /// The event's frame, `{"type", "data"}`, as sent on the wire.
    pub(crate) frame: ByteString,
}

struct Connection {
    id: u64,
    /// The sign-in the socket was opened with.
    session_id: SessionId,
    queue: mpsc::Sender<Arc<Delivery>>,
    revoked: Arc<Notify>,
}

/// The registry of sockets on this node.
pub struct Hub {
    connections: RwLock<HashMap<UserId, Vec<Connection>>>,
    next_id: AtomicU64,
    queue_capacity: usize,
    /// Set once when the server stops: every socket finishes the frame it
    /// is handling and closes.
    closing: tokio::sync::watch::Sender<bool>,
    /// Every socket's task, so that a stop can wait for each to end,
    /// including what it does after its socket closed (presence).
    tasks: tokio_util::task::TaskTracker,
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
    /// Wakes when the socket's session is revoked.
    pub(crate) revoked: Arc<Notify>,
    /// Turns true when the server stops.
    pub(crate) closing: tokio::sync::watch::Receiver<bool>,
}

impl Hub {
    #[must_use]
    pub fn new(queue_capacity: usize) -> Self {
        Self {
            connections: RwLock::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            queue_capacity: queue_capacity.max(1),
            closing: tokio::sync::watch::Sender::new(false),
            tasks: tokio_util::task::TaskTracker::new(),
        }
    }

    /// `task`, counted among the sockets' tasks that [`Self::close_all`]
    /// waits for.
    pub(crate) fn track<F: Future>(
        &self,
        task: F,
    ) -> tokio_util::task::task_tracker::TrackedFuture<F> {
        self.tasks.track_future(task)
    }

    /// Tells every socket, open now or opened later, to close because the
    /// server is stopping, and returns once every socket's task has ended,
    /// or at `deadline` (then false). A socket finishes the frame it is
    /// handling first, and its task then leaves presence as on any close.
    pub async fn close_all(&self, deadline: tokio::time::Instant) -> bool {
        self.closing.send_replace(true);
        self.tasks.close();
        tokio::time::timeout_at(deadline, self.tasks.wait())
            .await
            .is_ok()
    }

    pub(crate) fn register(&self, user_id: UserId, session_id: SessionId) -> Registration {
        let (queue, events) = mpsc::channel(self.queue_capacity);
        let revoked = Arc::new(Notify::new());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut connections = self
            .connections
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let list = connections.entry(user_id).or_default();
        let first = list.is_empty();
        list.push(Connection {
            id,
            session_id,
            queue,
            revoked: revoked.clone(),
        });
        Registration {
            id,
            events,
            first,
            revoked,
            closing: self.closing.subscribe(),
        }
    }

    /// Wakes the sockets of `recipients` opened with a revoked session.
    fn revoke(&self, recipients: &[UserId], revoked: RevokedSessions) {
        let connections = self
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        for connection in recipients
            .iter()
            .filter_map(|recipient| connections.get(recipient))
            .flatten()
            .filter(|connection| revoked.includes(connection.session_id))
        {
            // Keeps a permit if the socket is busy: it closes when it next looks.
            connection.revoked.notify_one();
        }
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
    fn deliver(&self, recipients: &[UserId], event: &LiveEvent) {
        if let LiveEvent::SessionsRevoked(revoked) = event {
            self.revoke(recipients, *revoked);
            return;
        }
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
                    None => match frame_of(event) {
                        Some(Ok((kind, frame))) => delivery.insert(Arc::new(Delivery {
                            event: event.clone(),
                            kind,
                            frame: frame.into(),
                        })),
                        Some(Err(error)) => {
                            tracing::error!(%error, "event does not serialize");
                            return;
                        }
                        None => return,
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
        crate::metrics::sockets_cut_slow(overflowing.len());
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

/// The frame that tells a socket of `event`, `{"type", "data"}`, or `None`
/// for an event that is for servers only.
fn frame_of(event: &LiveEvent) -> Option<Result<(&'static str, String), serde_json::Error>> {
    ServerFrame::of(event).map(|frame| Ok((frame.kind(), frame.encode(None)?)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use nerutalk_domain::ChatId;
    use nerutalk_domain::event::ChatEvent;

    use super::*;

    /// Whether `registration`'s socket has been told its session ended.
    async fn told_revoked(registration: &Registration) -> bool {
        tokio::time::timeout(Duration::from_millis(50), registration.revoked.notified())
            .await
            .is_ok()
    }

    fn event() -> LiveEvent {
        LiveEvent::Chat(ChatEvent::Typing {
            chat_id: ChatId::generate(),
            user_id: UserId::generate(),
            is_typing: true,
        })
    }

    #[test]
    fn a_connection_that_cannot_keep_up_is_cut_off() {
        let hub = Hub::new(2);
        let user = UserId::generate();
        let mut slow = hub.register(user, SessionId::generate());
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
        let mut mine = hub.register(me, SessionId::generate());
        let mut yours = hub.register(you, SessionId::generate());
        let sent = event();
        hub.deliver(&[me, you, absent], &sent);
        let (mine, yours) = (
            mine.events.try_recv().unwrap(),
            yours.events.try_recv().unwrap(),
        );
        assert!(Arc::ptr_eq(&mine, &yours));
        assert_eq!(mine.event, sent);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&mine.frame).unwrap()["type"],
            "typing"
        );
    }

    #[test]
    fn the_last_connection_leaving_takes_the_user_offline() {
        let hub = Hub::new(8);
        let user = UserId::generate();
        let first = hub.register(user, SessionId::generate());
        let second = hub.register(user, SessionId::generate());
        assert!(!second.first);
        assert!(!hub.unregister(user, first.id));
        assert!(hub.unregister(user, second.id));
        assert!(!hub.local_users().contains(&user));
    }

    #[tokio::test]
    async fn a_revocation_wakes_only_the_revoked_sessions_sockets_and_is_never_queued() {
        let hub = Hub::new(8);
        let (user, other) = (UserId::generate(), UserId::generate());
        let (phone, laptop) = (SessionId::generate(), SessionId::generate());
        let mut on_phone = hub.register(user, phone);
        let mut on_laptop = hub.register(user, laptop);
        let mut elsewhere = hub.register(other, phone);

        hub.deliver(
            &[user],
            &LiveEvent::SessionsRevoked(RevokedSessions::One(phone)),
        );
        assert!(told_revoked(&on_phone).await);
        assert!(!told_revoked(&on_laptop).await);
        assert!(!told_revoked(&elsewhere).await, "another user's socket");

        hub.deliver(
            &[user],
            &LiveEvent::SessionsRevoked(RevokedSessions::AllExcept(Some(phone))),
        );
        assert!(told_revoked(&on_laptop).await);
        assert!(!told_revoked(&on_phone).await);

        for registration in [&mut on_phone, &mut on_laptop, &mut elsewhere] {
            assert!(matches!(
                registration.events.try_recv(),
                Err(mpsc::error::TryRecvError::Empty)
            ));
        }
    }
}
