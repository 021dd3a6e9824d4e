//! The in-process adapters pass their ports' contracts.

use std::sync::Arc;

use nerutalk_memory::{MemoryEventBus, MemoryPresenceStore, MemoryRateLimiter, MemoryTypingStore};
use nerutalk_ports::contract::rate_limit::{rate_limiter, rate_limiters_share_one_budget};
use nerutalk_ports::contract::{
    RecordingSink, event_bus, invalidations, presence_store, typing_store,
};

#[tokio::test]
async fn the_memory_bus_satisfies_the_event_bus_contract() {
    let sink = Arc::new(RecordingSink::default());
    let bus = MemoryEventBus::new(sink.clone(), sink.clone());
    event_bus(&bus, &sink).await;
    invalidations(&bus, &[&sink]).await;
}

#[tokio::test]
async fn the_memory_store_satisfies_the_presence_contract() {
    presence_store(&MemoryPresenceStore::new()).await;
}

#[tokio::test]
async fn the_memory_store_satisfies_the_typing_contract() {
    typing_store(&MemoryTypingStore::new()).await;
}

#[tokio::test]
async fn the_memory_limiter_satisfies_the_rate_limit_contract() {
    rate_limiter(&MemoryRateLimiter::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_of_the_memory_limiter_share_one_budget() {
    let limiter = MemoryRateLimiter::new();
    rate_limiters_share_one_budget(Arc::new(limiter.clone()), Arc::new(limiter)).await;
}
