//! In-process adapters for a single node (the embedded default): the event
//! bus, the presence store, the typing store and the rate limiter.

mod event_bus;
mod presence;
mod rate_limit;
mod typing;

pub use event_bus::MemoryEventBus;
pub use presence::MemoryPresenceStore;
pub use rate_limit::MemoryRateLimiter;
pub use typing::MemoryTypingStore;
