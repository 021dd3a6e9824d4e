//! Storage of chats and their members.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::chat::{Chat, ChatDetails, ChatKind, Message, Participant, Role};
use nerutalk_domain::{ChatId, UserId};

use crate::PortError;

/// A chat to store, with its first members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChat {
    pub id: ChatId,
    pub kind: ChatKind,
    pub details: ChatDetails,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub members: Vec<(UserId, Role)>,
}

/// A chat as one member sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSummary {
    pub chat: Chat,
    pub role: Role,
    pub last_read_seq: i64,
    pub last_message: Option<Message>,
    /// Messages after `last_read_seq` that others sent.
    pub unread: i64,
}

/// Where a page of a chat list starts: after the chat with this activity time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatCursor {
    pub last_activity_at: DateTime<Utc>,
    pub chat_id: ChatId,
}

/// What removing a member did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removal {
    /// The member promoted because the last manager left, if any.
    pub promoted: Option<UserId>,
}

/// What adding members did. Every check is made in the transaction that
/// adds them, so two adds at once cannot together pass the cap, and either
/// every user is added or none is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddMembersOutcome {
    Added {
        /// The users who were not members yet, each once, in the order given.
        added: Vec<UserId>,
        /// Every member after the add, oldest first: who to tell.
        members: Vec<Participant>,
    },
    /// These users do not exist or are disabled; nobody was added.
    UnknownUsers(Vec<UserId>),
    /// The chat would have more than the cap; nobody was added.
    TooLarge,
}

/// A chat and its members, read together: what a send, a read receipt or a
/// typing indicator needs to check the sender and reach everyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub chat: Chat,
    /// Oldest first.
    pub members: Vec<Participant>,
}

impl Roster {
    /// `user_id`'s membership, if they are in the chat.
    #[must_use]
    pub fn member(&self, user_id: UserId) -> Option<&Participant> {
        self.members.iter().find(|member| member.user_id == user_id)
    }

    /// Every member's id.
    #[must_use]
    pub fn user_ids(&self) -> Vec<UserId> {
        self.members.iter().map(|member| member.user_id).collect()
    }
}

/// Persistence of chats and membership.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait ChatRepository: Send + Sync {
    /// Stores a chat and its members in one transaction. For a direct chat
    /// the pair is unique: a second one for the same two users is refused.
    ///
    /// # Errors
    /// [`PortError::Conflict`] for a second direct chat of the same pair,
    /// [`PortError::NotFound`] when a member does not exist.
    async fn create(&self, chat: NewChat) -> Result<Chat, PortError>;

    /// The direct chat between two users, if they have one.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn find_direct(&self, a: UserId, b: UserId) -> Result<Option<Chat>, PortError>;

    /// # Errors
    /// [`PortError::NotFound`] when there is no such chat.
    async fn get(&self, chat_id: ChatId) -> Result<Chat, PortError>;

    /// A user's membership, if they are a member.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn member(
        &self,
        chat_id: ChatId,
        user_id: UserId,
    ) -> Result<Option<Participant>, PortError>;

    /// Every member, oldest first.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn members(&self, chat_id: ChatId) -> Result<Vec<Participant>, PortError>;

    /// The chat with its members, in one read.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when there is no such chat.
    async fn roster(&self, chat_id: ChatId) -> Result<Roster, PortError>;

    /// Everyone who shares at least one chat with `user_id`, without them.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn contacts(&self, user_id: UserId) -> Result<Vec<UserId>, PortError>;

    /// A user's chats, newest activity first.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn list_for_user(
        &self,
        user_id: UserId,
        after: Option<ChatCursor>,
        limit: u32,
    ) -> Result<Vec<ChatSummary>, PortError>;

    /// # Errors
    /// [`PortError::NotFound`] when there is no such chat.
    async fn update_details(
        &self,
        chat_id: ChatId,
        details: ChatDetails,
        now: DateTime<Utc>,
    ) -> Result<Chat, PortError>;

    /// Adds users as `Member` in one transaction; those already in are left
    /// as they are. The users are looked up together, and the chat may hold
    /// at most `max_members` afterwards: adds to one chat are serialized, so
    /// concurrent adds cannot pass the cap between them.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when there is no such chat.
    async fn add_members(
        &self,
        chat_id: ChatId,
        users: Vec<UserId>,
        max_members: usize,
        now: DateTime<Utc>,
    ) -> Result<AddMembersOutcome, PortError>;

    /// Removes a member. When the last owner or admin leaves a chat that
    /// still has members, the oldest member becomes admin, in the same
    /// transaction; a member without those rights leaving promotes nobody.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when the user is not a member.
    async fn remove_member(&self, chat_id: ChatId, user_id: UserId) -> Result<Removal, PortError>;

    /// Moves a member's read marker forward to `seq` (never back, never past
    /// the last message). Returns the marker after the move.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when the user is not a member.
    async fn mark_read(&self, chat_id: ChatId, user_id: UserId, seq: i64)
    -> Result<i64, PortError>;
}
