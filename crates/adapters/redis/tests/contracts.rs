//! The Redis bus passes the event bus contract, and heals after Redis drops
//! its pub/sub connection.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use nerutalk_domain::event::{ChatEvent, LiveEvent};
use nerutalk_domain::{ChatId, UserId};
use nerutalk_ports::contract::rate_limit::{rate_limiter, rate_limiters_share_one_budget};
use nerutalk_ports::contract::{
    RecordingSink, event_bus, invalidations, presence_store, typing_store,
};
use nerutalk_ports::{EventBus, LimitName, PortError, PresenceStore, Quota, RateKey, RateLimiter};
use nerutalk_redis::{
    RedisEventBus, RedisPresenceStore, RedisRateLimiter, RedisTypingStore, Renewal,
};

fn redis_url() -> String {
    std::env::var("NERUTALK_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A bus whose pub/sub connection is open: until it is, events published
/// to its users are lost.
async fn bus() -> (RedisEventBus, Arc<RecordingSink>) {
    bus_renewing(Renewal::default()).await
}

async fn bus_renewing(renewal: Renewal) -> (RedisEventBus, Arc<RecordingSink>) {
    let sink = Arc::new(RecordingSink::default());
    let bus = RedisEventBus::start_with(&redis_url(), sink.clone(), sink.clone(), renewal).unwrap();
    let probe = UserId::generate();
    bus.subscribe(probe).await.unwrap();
    let hello = typing(probe);
    heard_after_publishing(
        &bus,
        &sink,
        probe,
        &hello,
        "the bus's pub/sub connection never opened",
    )
    .await;
    bus.unsubscribe(probe).await.unwrap();
    (bus, sink)
}

/// Publishes `event` to `user` again and again until `sink` has it:
/// pub/sub keeps nothing for a node that is not (yet) listening.
async fn heard_after_publishing(
    bus: &RedisEventBus,
    sink: &RecordingSink,
    user: UserId,
    event: &LiveEvent,
    otherwise: &str,
) {
    let heard = |seen: &[(UserId, LiveEvent)]| seen.iter().any(|(to, _)| *to == user);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !heard(&sink.seen()) {
        assert!(tokio::time::Instant::now() < deadline, "{otherwise}");
        bus.publish(&[user], event).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn admin() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

fn typing(user_id: UserId) -> LiveEvent {
    LiveEvent::Chat(ChatEvent::Typing {
        chat_id: ChatId::generate(),
        user_id,
        is_typing: true,
    })
}

/// A bus for the stores, which use its pool and never its pub/sub.
fn pool_only() -> RedisEventBus {
    {
        let sink = Arc::new(RecordingSink::default());
        RedisEventBus::start(&redis_url(), sink.clone(), sink).unwrap()
    }
}

// One test, not several: killing pub/sub clients would also cut a
// concurrently running test's connection, such as the raw listeners that
// count what reaches a node's channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn the_redis_bus_satisfies_the_contract_and_survives_a_dropped_connection() {
    let (other_node, other_sink) = bus().await;
    let (bus, sink) = bus().await;
    event_bus(&bus, &sink).await;
    invalidations(&bus, &[&sink, &other_sink]).await;
    events_a_node_cannot_read_are_skipped_and_the_rest_delivered().await;
    an_event_costs_one_message_per_node().await;
    a_crashed_nodes_entries_lapse_and_then_cost_nothing().await;
    subscriptions_survive_a_dropped_connection().await;
    // Both nodes' connections were cut: once they are back, invalidations
    // reach both again.
    let probe = nerutalk_domain::event::Invalidation::User(UserId::generate());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ![&sink, &other_sink]
        .iter()
        .all(|sink| sink.invalidations().invalidations.contains(&probe))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "invalidations never came back"
        );
        bus.invalidate(&probe).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    invalidations(&bus, &[&sink, &other_sink]).await;
    drop(other_node);
}

/// During a rolling update a newer node publishes events of a capability
/// this node does not have yet, or in a later envelope: each is skipped and
/// counted, and the events after it still arrive.
async fn events_a_node_cannot_read_are_skipped_and_the_rest_delivered() {
    let (bus, sink) = bus().await;
    let user = UserId::generate();
    bus.subscribe(user).await.unwrap();
    let mut newer_node = admin().await;
    let channel = format!("nerutalk:node:{}", bus.node_id());
    for payload in [
        format!(
            r#"{{"v":1,"sent_at":1,"to":["{user}"],"event":{{"type":"call","data":{{"call_id":"c","state":"ringing"}}}}}}"#
        ),
        format!(r#"{{"v":2,"to":["{user}"],"event":{{"type":"chat","data":{{}}}}}}"#),
    ] {
        let _: i64 = redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(payload)
            .query_async(&mut newer_node)
            .await
            .unwrap();
    }
    let known = typing(user);
    bus.publish(&[user], &known).await.unwrap();
    let seen = sink
        .wait_until(|seen| seen.iter().any(|(to, _)| *to == user))
        .await;
    let mine: Vec<&LiveEvent> = seen
        .iter()
        .filter(|(to, _)| *to == user)
        .map(|(_, event)| event)
        .collect();
    assert_eq!(mine, [&known], "only the event this node can read");
    assert_eq!(bus.events_skipped(), 2);
}

/// The node's pub/sub connection is cut, and Redis has lost the user's
/// route meanwhile (as a restarted Redis has): the node resubscribes and
/// registers its users again by itself, long before its next renewal.
async fn subscriptions_survive_a_dropped_connection() {
    let (bus, sink) = bus().await;
    let user = UserId::generate();
    bus.subscribe(user).await.unwrap();
    let mut admin = admin().await;
    let () = redis::cmd("DEL")
        .arg(format!("nerutalk:route:{user}"))
        .query_async(&mut admin)
        .await
        .unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert!(killed >= 1, "the bus had a pub/sub connection to kill");
    heard_after_publishing(
        &bus,
        &sink,
        user,
        &typing(user),
        "the node did not resubscribe and re-register by itself",
    )
    .await;
}

/// Redis lost a user's route without the node's connection dropping (a
/// flush): the node's next renewal writes it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn a_lost_route_comes_back_with_the_next_renewal() {
    let (bus, sink) = bus_renewing(Renewal::every(Duration::from_millis(200))).await;
    let user = UserId::generate();
    bus.subscribe(user).await.unwrap();
    let () = redis::cmd("DEL")
        .arg(format!("nerutalk:route:{user}"))
        .query_async(&mut admin().await)
        .await
        .unwrap();
    heard_after_publishing(
        &bus,
        &sink,
        user,
        &typing(user),
        "the renewal did not write the route again",
    )
    .await;
}

/// Nodes renewing on different periods: a short-lived registration does
/// not cut the route key's lifetime below a longer-lived node's entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn a_shorter_renewal_never_shortens_a_route() {
    let (long, _) = bus_renewing(Renewal::every(Duration::from_secs(60))).await;
    let (short, _) = bus_renewing(Renewal::every(Duration::from_millis(100))).await;
    let user = UserId::generate();
    let key = format!("nerutalk:route:{user}");
    long.subscribe(user).await.unwrap();
    short.subscribe(user).await.unwrap();
    let left_ms: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut admin().await)
        .await
        .unwrap();
    // The long node's entry lasts 180 s; the short one's 300 ms.
    assert!(left_ms > 60_000, "the key expires in {left_ms} ms");
    short.unsubscribe(user).await.unwrap();
    long.unsubscribe(user).await.unwrap();
    short.stop().await;
    long.stop().await;
}

