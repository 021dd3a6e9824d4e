//! The OpenAPI description of every route, served at `/api-docs/openapi.json`
//! and checked in as `docs/openapi.json`.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{dto, envelope, routes};

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
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "service", description = "Front door and health"),
        (name = "auth", description = "Accounts, sessions, verification"),
        (name = "users", description = "Profiles and people search"),
        (name = "language", description = "Reply languages"),
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
