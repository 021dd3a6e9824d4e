//! The Redis bus passes the event bus contract, and heals after Redis drops
//! its pub/sub connection.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]

use std::sync::Arc;
use std::time::Duration;

use nerutalk_domain::event::ChatEvent;
use nerutalk_domain::{ChatId, UserId};
use nerutalk_ports::contract::{RecordingSink, event_bus, presence_store, typing_store};
use nerutalk_ports::{EventBus, PresenceStore};
use nerutalk_redis::{RedisEventBus, RedisPresenceStore, RedisTypingStore};

fn redis_url() -> String {
    std::env::var("NERUTALK_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

async fn bus() -> (RedisEventBus, Arc<RecordingSink>) {
    let sink = Arc::new(RecordingSink::default());
    let bus = RedisEventBus::start(&redis_url(), sink.clone()).unwrap();
    // Let the subscriber task open its connection.
    tokio::time::sleep(Duration::from_millis(200)).await;
    (bus, sink)
}

// One test, not two: killing pub/sub clients would also cut a concurrently
// running contract test's connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn the_redis_bus_satisfies_the_contract_and_survives_a_dropped_connection() {
    let (bus, sink) = bus().await;
    event_bus(&bus, &sink).await;
    subscriptions_survive_a_dropped_connection().await;
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
    let event = ChatEvent::Typing {
        chat_id: ChatId::generate(),
        user_id: user,
        is_typing: true,
    };
    for _ in 0..100 {
        bus.publish(&[user], &event).await.unwrap();
        if !sink.wait_for(1).await.is_empty() {
            break;
        }
    }
    assert!(!sink.seen().is_empty(), "the node resubscribed by itself");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn the_redis_store_satisfies_the_presence_contract() {
    let (bus, _) = bus().await;
    presence_store(&RedisPresenceStore::new(&bus)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn the_redis_store_satisfies_the_typing_contract() {
    let (bus, _) = bus().await;
    typing_store(&RedisTypingStore::new(&bus)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: cargo xtask test"]
async fn sockets_of_a_node_that_stops_renewing_stop_counting() {
    let (bus, _) = bus().await;
    let store = RedisPresenceStore::with_ttl(&bus, Duration::from_secs(1));
    let (kept, abandoned) = (UserId::generate(), UserId::generate());
    assert!(store.connected(kept).await.unwrap());
    assert!(store.connected(abandoned).await.unwrap());
    // One node keeps renewing its user; the other node died.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        store.refresh(vec![kept]).await.unwrap();
    }
    let now = store.presence(vec![kept, abandoned]).await.unwrap();
    assert!(now[0].online, "renewed");
    assert!(!now[1].online, "nobody renewed: the count ran out");
    // When the abandoned user comes back, that is a first socket again.
    assert!(store.connected(abandoned).await.unwrap());
}
