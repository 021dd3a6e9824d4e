//! The Redis bus passes the event bus contract, and heals after Redis drops
//! its pub/sub connection.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use nerutalk_domain::event::{ChatEvent, LiveEvent};
use nerutalk_domain::{ChatId, UserId};
use nerutalk_ports::contract::rate_limit::{rate_limiter, rate_limiters_share_one_budget};
use nerutalk_ports::contract::{
    RecordingSink, event_bus, invalidations, presence_store, typing_store,
};
use nerutalk_ports::{EventBus, LimitName, PortError, PresenceStore, Quota, RateKey, RateLimiter};
use nerutalk_redis::{RedisEventBus, RedisPresenceStore, RedisRateLimiter, RedisTypingStore};

fn redis_url() -> String {
    std::env::var("NERUTALK_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A bus whose pub/sub connections are open: until they are, a subscribe
/// only takes note and events published meanwhile are lost.
async fn bus() -> (RedisEventBus, Arc<RecordingSink>) {
    let sink = Arc::new(RecordingSink::default());
    let bus = RedisEventBus::start(&redis_url(), sink.clone(), sink.clone()).unwrap();
    // Users are spread over the bus's connections by a hash of their id;
    // with 32 probes, every connection has one but with odds of 2^-31.
    let probes: Vec<UserId> = (0..32).map(|_| UserId::generate()).collect();
    for probe in &probes {
        bus.subscribe(*probe).await.unwrap();
    }
    let hello = typing(probes[0]);
    let all_heard = |seen: &[(UserId, LiveEvent)]| {
        probes
            .iter()
            .all(|probe| seen.iter().any(|(to, _)| to == probe))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !all_heard(&sink.seen()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bus's pub/sub connections never opened"
        );
        bus.publish(&probes, &hello).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for probe in &probes {
        bus.unsubscribe(*probe).await.unwrap();
    }
    (bus, sink)
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

// One test, not two: killing pub/sub clients would also cut a concurrently
// running contract test's connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn the_redis_bus_satisfies_the_contract_and_survives_a_dropped_connection() {
    let (other_node, other_sink) = bus().await;
    let (bus, sink) = bus().await;
    event_bus(&bus, &sink).await;
    invalidations(&bus, &[&sink, &other_sink]).await;
    events_a_node_cannot_read_are_skipped_and_the_rest_delivered().await;
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
    let client = redis::Client::open(redis_url()).unwrap();
    let mut newer_node = client.get_multiplexed_async_connection().await.unwrap();
    let channel = format!("nerutalk:user:{user}");
    for payload in [
        r#"{"v":1,"event":{"type":"call","data":{"call_id":"c","state":"ringing"}}}"#,
        r#"{"v":2,"event":{"type":"chat","data":{}}}"#,
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

async fn subscriptions_survive_a_dropped_connection() {
    let (bus, sink) = bus().await;
    let user = UserId::generate();
    bus.subscribe(user).await.unwrap();
    let client = redis::Client::open(redis_url()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert!(killed >= 1, "the bus had a pub/sub connection to kill");
    let event = typing(user);
    let heard = |seen: &[(UserId, LiveEvent)]| seen.iter().any(|(to, _)| *to == user);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !heard(&sink.seen()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node did not resubscribe by itself"
        );
        // Published again and again: pub/sub keeps nothing for a node
        // that is still reconnecting.
        bus.publish(&[user], &event).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
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