/// A node that dies without closing its sockets leaves its users' entries
/// behind: they stop counting within their lifetime, and then publishing to
/// those users sends that node nothing and leaves no route.
async fn a_crashed_nodes_entries_lapse_and_then_cost_nothing() {
    // Long enough that a loaded machine still publishes within the entry's
    // lifetime (three renewals), short enough to wait out.
    let renewal = Renewal::every(Duration::from_secs(1));
    let (crashed, _) = bus_renewing(renewal).await;
    let user = UserId::generate();
    crashed.subscribe(user).await.unwrap();
    let mut listener = redis::Client::open(redis_url())
        .unwrap()
        .get_async_pubsub()
        .await
        .unwrap();
    listener
        .subscribe(format!("nerutalk:node:{}", crashed.node_id()))
        .await
        .unwrap();
    // Its thread ends without a word to the directory, as a crash would.
    crashed.stop().await;
    let publisher = pool_only();
    publisher.publish(&[user], &typing(user)).await.unwrap();
    let mut messages = listener.on_message();
    assert!(
        matches!(
            tokio::time::timeout(Duration::from_secs(5), messages.next()).await,
            Ok(Some(_))
        ),
        "while its entry lasts, the node is still sent its users' events"
    );
    // Time passing is what is tested: the entry lasts three renewals from
    // the last one, which was before the stop and so before the publish.
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    publisher.publish(&[user], &typing(user)).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), messages.next())
            .await
            .is_err(),
        "a lapsed entry costs no message"
    );
    let exists: i64 = redis::cmd("EXISTS")
        .arg(format!("nerutalk:route:{user}"))
        .query_async(&mut admin().await)
        .await
        .unwrap();
    assert_eq!(exists, 0, "nothing is left of the route");
}

