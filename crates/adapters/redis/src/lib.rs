//! NeruTalk's Redis adapter: carries live events between nodes and keeps
//! presence, typing indicators and rate limits for all of them. Publishing
//! goes through a deadpool-redis pool; each node keeps two dedicated pub/sub
//! connections on threads of their own, between them subscribed to the
//! channels of the users connected to it, and re-establishes them (and every
//! subscription) by itself when Redis returns.

mod envelope;
mod event_bus;
mod health;
mod presence;
mod rate_limit;
mod typing;

pub use event_bus::{RedisError, RedisEventBus};
pub use health::RedisHealthProbe;
pub use presence::RedisPresenceStore;
pub use rate_limit::RedisRateLimiter;
pub use typing::RedisTypingStore;
