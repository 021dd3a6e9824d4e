//! Chats, their members and their messages, and the rules about them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::text::{self as rules, Lines};
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

    /// A name as [`crate::text::name`] reads it.
    ///
    /// # Errors
    /// [`DomainError::ControlCharacters`], [`DomainError::InvisibleCharacters`]
    /// or [`DomainError::ChatNameLength`] (also for a name with nothing visible).
    pub fn parse_name(raw: &str) -> Result<String, DomainError> {
        let name = rules::name("name", raw)?.unwrap_or_default();
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

    /// Multi-line text: tab and line breaks are kept.
    ///
    /// # Errors
    /// [`DomainError::ControlCharacters`] or [`DomainError::ChatDescriptionTooLong`].
    pub fn parse_description(raw: &str) -> Result<Option<String>, DomainError> {
        rules::refuse_controls("description", raw, Lines::Multi)?;
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
    /// [`DomainError::ControlCharacters`], [`DomainError::MessageEmpty`],
    /// [`DomainError::MessageTooLong`], [`DomainError::MessageMediaMissing`]
    /// or [`DomainError::MessageKindNotAllowed`].
    pub fn parse(
        kind: MessageKind,
        text: Option<&str>,
        media_url: Option<&str>,
    ) -> Result<Self, DomainError> {
        let text = Self::parse_text(text)?;
        let media_url = media_url
            .map(|url| rules::single_line("media_url", url))
            .transpose()?;
        let media_url = match media_url.filter(|url| !url.is_empty()) {
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

    /// Checks the text of a message or an edit: multi-line, trimmed, and
    /// "none" when it shows nothing (whitespace and invisible characters
    /// alone). Otherwise it is kept as the user wrote it.
    ///
    /// # Errors
    /// [`DomainError::ControlCharacters`] or [`DomainError::MessageTooLong`].
    pub fn parse_text(text: Option<&str>) -> Result<Option<String>, DomainError> {
        if let Some(raw) = text {
            rules::refuse_controls("text", raw, Lines::Multi)?;
        }
        let Some(text) = text.map(str::trim).filter(|text| !rules::is_blank(text)) else {
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
/// [`DomainError::ControlCharacters`], or [`DomainError::ClientMessageIdInvalid`]
/// when empty or longer than [`CLIENT_MESSAGE_ID_MAX`].
pub fn parse_client_message_id(raw: &str) -> Result<String, DomainError> {
    let id = rules::single_line("client_message_id", raw)?;
    if (1..=CLIENT_MESSAGE_ID_MAX).contains(&id.chars().count()) {
        Ok(id.to_owned())
    } else {
        Err(DomainError::ClientMessageIdInvalid {
            max: CLIENT_MESSAGE_ID_MAX,
        })
    }
}

/// The longest `client_message_id`, in characters.
pub const CLIENT_MESSAGE_ID_MAX: usize = 64;

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
        assert_eq!(
            parse_client_message_id("key\0"),
            Err(DomainError::ControlCharacters {
                field: "client_message_id"
            })
        );
    }

    #[test]
    fn text_rules_for_chats_and_messages() {
        assert_eq!(
            MessageContent::parse_text(Some(" two\nlines\tand a tab\r\n ")),
            Ok(Some("two\nlines\tand a tab".into())),
            "multi-line text keeps its breaks and tabs"
        );
        assert_eq!(
            MessageContent::parse(MessageKind::Text, Some("a\0b"), None),
            Err(DomainError::ControlCharacters { field: "text" })
        );
        assert_eq!(
            MessageContent::parse(MessageKind::Text, Some("\u{200b}\u{3164}\u{fe0f} "), None),
            Err(DomainError::MessageEmpty)
        );
        assert_eq!(
            MessageContent::parse(MessageKind::Gif, None, Some("https://x.example/\0")),
            Err(DomainError::ControlCharacters { field: "media_url" })
        );
        assert_eq!(
            ChatDetails::parse_name("Team\u{202e}"),
            Err(DomainError::InvisibleCharacters { field: "name" })
        );
        assert_eq!(
            ChatDetails::parse_name("Team\nB"),
            Err(DomainError::ControlCharacters { field: "name" })
        );
        assert_eq!(
            ChatDetails::parse_name(" \u{200c}\u{200d} "),
            Err(DomainError::ChatNameLength { min: 1, max: 100 })
        );
        assert_eq!(
            ChatDetails::parse_description("line one\nline two"),
            Ok(Some("line one\nline two".into()))
        );
        assert_eq!(
            ChatDetails::parse_description("\u{7}"),
            Err(DomainError::ControlCharacters {
                field: "description"
            })
        );
    }

    #[test]
    fn a_group_name_that_shows_nothing_is_too_short() {
        for blank in ["\u{3164}", "\u{2800}\u{2800}", " \u{115F} ", "\u{FE0F}"] {
            assert_eq!(
                ChatDetails::parse_name(blank),
                Err(DomainError::ChatNameLength { min: 1, max: 100 }),
                "{blank:?}"
            );
        }
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

    /// Characters that draw nothing, whitespace among them.
    fn invisible() -> impl Strategy<Value = char> {
        proptest::sample::select(vec![
            ' ', '\t', '\n', '\r', '\u{3000}', '\u{2028}', '\u{061C}', '\u{200B}', '\u{200C}',
            '\u{200D}', '\u{200E}', '\u{202E}', '\u{2060}', '\u{2066}', '\u{FEFF}', '\u{00AD}',
            '\u{2800}', '\u{3164}', '\u{115F}', '\u{1160}', '\u{FE00}', '\u{FE0F}', '\u{180E}',
        ])
    }

    proptest! {
        #[test]
        fn visible_texts_are_kept_as_written_but_trimmed(
            core in "[a-zA-Z0-9]|[a-zA-Z0-9]\\PC{0,300}[a-zA-Z0-9]",
            before in "[ \t\n]{0,3}",
            after in "[ \t\r\n]{0,3}",
        ) {
            let raw = format!("{before}{core}{after}");
            prop_assert_eq!(MessageContent::parse_text(Some(&raw)), Ok(Some(core)));
        }

        #[test]
        fn texts_over_the_limit_are_too_long(extra in 1_usize..100) {
            let raw = "x".repeat(MessageContent::TEXT_MAX + extra);
            prop_assert_eq!(
                MessageContent::parse_text(Some(&raw)),
                Err(DomainError::MessageTooLong { max: MessageContent::TEXT_MAX })
            );
        }

        #[test]
        fn invisible_only_messages_are_empty(
            text in proptest::collection::vec(invisible(), 0..40)
                .prop_map(|chars| chars.into_iter().collect::<String>()),
        ) {
            prop_assert_eq!(MessageContent::parse_text(Some(&text)), Ok(None));
            prop_assert_eq!(
                MessageContent::parse(MessageKind::Text, Some(&text), None),
                Err(DomainError::MessageEmpty)
            );
        }

        #[test]
        fn chat_names_of_up_to_a_hundred_characters_are_kept_trimmed(
            raw in "[a-zA-Z0-9][^\\p{C}\\p{Zl}\\p{Zp}]{0,98}[ ]{0,3}",
        ) {
            prop_assert_eq!(ChatDetails::parse_name(&raw), Ok(raw.trim().to_owned()));
        }

        #[test]
        fn chat_names_over_a_hundred_characters_are_refused(raw in "[a-z]{101,150}") {
            prop_assert_eq!(
                ChatDetails::parse_name(&raw),
                Err(DomainError::ChatNameLength { min: 1, max: 100 })
            );
        }
    }
}
