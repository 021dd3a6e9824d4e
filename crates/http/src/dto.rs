//! Request and response bodies: the wire format, separate from domain types.

use nerutalk_app::{IssuedTokens, UserPage};
use nerutalk_domain::{Language, user::User};
use nerutalk_i18n::LanguageSource;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::envelope::timestamp;

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct RegisterRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// 3 to 50 letters, digits, `_`, `.` or `-`, starting with a letter or digit.
    #[schema(example = "ada")]
    pub username: String,
    /// 8 or more characters with a lowercase letter, an uppercase letter and a digit.
    #[schema(example = "Secret123")]
    pub password: String,
    #[schema(example = "Secret123")]
    pub confirm_password: String,
    pub full_name: Option<String>,
    pub bio: Option<String>,
    /// E.164-style, such as `+14155550123`.
    pub phone_number: Option<String>,
}

/// Sign in with `login` (e-mail or username); `email` and `username` are
/// accepted instead for clients of the original service.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct LoginRequest {
    #[schema(example = "ada@example.com")]
    pub login: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    #[schema(example = "Secret123")]
    pub password: String,
}

impl LoginRequest {
    pub(crate) fn identifier(&self) -> String {
        [&self.login, &self.email, &self.username]
            .into_iter()
            .flatten()
            .find(|value| !value.trim().is_empty())
            .cloned()
            .unwrap_or_default()
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
    pub confirm_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct VerifyEmailRequest {
    /// The code from the verification e-mail.
    pub token: String,
}

/// Fields left out stay as they are; an empty string clears a field.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UpdateProfileRequest {
    pub full_name: Option<String>,
    pub bio: Option<String>,
    pub phone_number: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SetLanguageRequest {
    /// A BCP 47 tag (`ja`, `zh-CN`) or a legacy alias (`jp`, `cn`).
    #[schema(example = "ja")]
    pub language: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct UserSearchQuery {
    /// Part of a username or full name; empty lists everyone.
    #[serde(default)]
    pub query: String,
    /// Page size, 1 to 50 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The signed-in user's own profile.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PrivateProfile {
    pub id: Uuid,
    pub email: String,
    pub username: String,
    pub full_name: Option<String>,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
    pub phone_number: Option<String>,
    /// Saved reply language, if any.
    pub language: Option<String>,
    pub is_active: bool,
    pub is_verified: bool,
    pub last_seen: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<User> for PrivateProfile {
    fn from(user: User) -> Self {
        Self {
            id: *user.id.as_uuid(),
            email: user.email.as_str().to_owned(),
            username: user.username.as_str().to_owned(),
            full_name: user.profile.full_name,
            avatar_url: user.profile.avatar_url,
            bio: user.profile.bio,
            phone_number: user.profile.phone_number,
            language: user.language.map(|language| language.code().to_owned()),
            is_active: user.is_active,
            is_verified: user.is_verified,
            last_seen: user.last_seen_at.map(timestamp),
            created_at: timestamp(user.created_at),
            updated_at: timestamp(user.updated_at),
        }
    }
}

/// What anyone signed in may see of another user: no e-mail, no phone.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PublicProfile {
    pub id: Uuid,
    pub username: String,
    pub full_name: Option<String>,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
    pub last_seen: Option<String>,
    pub created_at: String,
}

impl From<User> for PublicProfile {
    fn from(user: User) -> Self {
        Self {
            id: *user.id.as_uuid(),
            username: user.username.as_str().to_owned(),
            full_name: user.profile.full_name,
            avatar_url: user.profile.avatar_url,
            bio: user.profile.bio,
            last_seen: user.last_seen_at.map(timestamp),
            created_at: timestamp(user.created_at),
        }
    }
}

/// A page of people.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserPageResponse {
    pub items: Vec<PublicProfile>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<UserPage> for UserPageResponse {
    fn from(page: UserPage) -> Self {
        Self {
            items: page.users.into_iter().map(PublicProfile::from).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// Credentials for a session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single-use: trade it at `/api/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
    #[schema(example = "bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub access_expires_at: String,
    pub refresh_expires_at: String,
    pub user: PrivateProfile,
}

impl From<IssuedTokens> for TokenResponse {
    fn from(tokens: IssuedTokens) -> Self {
        let expires_in = (tokens.access_expires_at - chrono::Utc::now())
            .num_seconds()
            .max(0);
        Self {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            token_type: "bearer".to_owned(),
            expires_in,
            access_expires_at: timestamp(tokens.access_expires_at),
            refresh_expires_at: timestamp(tokens.refresh_expires_at),
            user: tokens.user.into(),
        }
    }
}

/// A supported language.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LanguageInfo {
    #[schema(example = "ja")]
    pub code: String,
    #[schema(example = "Japanese")]
    pub name: String,
    #[schema(example = "日本語")]
    pub native_name: String,
}

impl From<Language> for LanguageInfo {
    fn from(language: Language) -> Self {
        Self {
            code: language.code().to_owned(),
            name: language.english_name().to_owned(),
            native_name: language.native_name().to_owned(),
        }
    }
}

/// The language of this reply and what chose it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CurrentLanguage {
    #[serde(flatten)]
    pub language: LanguageInfo,
    /// `header`, `query`, `user_preference`, `accept_language` or `default`.
    pub source: String,
}

pub(crate) fn source_name(source: LanguageSource) -> &'static str {
    match source {
        LanguageSource::Header => "header",
        LanguageSource::Query => "query",
        LanguageSource::UserPreference => "user_preference",
        LanguageSource::AcceptLanguage => "accept_language",
        LanguageSource::Default => "default",
    }
}

/// The service's front door.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ServiceInfo {
    pub name: String,
    pub version: String,
    pub docs: String,
    pub openapi: String,
}

/// Health of this node.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HealthStatus {
    #[schema(example = "ok")]
    pub status: String,
}
