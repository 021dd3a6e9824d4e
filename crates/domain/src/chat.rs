//! Chats, their members and their messages, and the rules about them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ChatId, DomainError, MessageId, UserId};

/// One-to-one or many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    Direct,
    Group,
}

/// What a member may do. Owners and admins manage a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    #[must_use]
    pub const fn can_manage(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }
}

/// What a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    Image,
    Video,
    File,
    Sticker,
    Gif,
    /// Written by the server (member joined, chat renamed); never by a client.
    System,
}

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $name {
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }

            /// The value named by `text`, if there is one.
            #[must_use]
            pub fn from_name(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

text_enum!(ChatKind { Direct => "direct", Group => "group" });
text_enum!(Role { Owner => "owner", Admin => "admin", Member => "member" });
text_enum!(MessageKind {
    Text => "text", Image => "image", Video => "video", File => "file",
    Sticker => "sticker", Gif => "gif", System => "system",
});

/// A group's name and description, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChatDetails {
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
}

impl ChatDetails {
    pub const NAME_MAX: usize = 100;
    pub const DESCRIPTION_MAX: usize = 500;
    pub const GROUP_MAX_MEMBERS: usize = 256;

    /// # Errors
    /// [`DomainError::ChatNameLength`].
    pub fn parse_name(raw: &str) -> Result<String, DomainError> {
        let name = raw.trim();
        let len = name.chars().count();
        if (1..=Self::NAME_MAX).contains(&len) {
            Ok(name.to_owned())
        } else {
            Err(DomainError::ChatNameLength {
                min: 1,
                max: Self::NAME_MAX,
            })
        }
    }

    /// # Errors
    /// [`DomainError::ChatDescriptionTooLong`].
    pub fn parse_description(raw: &str) -> Result<Option<String>, DomainError> {
        let text = raw.trim();
        if text.chars().count() > Self::DESCRIPTION_MAX {
            Err(DomainError::ChatDescriptionTooLong {
                max: Self::DESCRIPTION_MAX,
            })
        } else {
            Ok((!text.is_empty()).then(|| text.to_owned()))
        }
    }
}

/// A chat as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    pub id: ChatId,
    pub kind: ChatKind,
    pub details: ChatDetails,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    /// When the last message was sent (or the chat created): the sort key of chat lists.
    pub last_activity_at: DateTime<Utc>,
    /// The `seq` of the newest message; 0 before the first.
    pub last_seq: i64,
}

/// A member of a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub user_id: UserId,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
    /// The highest `seq` this member has read.
    pub last_read_seq: i64,
}

/// What a client asked to send, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent {
    pub kind: MessageKind,
    pub text: Option<String>,
    pub media_url: Option<String>,
}

impl MessageContent {
    pub const TEXT_MAX: usize = 4_000;

    /// Checks a client's message: text needs text; media kinds need a media
    /// URL and may carry a caption; clients never send system messages.
    ///
    /// # Errors
    /// [`DomainError::MessageEmpty`], [`DomainError::MessageTooLong`],
    /// [`DomainError::MessageMediaMissing`] or [`DomainError::MessageKindNotAllowed`].
    pub fn parse(
        kind: MessageKind,
        text: Option<&str>,
        media_url: Option<&str>,
    ) -> Result<Self, DomainError> {
        let text = Self::parse_text(text)?;
        let media_url = match media_url.map(str::trim).filter(|url| !url.is_empty()) {
            Some(url) => crate::user::Profile::parse_avatar_url(url)
                .map_err(|_| DomainError::MessageMediaMissing)?,
            None => None,
        };
        match kind {
            MessageKind::System => Err(DomainError::MessageKindNotAllowed),
            MessageKind::Text if text.is_none() => Err(DomainError::MessageEmpty),
            MessageKind::Text => Ok(Self {
                kind,
                text,
                media_url: None,
            }),
            _ if media_url.is_none() => Err(DomainError::MessageMediaMissing),
            _ => Ok(Self {
                kind,
                text,
                media_url,
            }),
        }
    }

    /// Checks the text of a message or an edit.
    ///
    /// # Errors
    /// [`DomainError::MessageTooLong`].
    pub fn parse_text(text: Option<&str>) -> Result<Option<String>, DomainError> {
        let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
            return Ok(None);
        };
        if text.chars().count() > Self::TEXT_MAX {
            return Err(DomainError::MessageTooLong {
                max: Self::TEXT_MAX,
            });
        }
        Ok(Some(text.to_owned()))
    }
}

/// A client's idempotency key for a send: a retry with the same key returns
/// the first message instead of sending it twice.
///
/// # Errors
/// [`DomainError::ClientMessageIdInvalid`] when empty or longer than 64.
pub fn parse_client_message_id(raw: &str) -> Result<String, DomainError> {
    const MAX: usize = 64;
    let id = raw.trim();
    if (1..=MAX).contains(&id.chars().count()) {
        Ok(id.to_owned())
    } else {
        Err(DomainError::ClientMessageIdInvalid { max: MAX })
    }
}

/// A message as stored. A deleted message keeps its place in the history
/// (`seq` stays gap-free) with its content removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub chat_id: ChatId,
    /// Position in the chat: 1, 2, 3, … with no gaps.
    pub seq: i64,
    pub sender_id: UserId,
    pub kind: MessageKind,
    pub text: Option<String>,
    pub media_url: Option<String>,
    pub reply_to: Option<MessageId>,
    pub client_message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Message {
    #[must_use]
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn message_rules() {
        let text = MessageContent::parse(MessageKind::Text, Some(" hi "), None).unwrap();
        assert_eq!(text.text.as_deref(), Some("hi"));
        assert_eq!(
            MessageContent::parse(MessageKind::Text, Some("   "), None),
            Err(DomainError::MessageEmpty)
        );
        assert_eq!(
            MessageContent::parse(MessageKind::Image, Some("caption"), None),
            Err(DomainError::MessageMediaMissing)
        );
        assert!(
            MessageContent::parse(MessageKind::Gif, None, Some("https://media.example/x.gif"))
                .is_ok()
        );
        assert_eq!(
            MessageContent::parse(MessageKind::System, Some("x"), None),
            Err(DomainError::MessageKindNotAllowed)
        );
        assert_eq!(
            MessageContent::parse(MessageKind::Text, Some(&"x".repeat(4_001)), None),
            Err(DomainError::MessageTooLong { max: 4_000 })
        );
        assert!(parse_client_message_id("").is_err());
        assert!(parse_client_message_id(&"k".repeat(65)).is_err());
    }

    #[test]
    fn names_of_kinds_and_roles_round_trip() {
        for role in [Role::Owner, Role::Admin, Role::Member] {
            assert_eq!(Role::from_name(role.as_str()), Some(role));
        }
        assert!(Role::Admin.can_manage() && !Role::Member.can_manage());
        assert_eq!(
            MessageKind::from_name("sticker"),
            Some(MessageKind::Sticker)
        );
        assert_eq!(ChatKind::from_name("channel"), None);
    }

    proptest! {
        #[test]
        fn accepted_texts_are_trimmed_and_bounded(raw in "\\PC{0,4100}") {
            if let Ok(Some(text)) = MessageContent::parse_text(Some(&raw)) {
                prop_assert!(!text.is_empty() && text.chars().count() <= 4_000);
                prop_assert_eq!(text.trim(), text.as_str());
            }
        }

        #[test]
        fn chat_names_are_one_to_a_hundred_characters(raw in "\\PC{0,120}") {
            if let Ok(name) = ChatDetails::parse_name(&raw) {
                prop_assert!((1..=100).contains(&name.chars().count()));
            }
        }
    }
}
