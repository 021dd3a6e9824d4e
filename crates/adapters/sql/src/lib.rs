//! NeruTalk's SQL adapter: diesel over PostgreSQL (production) and SQLite
//! (the embedded default), one code path for both through `MultiConnection`.

mod batch;
mod blocks;
mod chats;
mod connection;
mod error;
mod health;
mod jobs;
mod messages;
mod migrate;
mod outbox;
mod schema;
#[cfg(feature = "testing")]
pub mod scratch;
mod secrets;
mod sessions;
mod store;
mod types;
mod users;
mod verification;

pub use blocks::SqlBlockRepository;
pub use chats::SqlChatRepository;
pub use connection::{AnyConnection, DatabaseKind, DatabaseUrl};
pub use health::SqlHealthProbe;
pub use jobs::SqlJobQueue;
pub use messages::SqlMessageRepository;
pub use migrate::MigrationError;
pub use outbox::{OutboxMailer, QueuedMail};
pub use secrets::{KeptSecret, SqlSecretStore};
pub use sessions::SqlSessionRepository;
pub use store::{PoolStatus, SqlStore, StoreError};
pub use users::SqlUserRepository;
pub use verification::SqlEmailVerificationRepository;
