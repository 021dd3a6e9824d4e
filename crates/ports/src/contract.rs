//! Contract suites, written once and run against every adapter of a port.

pub mod jobs;
pub mod rate_limit;

use std::sync::Mutex;
use std::time::Duration;

use nerutalk_domain::event::{ChatEvent, Invalidation, LiveEvent};
use nerutalk_domain::{ChatId, UserId};

use chrono::Utc;

use crate::{EventBus, EventSink, InvalidationSink, PresenceStore, TypingStore};

/// An [`EventSink`] and [`InvalidationSink`] that remembers what it was given.
#[derive(Debug, Default)]
pub struct RecordingSink(Mutex<Vec<(UserId, LiveEvent)>>, Mutex<Recorded>);

/// What a [`RecordingSink`] was told about invalidations.
#[derive(Debug, Default, Clone)]
pub struct Recorded {
    pub invalidations: Vec<Invalidation>,
    /// The last `tracking` call, if any.
    pub tracking: Option<bool>,
}

impl RecordingSink {
    /// The invalidations so far, and whether the bus says it tracks them.
    #[must_use]
    pub fn invalidations(&self) -> Recorded {
        self.1.lock().map(|seen| seen.clone()).unwrap_or_default()
    }

    /// Waits up to five seconds for the invalidations to satisfy
    /// `condition`, and returns them either way: the caller asserts.
    pub async fn wait_for_invalidations(&self, condition: impl Fn(&Recorded) -> bool) -> Recorded {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let seen = self.invalidations();
            if condition(&seen) || tokio::time::Instant::now() >= deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Everything delivered so far.
    #[must_use]
    pub fn seen(&self) -> Vec<(UserId, LiveEvent)> {
        self.0.lock().map(|seen| seen.clone()).unwrap_or_default()
    }

    /// Waits up to five seconds for what was delivered to satisfy
    /// `condition`, and returns it either way: the caller asserts.
    pub async fn wait_until(
        &self,
        condition: impl Fn(&[(UserId, LiveEvent)]) -> bool,
    ) -> Vec<(UserId, LiveEvent)> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let seen = self.seen();
            if condition(&seen) || tokio::time::Instant::now() >= deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits up to five seconds for at least `count` deliveries.
    pub async fn wait_for(&self, count: usize) -> Vec<(UserId, LiveEvent)> {
        self.wait_until(|seen| seen.len() >= count).await
    }
}

impl EventSink for RecordingSink {
    fn deliver(&self, recipients: &[UserId], event: &LiveEvent) {
        if let Ok(mut seen) = self.0.lock() {
            seen.extend(recipients.iter().map(|user| (*user, event.clone())));
        }
    }
}

impl InvalidationSink for RecordingSink {
    fn invalidate(&self, what: &Invalidation) {
        if let Ok(mut seen) = self.1.lock() {
            seen.invalidations.push(*what);
        }
    }

