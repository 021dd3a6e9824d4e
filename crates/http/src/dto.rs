//! Request and response bodies: the wire format, separate from domain types,
//! shared by REST and the WebSocket. Accounts and the service here; each
//! capability's shapes in its own module.

pub(crate) mod chat;
pub(crate) mod chat_frames;
pub(crate) mod session;

use nerutalk_app::{IssuedTokens, UserPage};
use nerutalk_domain::{Language, user::User};
use nerutalk_i18n::LanguageSource;
use serde::{Deserialize, Serialize};
use strum::IntoEnumIterator;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::envelope::timestamp;
use crate::openapi::field;

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct RegisterRequest {
    #[schema(schema_with = field::email)]
    pub email: String,
    #[schema(schema_with = field::username)]
    pub username: String,
    #[schema(schema_with = field::new_password)]
    pub password: String,
    /// The same as `password`.
    #[schema(schema_with = field::new_password)]
    pub confirm_password: String,
    #[schema(schema_with = field::full_name)]
    pub full_name: Option<String>,
    #[schema(schema_with = field::bio)]
    pub bio: Option<String>,
    #[schema(schema_with = field::phone_number)]
    pub phone_number: Option<String>,
}

/// Sign in with `login` (e-mail or username); `email` and `username` are
/// accepted instead for clients of the original service.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct LoginRequest {
    #[schema(schema_with = field::login_identifier)]
    pub login: Option<String>,
    #[schema(schema_with = field::login_identifier)]
    pub email: Option<String>,
    #[schema(schema_with = field::login_identifier)]
    pub username: Option<String>,
    #[schema(schema_with = field::password)]
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
    #[schema(schema_with = field::token)]
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ChangePasswordRequest {
    #[schema(schema_with = field::password)]
    pub current_password: String,
    #[schema(schema_with = field::new_password)]
    pub new_password: String,
    /// The same as `new_password`.
    #[schema(schema_with = field::new_password)]
    pub confirm_password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct VerifyEmailRequest {
    /// The code from the verification e-mail.
    #[schema(schema_with = field::token)]
    pub token: String,
}

/// Fields left out stay as they are; an empty string clears a field.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UpdateProfileRequest {
    #[schema(schema_with = field::full_name)]
    pub full_name: Option<String>,
    #[schema(schema_with = field::bio)]
    pub bio: Option<String>,
    #[schema(schema_with = field::phone_number)]
    pub phone_number: Option<String>,
    #[schema(schema_with = field::avatar_url)]
    pub avatar_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SetLanguageRequest {
    #[schema(schema_with = field::language_tag)]
    pub language: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct UserSearchQuery {
    #[serde(default)]
    #[param(schema_with = field::search_query)]
    pub query: String,
    #[param(schema_with = field::user_page_limit)]
    pub limit: Option<u32>,
    #[param(schema_with = field::cursor)]
    pub cursor: Option<String>,
}

/// The signed-in user's own profile.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PrivateProfile {
    pub id: Uuid,
    #[schema(format = Email)]
    pub email: String,
    pub username: String,
    pub full_name: Option<String>,
    pub avatar_url: Option<String>,
    pub bio: Option<String>,
    pub phone_number: Option<String>,
    /// Saved reply language, if any.
    #[schema(schema_with = saved_language)]
    pub language: Option<String>,
    pub is_active: bool,
    pub is_verified: bool,
    #[schema(format = DateTime)]
    pub last_seen: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

fn saved_language() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            Language::iter()
                .map(|language| Some(language.code()))
                .chain([None]),
        ))
        .description(Some("Saved reply language; `null` when none was saved."))
        .build()
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
    #[schema(format = DateTime)]
    pub last_seen: Option<String>,
    #[schema(format = DateTime)]
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
    #[schema(schema_with = bearer)]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(minimum = 0)]
    pub expires_in: i64,
    #[schema(format = DateTime)]
    pub access_expires_at: String,
    #[schema(format = DateTime)]
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

fn bearer() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(["bearer"]))
        .build()
}

/// A supported language.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LanguageInfo {
    #[schema(schema_with = crate::envelope::language_code)]
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
    /// What chose the language.
    #[schema(schema_with = language_source)]
    pub source: String,
}

fn language_source() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(
            [
                LanguageSource::Header,
                LanguageSource::Query,
                LanguageSource::UserPreference,
                LanguageSource::AcceptLanguage,
                LanguageSource::Default,
            ]
            .map(source_name),
        ))
        .description(Some("What chose the language."))
        .build()
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
    #[schema(schema_with = ok)]
    pub status: String,
}

fn ok() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(["ok"]))
        .build()
}
