//! The in-process adapters pass their ports' contracts.

use std::sync::Arc;

use nerutalk_memory::{MemoryEventBus, MemoryPresenceStore, MemoryTypingStore};
use nerutalk_ports::contract::{RecordingSink, event_bus, presence_store, typing_store};

#[tokio::test]
async fn the_memory_bus_satisfies_the_event_bus_contract() {
    let sink = Arc::new(RecordingSink::default());
    let bus = MemoryEventBus::new(sink.clone());
    event_bus(&bus, &sink).await;
}

#[tokio::test]
async fn the_memory_store_satisfies_the_presence_contract() {
    presence_store(&MemoryPresenceStore::new()).await;
}

#[tokio::test]
async fn the_memory_store_satisfies_the_typing_contract() {
    typing_store(&MemoryTypingStore::new()).await;
}
