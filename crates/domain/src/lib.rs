//! NeruTalk's domain: entities, value objects and rules, free of IO and frameworks.

pub mod chat;
pub mod error;
pub mod event;
pub mod ids;
pub mod language;
pub mod text;
pub mod user;

pub use error::DomainError;
pub use ids::{ChatId, MessageId, SessionId, UserId};
pub use language::Language;
