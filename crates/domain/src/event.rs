//! What happens, as told to the live connections of the users concerned.
//!
//! [`LiveEvent`] is what the event bus carries: one variant per capability
//! (chat, presence, sign-in; calls and location add theirs), each with its
//! own events. The bus adapters encode it in an envelope of their own; the
//! gateway turns it into the frames it sends. Its serde form is the bus's
//! encoding between nodes, never a client's wire format.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::chat::{Chat, Message, Role};
use crate::{ChatId, MessageId, SessionId, UserId};

/// A member as [`ChatEvent::ParticipantAdded`] tells of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantRole {
    pub user_id: UserId,
    pub role: Role,
}

/// An event for the users it is published to, by capability.
///
/// New variants may only be added: a node that does not know one yet (the
/// old node of a rolling update) skips that event and keeps the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum LiveEvent {
    Chat(ChatEvent),
    Presence(PresenceChange),
    /// Some of the recipient's sign-ins ended (logout, password change, a
    /// reused refresh token, a disabled account): every node closes the live
    /// connections opened with them. For servers only; no client is sent it.
    SessionsRevoked(RevokedSessions),
}

impl From<ChatEvent> for LiveEvent {
    fn from(event: ChatEvent) -> Self {
        Self::Chat(event)
    }
}

impl From<PresenceChange> for LiveEvent {
    fn from(change: PresenceChange) -> Self {
        Self::Presence(change)
    }
}

impl From<RevokedSessions> for LiveEvent {
    fn from(revoked: RevokedSessions) -> Self {
        Self::SessionsRevoked(revoked)
    }
}

/// A user came online or went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceChange {
    pub user_id: UserId,
    pub online: bool,
    pub last_seen: Option<DateTime<Utc>>,
}

/// What happens in chats, as told to their members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ChatEvent {
    NewMessage(Message),
    MessageUpdated(Message),
    MessageDeleted {
        chat_id: ChatId,
        message_id: MessageId,
        seq: i64,
    },
    MessageRead {
        chat_id: ChatId,
        user_id: UserId,
        seq: i64,
    },
    Typing {
        chat_id: ChatId,
        user_id: UserId,
        is_typing: bool,
    },
    ChatUpdated(Chat),
    /// Members who joined a chat together, in one event however many they
    /// are; also a member promoted because the last manager left.
    ParticipantAdded {
        chat_id: ChatId,
        participants: Vec<ParticipantRole>,
    },
    ParticipantRemoved {
        chat_id: ChatId,
        user_id: UserId,
    },
}

/// Something that nodes may keep a copy of has changed, so every node
/// drops its copy. Unlike a [`LiveEvent`], which goes to the nodes where its
/// recipients are connected, an invalidation goes to every node: any node
/// may have served the user or the chat a moment ago.
///
/// New variants may only be added, as for [`LiveEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Invalidation {
    /// The user's account: profile, password, whether it is active.
    User(UserId),
    /// Some of the user's sign-ins ended.
    Sessions {
        user_id: UserId,
        revoked: RevokedSessions,
    },
    /// The chat's members, their roles, or the chat itself.
    Chat(ChatId),
}

/// Which of one user's sessions were revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokedSessions {
    /// This one session.
    One(SessionId),
    /// Every session but the one kept (none kept: all of them).
    AllExcept(Option<SessionId>),
}

impl RevokedSessions {
    /// Whether `session` is among the revoked.
    #[must_use]
    pub fn includes(self, session: SessionId) -> bool {
        match self {
            Self::One(revoked) => revoked == session,
            Self::AllExcept(kept) => kept != Some(session),
        }
    }
}

impl ChatEvent {
    /// The chat the event is about.
    #[must_use]
    pub fn chat_id(&self) -> ChatId {
        match self {
            Self::NewMessage(message) | Self::MessageUpdated(message) => message.chat_id,
            Self::ChatUpdated(chat) => chat.id,
            Self::MessageDeleted { chat_id, .. }
            | Self::MessageRead { chat_id, .. }
            | Self::Typing { chat_id, .. }
            | Self::ParticipantAdded { chat_id, .. }
            | Self::ParticipantRemoved { chat_id, .. } => *chat_id,
        }
    }
}
