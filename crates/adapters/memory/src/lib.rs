//! In-process adapters for a single node: the embedded default, and tests.

mod event_bus;

pub use event_bus::MemoryEventBus;
