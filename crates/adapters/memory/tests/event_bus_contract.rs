//! The in-process bus passes the event bus contract.

use std::sync::Arc;

use nerutalk_memory::MemoryEventBus;
use nerutalk_ports::contract::{RecordingSink, event_bus};

#[tokio::test]
async fn the_memory_bus_satisfies_the_event_bus_contract() {
    let sink = Arc::new(RecordingSink::default());
    let bus = MemoryEventBus::new(sink.clone());
    event_bus(&bus, &sink).await;
}