    fn tracking(&self, live: bool) {
        if let Ok(mut seen) = self.1.lock() {
            seen.tracking = Some(live);
        }
    }
}

/// What every event bus must do with invalidations: once it says it tracks
/// them, each one published reaches the sink of every node, this one
/// included, in publication order. `others` are the sinks of other nodes on
/// the same bus (none for a single-node bus).
///
/// Invalidations of other users are ignored, so a bus may be shared with
/// other traffic.
///
/// # Panics
/// When the bus breaks the contract.
pub async fn invalidations(bus: &dyn EventBus, sinks: &[&RecordingSink]) {
    for sink in sinks {
        let seen = sink
            .wait_for_invalidations(|seen| seen.tracking == Some(true))
            .await;
        assert_eq!(seen.tracking, Some(true), "every node tracks invalidations");
    }
    let ada = UserId::generate();
    let sent = [
        Invalidation::User(ada),
        Invalidation::Sessions {
            user_id: ada,
            revoked: nerutalk_domain::event::RevokedSessions::AllExcept(None),
        },
        Invalidation::User(ada),
    ];
    for what in &sent {
        bus.invalidate(what)
            .await
            .unwrap_or_else(|error| panic!("invalidate: {error}"));
    }
    let about_ada = |seen: &Recorded| -> Vec<Invalidation> {
        seen.invalidations
            .iter()
            .filter(|what| match what {
                Invalidation::User(user) | Invalidation::Sessions { user_id: user, .. } => {
                    *user == ada
                }
                Invalidation::Chat(_) => false,
            })
            .copied()
            .collect()
    };
    for sink in sinks {
        let seen = sink
            .wait_for_invalidations(|seen| about_ada(seen).len() >= sent.len())
            .await;
        assert_eq!(
            about_ada(&seen),
            sent,
            "every node hears each one, in order"
        );
    }
}

fn read_events(seen: &[(UserId, LiveEvent)], user: UserId) -> Vec<i64> {
    seen.iter()
        .filter(|(to, _)| *to == user)
        .filter_map(|(_, event)| match event {
            LiveEvent::Chat(ChatEvent::MessageRead { seq, .. }) => Some(*seq),
            _ => None,
        })
        .collect()
}

/// What every event bus must do: events published to subscribed users
/// reach this node's sink once per recipient, in publication order; nothing
/// arrives for a user while they are unsubscribed, and events arrive again
/// once they subscribe again. Subscriptions are counted: a user subscribed
/// twice stays subscribed until they unsubscribe twice.
///
/// Deliveries to users other than the two it makes up are ignored, so a bus
/// may be shared with other traffic.
///
/// # Panics
/// When the bus breaks the contract.
pub async fn event_bus(bus: &dyn EventBus, sink: &RecordingSink) {
    let (ada, bob) = (UserId::generate(), UserId::generate());
    let chat_id = ChatId::generate();
    let read = |seq| {
        LiveEvent::Chat(ChatEvent::MessageRead {
            chat_id,
            user_id: ada,
            seq,
        })
    };
    let publish = |recipients: Vec<UserId>, seq| async move {
        bus.publish(&recipients, &read(seq))
            .await
            .unwrap_or_else(|error| panic!("publish: {error}"));
    };
    bus.subscribe(ada)
        .await
        .unwrap_or_else(|error| panic!("subscribe: {error}"));
    bus.subscribe(bob)
        .await
        .unwrap_or_else(|error| panic!("subscribe: {error}"));
    for seq in 1..=3 {
        publish(vec![ada, bob], seq).await;
    }
    let seen = sink
        .wait_until(|seen| read_events(seen, ada).len() >= 3 && read_events(seen, bob).len() >= 3)
        .await;
    assert_eq!(read_events(&seen, ada), [1, 2, 3]);
    assert_eq!(read_events(&seen, bob), [1, 2, 3]);

    bus.unsubscribe(bob)
        .await
        .unwrap_or_else(|error| panic!("unsubscribe: {error}"));
    publish(vec![ada, bob], 4).await;
    publish(vec![bob], 5).await;
    // Bob's own later events are the fence: a bus delivers one user's
    // events in order, so once 6 is in, 4 and 5 would be too.
    bus.subscribe(bob)
        .await
        .unwrap_or_else(|error| panic!("subscribe again: {error}"));
    publish(vec![ada, bob], 6).await;
    let seen = sink
        .wait_until(|seen| read_events(seen, ada).len() >= 5 && read_events(seen, bob).len() >= 4)
        .await;
    assert_eq!(read_events(&seen, ada), [1, 2, 3, 4, 6]);
    assert_eq!(
        read_events(&seen, bob),
        [1, 2, 3, 6],
        "nothing while unsubscribed, everything again after subscribing"
    );
    publish(vec![], 7).await;

    // Subscriptions are counted: a user's second socket subscribes again,
    // and the first one leaving must not cut the second one off.
    bus.subscribe(bob)
        .await
        .unwrap_or_else(|error| panic!("second subscribe: {error}"));
    bus.unsubscribe(bob)
        .await
        .unwrap_or_else(|error| panic!("first unsubscribe: {error}"));
    publish(vec![bob], 8).await;
    let seen = sink
        .wait_until(|seen| read_events(seen, bob).len() >= 5)
        .await;
    assert_eq!(
        read_events(&seen, bob),
        [1, 2, 3, 6, 8],
        "one unsubscribe of two subscriptions keeps the user subscribed"
    );
}

/// What every presence store must do: a user is online from their first
/// socket until their last one closes, and then shows when that was.
///
/// # Panics
/// When the store breaks the contract.
pub async fn presence_store(store: &dyn PresenceStore) {
    let (ada, bob) = (UserId::generate(), UserId::generate());
    let check =
        |result: Result<bool, crate::PortError>| result.unwrap_or_else(|error| panic!("{error}"));
    assert!(
        check(store.connected(ada).await),
        "first socket brings the user online"
    );
    assert!(
        !check(store.connected(ada).await),
        "a second socket changes nothing"
    );
    let sockets =
        |result: Result<u32, crate::PortError>| result.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(sockets(store.sockets(ada).await), 2, "both sockets count");
    assert_eq!(sockets(store.sockets(bob).await), 0, "never connected");
    let at = Utc::now().trunc_subsecs_micros();
    assert!(
        !check(store.disconnected(ada, at).await),
        "one socket is still open"
    );
    assert_eq!(
        sockets(store.sockets(ada).await),
        1,
        "a closed socket stops counting"
    );
    let both = store
        .presence(vec![ada, bob])
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(both[0].online && both[0].user_id == ada);
    assert!(!both[1].online && both[1].last_seen.is_none(), "never seen");
    store
        .refresh(vec![ada, bob])
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let renewed = store
        .presence(vec![ada, bob])
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(renewed[0].online, "a renewal keeps an online user online");
    assert!(!renewed[1].online, "a renewal brings nobody online");
    assert!(
        check(store.disconnected(ada, at).await),
        "the last socket takes the user offline"
    );
    let after = store
        .presence(vec![ada])
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(!after[0].online);
    assert_eq!(after[0].last_seen, Some(at));
    assert_eq!(sockets(store.sockets(ada).await), 0);
}

/// What every typing store must do: an indicator counts from its start
/// until it is withdrawn or expires, and only a live one reports a stop.
///
/// # Panics
/// When the store breaks the contract.
pub async fn typing_store(store: &dyn TypingStore) {
    let (chat, other_chat) = (ChatId::generate(), ChatId::generate());
    let (ada, bob) = (UserId::generate(), UserId::generate());
    let now = Utc::now().trunc_subsecs_micros();
    let later = |seconds| now + chrono::Duration::seconds(seconds);
    let check =
        |result: Result<bool, crate::PortError>| result.unwrap_or_else(|error| panic!("{error}"));
    let typing = |chat, at| async move {
        let mut users = store
            .typing_in(chat, at)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        users.sort();
        users
    };
    let start = |user, at, until| async move {
        store
            .start(chat, user, at, until)
            .await
            .unwrap_or_else(|error| panic!("{error}"));
    };
    start(ada, now, later(5)).await;
    start(ada, later(1), later(6)).await;
    start(bob, now, later(5)).await;
    let mut both = vec![ada, bob];
    both.sort();
    assert_eq!(typing(chat, later(2)).await, both);
    assert!(
        typing(other_chat, later(2)).await.is_empty(),
        "chats are apart"
    );
    assert!(check(store.stop(chat, bob, later(2)).await), "bob stops");
    assert!(
        !check(store.stop(chat, bob, later(2)).await),
        "stopping twice reports once"
    );
    assert_eq!(typing(chat, later(3)).await, vec![ada]);
    assert!(
        typing(chat, later(7)).await.is_empty(),
        "ada's renewal ran out at 6 s"
    );
    assert!(
        !check(store.stop(chat, ada, later(7)).await),
        "an expired indicator was not typing any more"
    );
    start(ada, later(8), later(13)).await;
    assert_eq!(
        typing(chat, later(9)).await,
        vec![ada],
        "typing again after expiry"
    );
}

trait TruncMicros {
    fn trunc_subsecs_micros(self) -> Self;
}

impl TruncMicros for chrono::DateTime<Utc> {
    fn trunc_subsecs_micros(self) -> Self {
        chrono::SubsecRound::trunc_subsecs(self, 6)
    }
}
