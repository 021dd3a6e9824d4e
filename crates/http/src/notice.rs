//! The Fluent ids of successful replies.

use strum::EnumIter;

/// What a successful reply says in its `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter)]
pub enum Notice {
    Welcome,
    HealthLive,
    HealthReady,
    Registered,
    LoggedIn,
    TokenRefreshed,
    LoggedOut,
    Profile,
    ProfileUpdated,
    PasswordChanged,
    EmailVerified,
    VerificationSent,
    UserProfile,
    UsersFound,
    Languages,
    LanguageCurrent,
    LanguageUpdated,
    ChatCreated,
    ChatExisting,
    Chats,
    Chat,
    ChatUpdated,
    ParticipantsAdded,
    ParticipantRemoved,
    MessageSent,
    MessageDuplicate,
    Messages,
    MessageUpdated,
    MessageDeleted,
    MessagesRead,
    UserBlocked,
    UserUnblocked,
    BlockedUsers,
}

impl Notice {
    #[must_use]
    pub const fn message_id(self) -> &'static str {
        match self {
            Self::Welcome => "notice-welcome",
            Self::HealthLive => "notice-health-live",
            Self::HealthReady => "notice-health-ready",
            Self::Registered => "notice-registered",
            Self::LoggedIn => "notice-logged-in",
            Self::TokenRefreshed => "notice-token-refreshed",
            Self::LoggedOut => "notice-logged-out",
            Self::Profile => "notice-profile",
            Self::ProfileUpdated => "notice-profile-updated",
            Self::PasswordChanged => "notice-password-changed",
            Self::EmailVerified => "notice-email-verified",
            Self::VerificationSent => "notice-verification-sent",
            Self::UserProfile => "notice-user-profile",
            Self::UsersFound => "notice-users-found",
            Self::Languages => "notice-languages",
            Self::LanguageCurrent => "notice-language-current",
            Self::LanguageUpdated => "notice-language-updated",
            Self::ChatCreated => "notice-chat-created",
            Self::ChatExisting => "notice-chat-existing",
            Self::Chats => "notice-chats",
            Self::Chat => "notice-chat",
            Self::ChatUpdated => "notice-chat-updated",
            Self::ParticipantsAdded => "notice-participants-added",
            Self::ParticipantRemoved => "notice-participant-removed",
            Self::MessageSent => "notice-message-sent",
            Self::MessageDuplicate => "notice-message-duplicate",
            Self::Messages => "notice-messages",
            Self::MessageUpdated => "notice-message-updated",
            Self::MessageDeleted => "notice-message-deleted",
            Self::MessagesRead => "notice-messages-read",
            Self::UserBlocked => "notice-user-blocked",
            Self::UserUnblocked => "notice-user-unblocked",
            Self::BlockedUsers => "notice-blocked-users",
        }
    }
}
