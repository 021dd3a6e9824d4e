//! What happens in chats, as told to the members' live connections.

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

/// An event for the users it is published to.
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
    Presence {
        user_id: UserId,
        online: bool,
        last_seen: Option<DateTime<Utc>>,
    },
    /// Some of the recipient's sign-ins ended (logout, password change, a
    /// reused refresh token, a disabled account): every node closes the live
    /// connections opened with them. For servers only; no client is sent it.
    SessionsRevoked(RevokedSessions),
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
    /// The chat the event is about, if any.
    #[must_use]
    pub fn chat_id(&self) -> Option<ChatId> {
        match self {
            Self::NewMessage(message) | Self::MessageUpdated(message) => Some(message.chat_id),
            Self::ChatUpdated(chat) => Some(chat.id),
            Self::MessageDeleted { chat_id, .. }
            | Self::MessageRead { chat_id, .. }
            | Self::Typing { chat_id, .. }
            | Self::ParticipantAdded { chat_id, .. }
            | Self::ParticipantRemoved { chat_id, .. } => Some(*chat_id),
            Self::Presence { .. } | Self::SessionsRevoked(_) => None,
        }
    }
}
