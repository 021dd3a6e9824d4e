//! The languages NeruTalk answers in, and the caller's choice.

use actix_web::{HttpMessage, HttpRequest, get, put, web};
use nerutalk_domain::Language;
use nerutalk_i18n::{LanguageSource, Negotiated};
use strum::IntoEnumIterator;

use crate::auth::CurrentUser;
use crate::dto::{CurrentLanguage, LanguageInfo, PrivateProfile, SetLanguageRequest, source_name};
use crate::envelope::{Envelope, ErrorEnvelope, Reply, prefer_saved_language};
use crate::error::ApiError;
use crate::notice::Notice;
use crate::server::AppState;

/// The supported languages.
#[utoipa::path(get, path = "/api/v1/languages", tag = "language",
    responses((status = 200, body = Envelope<Vec<LanguageInfo>>)))]
#[get("/languages")]
pub(crate) async fn list() -> Reply<Vec<LanguageInfo>> {
    Reply::ok(
        Notice::Languages,
        Language::iter().map(LanguageInfo::from).collect(),
    )
}

/// The language this request was answered in, and why: `X-Language`, then
/// `?lang=`, then your saved preference, then `Accept-Language`, then English.
#[utoipa::path(get, path = "/api/v1/language/current", tag = "language",
    params(
        ("X-Language" = Option<String>, Header, description = "Preferred language, e.g. `ja` or `jp`"),
        ("lang" = Option<String>, Query, description = "Preferred language")),
    responses((status = 200, body = Envelope<CurrentLanguage>)))]
#[get("/language/current")]
pub(crate) async fn current(request: HttpRequest) -> Reply<CurrentLanguage> {
    let negotiated = request
        .extensions()
        .get::<Negotiated>()
        .copied()
        .unwrap_or(Negotiated {
            language: Language::En,
            source: LanguageSource::Default,
        });
    Reply::ok(
        Notice::LanguageCurrent,
        CurrentLanguage {
            language: negotiated.language.into(),
            source: source_name(negotiated.source).to_owned(),
        },
    )
}

/// Save the language you want replies, mail and notifications in.
#[utoipa::path(put, path = "/api/v1/language", tag = "language",
    security(("bearer" = [])),
    request_body = SetLanguageRequest,
    responses(
        (status = 200, body = Envelope<PrivateProfile>),
        (status = 422, description = "Unsupported language", body = ErrorEnvelope)))]
#[put("/language")]
pub(crate) async fn update(
    state: web::Data<AppState>,
    request: HttpRequest,
    CurrentUser(actor): CurrentUser,
    body: web::Json<SetLanguageRequest>,
) -> Result<Reply<PrivateProfile>, ApiError> {
    let user = state.users.set_language(&actor, &body.language).await?;
    prefer_saved_language(&request, user.language);
    Ok(Reply::ok(Notice::LanguageUpdated, user.into()))
}