/// Recipients on two nodes: each node is sent the event once, naming only
/// its own users, and each user hears it once.
async fn an_event_costs_one_message_per_node() {
    let (first, first_sink) = bus().await;
    let (second, second_sink) = bus().await;
    let on_first: Vec<UserId> = (0..3).map(|_| UserId::generate()).collect();
    let on_second: Vec<UserId> = (0..2).map(|_| UserId::generate()).collect();
    for user in &on_first {
        first.subscribe(*user).await.unwrap();
    }
    for user in &on_second {
        second.subscribe(*user).await.unwrap();
    }
    let mut listener = redis::Client::open(redis_url())
        .unwrap()
        .get_async_pubsub()
        .await
        .unwrap();
    listener
        .subscribe(format!("nerutalk:node:{}", first.node_id()))
        .await
        .unwrap();
    listener
        .subscribe(format!("nerutalk:node:{}", second.node_id()))
        .await
        .unwrap();
    let everyone: Vec<UserId> = on_first.iter().chain(&on_second).copied().collect();
    let event = typing(everyone[0]);
    first.publish(&everyone, &event).await.unwrap();
    let mut messages = listener.on_message();
    let mut channels = Vec::new();
    for _ in 0..2 {
        let message = tokio::time::timeout(Duration::from_secs(5), messages.next())
            .await
            .unwrap()
            .unwrap();
        channels.push(message.get_channel_name().to_owned());
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(200), messages.next())
            .await
            .is_err(),
        "two nodes, two messages"
    );
    channels.sort();
    let mut expected = vec![
        format!("nerutalk:node:{}", first.node_id()),
        format!("nerutalk:node:{}", second.node_id()),
    ];
    expected.sort();
    assert_eq!(channels, expected);
    for (sink, users) in [(&first_sink, &on_first), (&second_sink, &on_second)] {
        let seen = sink
            .wait_until(|seen| {
                users
                    .iter()
                    .all(|user| seen.iter().any(|(to, _)| to == user))
            })
            .await;
        for user in users {
            assert_eq!(seen.iter().filter(|(to, _)| to == user).count(), 1);
        }
        assert!(
            seen.iter()
                .all(|(to, _)| users.contains(to) || !everyone.contains(to)),
            "a node hears only its own users"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn the_redis_store_satisfies_the_presence_contract() {
    presence_store(&RedisPresenceStore::new(&pool_only())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn the_redis_store_satisfies_the_typing_contract() {
    typing_store(&RedisTypingStore::new(&pool_only())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn the_redis_limiter_satisfies_the_rate_limit_contract() {
    rate_limiter(&RedisRateLimiter::new(&pool_only())).await;
}

/// Two limiters on two pools of their own: two nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn two_redis_limiters_share_one_budget() {
    rate_limiters_share_one_budget(
        Arc::new(RedisRateLimiter::new(&pool_only())),
        Arc::new(RedisRateLimiter::new(&pool_only())),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn sockets_of_a_node_that_stops_renewing_stop_counting() {
    let store = RedisPresenceStore::with_ttl(&pool_only(), Duration::from_secs(1));
    let (kept, abandoned) = (UserId::generate(), UserId::generate());
    assert!(store.connected(kept).await.unwrap());
    assert!(store.connected(abandoned).await.unwrap());
    // One node keeps renewing its user, well within the expiry; the other
    // node died. Time passing is what is tested here: the loop renews and
    // looks until the abandoned count has run out.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        store.refresh(vec![kept]).await.unwrap();
        let now = store.presence(vec![kept, abandoned]).await.unwrap();
        assert!(now[0].online, "renewed");
        if !now[1].online {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nobody renewed, yet the count did not run out"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // When the abandoned user comes back, that is a first socket again.
    assert!(store.connected(abandoned).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn a_stopped_bus_ends_its_threads_and_delivers_nothing_more() {
    let (bus, sink) = bus().await;
    let user = UserId::generate();
    bus.subscribe(user).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), bus.stop())
        .await
        .expect("the subscriber threads end");
    bus.publish(&[user], &typing(user)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(sink.seen().iter().all(|(to, _)| *to != user));
}

/// A Redis that lost its scripts (restarted, failed over) gets the script
/// again on the next check, which still counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn the_limiter_reloads_its_script_after_a_flush() {
    let limiter = RedisRateLimiter::new(&pool_only());
    let key = RateKey::new(LimitName::new("test.flush"), UserId::generate());
    let quota = Quota::per_period(NonZeroU32::new(2).unwrap(), Duration::from_secs(60)).unwrap();
    let now = chrono::Utc::now();
    assert!(limiter.check(&key, &quota, now).await.unwrap().is_allowed());
    let client = redis::Client::open(redis_url()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    let () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert!(limiter.check(&key, &quota, now).await.unwrap().is_allowed());
    assert!(
        !limiter.check(&key, &quota, now).await.unwrap().is_allowed(),
        "both hits before the flush and after it counted"
    );
}

/// Redis gone: the limiter reports it, and the caller picks the policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_is_reported_unavailable() {
    let bus = {
        let sink = Arc::new(RecordingSink::default());
        RedisEventBus::start("redis://127.0.0.1:1", sink.clone(), sink).unwrap()
    };
    let limiter = RedisRateLimiter::new(&bus);
    let key = RateKey::new(LimitName::new("test.down"), UserId::generate());
    let quota = Quota::per_period(NonZeroU32::MIN, Duration::from_secs(1)).unwrap();
    let checked = limiter.check(&key, &quota, chrono::Utc::now()).await;
    assert!(
        matches!(checked, Err(PortError::Unavailable(_))),
        "{checked:?}"
    );
    tokio::time::timeout(Duration::from_secs(5), bus.stop())
        .await
        .unwrap();
}

/// A Redis host that never answers: publishing and invalidating give up
/// with `Unavailable` at their deadline, instead of holding the caller for
/// as long as the connection hangs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswering_redis_fails_publishing_within_the_deadline() {
    // The kernel completes the connection into the backlog, and nobody
    // ever reads or answers: a hung Redis, more reliably than an
    // unroutable address, which some networks refuse at once.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}", silent.local_addr().unwrap());
    let bus = {
        let sink = Arc::new(RecordingSink::default());
        RedisEventBus::start(&url, sink.clone(), sink).unwrap()
    };
    let user = UserId::generate();
    // Far longer than the deadline, far shorter than a TCP connect timeout.
    let generous = Duration::from_secs(60);
    let published = tokio::time::timeout(generous, bus.publish(&[user], &typing(user)))
        .await
        .expect("publishing gave up");
    assert!(
        matches!(published, Err(PortError::Unavailable(_))),
        "{published:?}"
    );
    let invalidated = tokio::time::timeout(
        generous,
        bus.invalidate(&nerutalk_domain::event::Invalidation::User(user)),
    )
    .await
    .expect("invalidating gave up");
    assert!(
        matches!(invalidated, Err(PortError::Unavailable(_))),
        "{invalidated:?}"
    );
    // A renewal stuck on the silent host ends at its own deadline.
    tokio::time::timeout(generous, bus.stop())
        .await
        .expect("the bus stopped");
    drop(silent);
}
