//! The ways a domain rule can be broken.

use strum::{EnumIter, IntoStaticStr};

/// A value that breaks a domain rule. Each variant has a stable code and a
/// Fluent message; the numbers it carries are the limits the client crossed,
/// and a `field` it carries names the request field for rules that apply to
/// many fields (the text rules of [`crate::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error, EnumIter, IntoStaticStr)]
pub enum DomainError {
    #[default]
    #[error("email address is not valid")]
    EmailInvalid,
    #[error("{field} contains control characters")]
    ControlCharacters { field: &'static str },
    #[error("{field} contains bidi controls or invisible characters")]
    InvisibleCharacters { field: &'static str },
    #[error("email address is longer than {max} characters")]
    EmailTooLong { max: usize },
    #[error("username must be {min} to {max} characters long")]
    UsernameLength { min: usize, max: usize },
    #[error("username has characters outside letters, digits, '_', '.' and '-'")]
    UsernameCharset,
    #[error("password is shorter than {min} characters")]
    PasswordTooShort { min: usize },
    #[error("password is longer than {max} characters")]
    PasswordTooLong { max: usize },
    #[error("password needs a lowercase letter, an uppercase letter and a digit")]
    PasswordTooWeak,
    #[error("password and its confirmation differ")]
    PasswordMismatch,
    #[error("full name is longer than {max} characters")]
    FullNameTooLong { max: usize },
    #[error("bio is longer than {max} characters")]
    BioTooLong { max: usize },
    #[error("phone number is not valid")]
    PhoneInvalid,
    #[error("avatar URL is not a valid http(s) URL")]
    AvatarUrlInvalid,
    #[error("language is not supported")]
    LanguageUnsupported,
    #[error("chat name must be {min} to {max} characters long")]
    ChatNameLength { min: usize, max: usize },
    #[error("chat description is longer than {max} characters")]
    ChatDescriptionTooLong { max: usize },
    #[error("a direct chat needs exactly one other member")]
    DirectChatMembers,
    #[error("a group may have at most {max} members")]
    /// `field` is the request's list of members: `member_ids` when creating
    /// a group, `user_ids` when adding to one.
    GroupTooLarge { max: usize, field: &'static str },
    #[error("message is empty")]
    MessageEmpty,
    #[error("message is longer than {max} characters")]
    MessageTooLong { max: usize },
    #[error("this kind of message needs a media URL")]
    MessageMediaMissing,
    #[error("clients cannot send system messages")]
    MessageKindNotAllowed,
    #[error("client message id must be 1 to {max} characters")]
    ClientMessageIdInvalid { max: usize },
    #[error("search query is longer than {max} characters")]
    SearchQueryTooLong { max: usize },
}

impl DomainError {
    /// Stable machine-readable code, e.g. `validation.password_too_short`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmailInvalid => "validation.email_invalid",
            Self::ControlCharacters { .. } => "validation.control_characters",
            Self::InvisibleCharacters { .. } => "validation.invisible_characters",
            Self::EmailTooLong { .. } => "validation.email_too_long",
            Self::UsernameLength { .. } => "validation.username_length",
            Self::UsernameCharset => "validation.username_charset",
            Self::PasswordTooShort { .. } => "validation.password_too_short",
            Self::PasswordTooLong { .. } => "validation.password_too_long",
            Self::PasswordTooWeak => "validation.password_too_weak",
            Self::PasswordMismatch => "validation.password_mismatch",
            Self::FullNameTooLong { .. } => "validation.full_name_too_long",
            Self::BioTooLong { .. } => "validation.bio_too_long",
            Self::PhoneInvalid => "validation.phone_invalid",
            Self::AvatarUrlInvalid => "validation.avatar_url_invalid",
            Self::LanguageUnsupported => "validation.language_unsupported",
            Self::ChatNameLength { .. } => "validation.chat_name_length",
            Self::ChatDescriptionTooLong { .. } => "validation.chat_description_too_long",
            Self::DirectChatMembers => "validation.direct_chat_members",
            Self::GroupTooLarge { .. } => "validation.group_too_large",
            Self::MessageEmpty => "validation.message_empty",
            Self::MessageTooLong { .. } => "validation.message_too_long",
            Self::MessageMediaMissing => "validation.message_media_missing",
            Self::MessageKindNotAllowed => "validation.message_kind_not_allowed",
            Self::ClientMessageIdInvalid { .. } => "validation.client_message_id_invalid",
            Self::SearchQueryTooLong { .. } => "validation.search_query_too_long",
        }
    }

    /// The request field the broken rule is about.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match *self {
            Self::ControlCharacters { field }
            | Self::InvisibleCharacters { field }
            | Self::GroupTooLarge { field, .. } => field,
            Self::EmailInvalid | Self::EmailTooLong { .. } => "email",
            Self::UsernameLength { .. } | Self::UsernameCharset => "username",
            Self::PasswordTooShort { .. }
            | Self::PasswordTooLong { .. }
            | Self::PasswordTooWeak => "password",
            Self::PasswordMismatch => "confirm_password",
            Self::FullNameTooLong { .. } => "full_name",
            Self::BioTooLong { .. } => "bio",
            Self::PhoneInvalid => "phone_number",
            Self::AvatarUrlInvalid => "avatar_url",
            Self::LanguageUnsupported => "language",
            Self::ChatNameLength { .. } => "name",
            Self::ChatDescriptionTooLong { .. } => "description",
            Self::DirectChatMembers => "member_ids",
            Self::MessageEmpty | Self::MessageTooLong { .. } => "text",
            Self::MessageMediaMissing => "media_url",
            Self::MessageKindNotAllowed => "kind",
            Self::ClientMessageIdInvalid { .. } => "client_message_id",
            Self::SearchQueryTooLong { .. } => "query",
        }
    }

    /// Named numbers for the localized message (`{ $min }`, `{ $max }`).
    #[must_use]
    pub fn args(&self) -> Vec<(&'static str, i64)> {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        match *self {
            Self::UsernameLength { min, max } | Self::ChatNameLength { min, max } => {
                vec![("min", n(min)), ("max", n(max))]
            }
            Self::PasswordTooShort { min } => vec![("min", n(min))],
            Self::EmailTooLong { max }
            | Self::PasswordTooLong { max }
            | Self::FullNameTooLong { max }
            | Self::BioTooLong { max }
            | Self::ChatDescriptionTooLong { max }
            | Self::GroupTooLarge { max, .. }
            | Self::MessageTooLong { max }
            | Self::ClientMessageIdInvalid { max }
            | Self::SearchQueryTooLong { max } => vec![("max", n(max))],
            _ => Vec::new(),
        }
    }
}
