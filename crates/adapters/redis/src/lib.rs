//! NeruTalk's Redis adapter: carries live events between nodes and keeps
//! presence, typing indicators and rate limits for all of them. Publishing
//! goes through a deadpool-redis pool; each node keeps one dedicated pub/sub
//! connection, on a thread of its own, subscribed to the node's channel,
//! registers the users connected to it in a directory of user → nodes that
//! the publish script reads, and re-establishes both by itself when Redis
//! returns.

mod directory;
mod envelope;
mod event_bus;
mod health;
mod presence;
mod rate_limit;
mod telemetry;
mod typing;

pub use directory::Renewal;
pub use event_bus::{RedisError, RedisEventBus};
pub use health::RedisHealthProbe;
pub use presence::RedisPresenceStore;
pub use rate_limit::RedisRateLimiter;
pub use typing::RedisTypingStore;
