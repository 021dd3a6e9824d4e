//! NeruTalk's domain: entities, value objects and rules, free of IO and frameworks.

pub mod error;
pub mod ids;
pub mod language;
pub mod user;

pub use error::DomainError;
pub use ids::{SessionId, UserId};
pub use language::Language;
