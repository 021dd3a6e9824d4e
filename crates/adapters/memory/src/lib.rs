//! In-process adapters for a single node (the embedded default): the event
//! bus, the presence store and the typing store.

mod event_bus;
mod presence;
mod typing;

pub use event_bus::MemoryEventBus;
pub use presence::MemoryPresenceStore;
pub use typing::MemoryTypingStore;
