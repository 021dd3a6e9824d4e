//! In-process adapters for a single node (the embedded default): the event
//! bus and the presence store.

mod event_bus;
mod presence;

pub use event_bus::MemoryEventBus;
pub use presence::MemoryPresenceStore;
