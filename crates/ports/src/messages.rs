//! Storage of messages.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::chat::{Message, MessageContent};
use nerutalk_domain::{ChatId, MessageId, UserId};

use crate::PortError;

/// A message to append to a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub id: MessageId,
    pub chat_id: ChatId,
    pub sender_id: UserId,
    pub content: MessageContent,
    pub reply_to: Option<MessageId>,
    pub client_message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The outcome of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub message: Message,
    /// False when the sender's `client_message_id` was seen before and this
    /// is the message stored then.
    pub created: bool,
    /// The chat's members when the message was stored, oldest first: who to tell.
    pub audience: Vec<UserId>,
}

/// Which slice of a chat's history: by `seq`, at most `limit` messages,
/// returned oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPage {
    /// Only messages with a smaller `seq` (the newest ones before it).
    pub before_seq: Option<i64>,
    /// Only messages with a larger `seq` (the oldest ones after it).
    pub after_seq: Option<i64>,
    pub limit: u32,
}

/// Persistence of messages.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait MessageRepository: Send + Sync {
    /// In one transaction: checks that the sender is a member of the chat;
    /// returns the sender's earlier message with the same
    /// `client_message_id` if there is one; otherwise assigns the chat's next
    /// `seq`, stores the message and bumps the chat's activity. Checking
    /// membership here, not before, means a member removed a moment earlier
    /// cannot slip a message in.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when the chat does not exist or the sender is
    /// not one of its members.
    async fn append(&self, message: NewMessage) -> Result<Appended, PortError>;

    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn history(&self, chat_id: ChatId, page: HistoryPage) -> Result<Vec<Message>, PortError>;

    /// # Errors
    /// [`PortError::NotFound`] when the chat has no such message.
    async fn get(&self, chat_id: ChatId, message_id: MessageId) -> Result<Message, PortError>;

    /// Replaces the text of `author`'s message and sets `edited_at`, in one
    /// statement that matches only a message by `author` that is not
    /// deleted: an edit racing a delete (or checked against a stale read)
    /// cannot put text back on a tombstone or change someone else's message.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when `author` has no such message, or it is deleted.
    async fn edit(
        &self,
        message_id: MessageId,
        author: UserId,
        text: String,
        now: DateTime<Utc>,
    ) -> Result<Message, PortError>;

    /// Turns a message into a tombstone: content gone, place in history kept.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when there is no such message.
    async fn delete(&self, message_id: MessageId, now: DateTime<Utc>)
    -> Result<Message, PortError>;
}
