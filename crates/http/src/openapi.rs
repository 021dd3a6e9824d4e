//! The OpenAPI description of every route, served at `/api-docs/openapi.json`
//! and checked in as `docs/openapi.json`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{dto, dto_chat, envelope, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NeruTalk API",
        description = "Chat backend: accounts, chats, calls, media, push and location. \
            Every JSON reply is an envelope `{message, data, language, timestamp}`; failures add \
            `error: {code, details}`. Send `X-Language` (en, id, ja, ko, zh; `jp`/`cn` accepted) \
            to choose the language of `message`.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        routes::root::welcome,
        routes::root::live,
        routes::root::ready,
        routes::root::health,
        routes::auth::register,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::auth::me,
        routes::auth::update_me,
        routes::auth::change_password,
        routes::auth::verify_email,
        routes::auth::resend_verification,
        routes::users::public_profile,
        routes::users::search,
        routes::language::list,
        routes::language::current,
        routes::language::update,
        routes::chats::create,
        routes::chats::list,
        routes::chats::details,
        routes::chats::update,
        routes::chats::add_participants,
        routes::chats::remove_participant,
        routes::chats::send_message,
        routes::chats::history,
        routes::chats::edit_message,
        routes::chats::delete_message,
        routes::chats::mark_read,
        routes::blocks::block,
        routes::blocks::unblock,
        routes::blocks::blocked,
        crate::gateway::upgrade,
    ),
    components(schemas(
        envelope::ErrorEnvelope,
        envelope::ErrorBody,
        dto::RegisterRequest,
        dto::LoginRequest,
        dto::RefreshRequest,
        dto::ChangePasswordRequest,
        dto::VerifyEmailRequest,
        dto::UpdateProfileRequest,
        dto::SetLanguageRequest,
        dto::PrivateProfile,
        dto::PublicProfile,
        dto::UserPageResponse,
        dto::TokenResponse,
        dto::LanguageInfo,
        dto::CurrentLanguage,
        dto::ServiceInfo,
        dto::HealthStatus,
        dto_chat::CreateChatRequest,
        dto_chat::UpdateChatRequest,
        dto_chat::AddParticipantsRequest,
        dto_chat::SendMessageRequest,
        dto_chat::EditMessageRequest,
        dto_chat::MarkReadRequest,
        dto_chat::ChatDto,
        dto_chat::ParticipantDto,
        dto_chat::ChatDetailsResponse,
        dto_chat::MessageDto,
        dto_chat::ChatSummaryDto,
        dto_chat::ChatPageResponse,
        dto_chat::ReadMarker,
        dto_chat::BlockedUsers,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "service", description = "Front door and health"),
        (name = "auth", description = "Accounts, sessions, verification"),
        (name = "users", description = "Profiles and people search"),
        (name = "language", description = "Reply languages"),
        (name = "chats", description = "Direct and group chats and their members"),
        (name = "messages", description = "Messages, history, edits and read receipts"),
        (name = "realtime", description = "The WebSocket gateway (see docs/websocket.md)"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document as pretty JSON with a trailing newline, as checked in.
///
/// # Errors
/// When serialization fails (it does not for this document).
pub fn json() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json().map(|mut text| {
        text.push('\n');
        text
    })
}
