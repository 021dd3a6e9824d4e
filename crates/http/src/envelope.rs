//! The one shape of every JSON reply: `{message, data, language, timestamp}`,
//! plus `error: {code, details}` on failure.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, Responder, ResponseError, web};
use chrono::{DateTime, SecondsFormat, Utc};
use nerutalk_app::{AppError, MessageArg};
use nerutalk_domain::Language;
use nerutalk_i18n::{Catalog, LanguageSource, Negotiated};
use serde::Serialize;
use serde_json::{Map, Value, json};
use strum::IntoEnumIterator;
use utoipa::ToSchema;
use utoipa::openapi::schema::{AdditionalProperties, Object, ObjectBuilder, SchemaType, Type};

use crate::error::{ApiError, RequestError};
use crate::notice::Notice;
use crate::request_id::RequestId;

/// A successful reply.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// What happened, in the negotiated language.
    pub message: String,
    pub data: T,
    /// The BCP 47 tag of `message` (`en`, `id`, `ja`, `ko`, `zh`).
    #[schema(schema_with = language_code)]
    pub language: String,
    /// When the reply was made (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub timestamp: String,
}

/// What went wrong, for programs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, such as `auth.invalid_credentials`.
    pub code: String,
    /// Specifics: the offending `field`, limits such as `min`/`max`, or the
    /// parser's `reason`. `null` when there is nothing to add, never an
    /// empty object.
    #[schema(schema_with = error_details)]
    pub details: Option<Map<String, Value>>,
}

/// A failed reply: `data` is always `null`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// What went wrong, in the negotiated language.
    pub message: String,
    #[schema(schema_with = always_null)]
    pub data: Option<Value>,
    #[schema(schema_with = language_code)]
    pub language: String,
    #[schema(format = DateTime)]
    pub timestamp: String,
    pub error: ErrorBody,
    /// The request's id, as in its `X-Request-Id` response header: quoted
    /// in a problem report, it finds the request's log lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, min_length = 1, max_length = 128)]
    pub request_id: Option<String>,
}

pub(crate) fn error_details() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .min_properties(Some(1))
        .description(Some(
            "Specifics: the offending `field`, limits such as `min`/`max`, or the parser's \
             `reason`. `null` when there is nothing to add, never an empty object.",
        ))
        .build()
}

fn always_null() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Null))
        .description(Some("Always `null` on failure."))
        .build()
}

/// The language of a reply's `message`: one of the supported languages' codes.
pub(crate) fn language_code() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some(Language::iter().map(Language::code)))
        .description(Some("The BCP 47 tag of `message`."))
        .build()
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Formats a time the way every reply does.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The language negotiated for this request (English if the middleware did not run).
pub(crate) fn request_language(request: &HttpRequest) -> Language {
    request
        .extensions()
        .get::<Negotiated>()
        .map_or(Language::En, |negotiated| negotiated.language)
}

/// Answers in `language` (a user's saved preference, just learned by
/// signing in or saving it) unless the request itself named a language:
/// the saved preference outranks `Accept-Language` and the default.
pub(crate) fn prefer_saved_language(request: &HttpRequest, language: Option<Language>) {
    let mut extensions = request.extensions_mut();
    let explicit = extensions.get::<Negotiated>().is_some_and(|negotiated| {
        matches!(
            negotiated.source,
            LanguageSource::Header | LanguageSource::Query
        )
    });
    if let (false, Some(language)) = (explicit, language) {
        extensions.insert(Negotiated {
            language,
            source: LanguageSource::UserPreference,
        });
    }
}

/// A handler's successful outcome: a notice, data and a status.
#[derive(Debug)]
pub struct Reply<T> {
    notice: Notice,
    data: T,
    status: StatusCode,
    count: Option<i64>,
}

impl<T: Serialize> Reply<T> {
    pub(crate) fn ok(notice: Notice, data: T) -> Self {
        Self {
            notice,
            data,
            status: StatusCode::OK,
            count: None,
        }
    }

    pub(crate) fn created(notice: Notice, data: T) -> Self {
        Self {
            status: StatusCode::CREATED,
            ..Self::ok(notice, data)
        }
    }

    /// For notices that say how many things were found.
    pub(crate) fn counting(mut self, count: usize) -> Self {
        self.count = Some(i64::try_from(count).unwrap_or(i64::MAX));
        self
    }
}

impl<T: Serialize> Responder for Reply<T> {
    type Body = BoxBody;

    fn respond_to(self, request: &HttpRequest) -> HttpResponse {
        let language = request_language(request);
        let args: Vec<_> = self
            .count
            .map(|count| ("count", MessageArg::Number(count)))
            .into_iter()
            .collect();
        let message = request.app_data::<web::Data<Catalog>>().map_or_else(
            || self.notice.message_id().to_owned(),
            |catalog| catalog.message(language, self.notice.message_id(), &args),
        );
        HttpResponse::build(self.status).json(Envelope {
            message,
            data: self.data,
            language: language.code().to_owned(),
            timestamp: now(),
        })
    }
}

/// The arguments of `error`'s localized message.
pub(crate) fn error_args(error: &ApiError) -> Vec<(&'static str, MessageArg)> {
    match error {
        ApiError::App(app) => app.message_args(),
        ApiError::Request { kind, .. } => kind.message_args(),
    }
}

/// `error.details`, for REST's envelope and the WebSocket's `error` frame
/// alike: the offending field and the rule's limits, or the parser's reason.
pub(crate) fn error_details_of(error: &ApiError) -> Option<Map<String, Value>> {
    let mut details = Map::new();
    match error {
        ApiError::App(app) => {
            if let Some(field) = app.field() {
                details.insert("field".into(), json!(field));
            }
            if let AppError::Invalid(invalid) = app {
                for (name, value) in invalid.args() {
                    details.insert(name.into(), json!(value));
                }
            }
            if let AppError::RateLimited {
                retry_after_seconds,
                limit,
            } = app
            {
                details.insert("limit".into(), json!(limit.name));
                details.insert("retry_after_seconds".into(), json!(retry_after_seconds));
            }
        }
        ApiError::Request { kind, reason } => {
            if let RequestError::MalformedField { field } = kind {
                details.insert("field".into(), json!(field));
            }
            details.insert("reason".into(), json!(reason));
        }
    }
    (!details.is_empty()).then_some(details)
}

/// The localized error envelope for `error`, answering request `request_id`.
pub(crate) fn error_response(
    catalog: &Catalog,
    language: Language,
    error: &ApiError,
    request_id: Option<&RequestId>,
) -> HttpResponse {
    crate::metrics::count_refusal(error);
    let mut response = error.error_response();
    let body = ErrorEnvelope {
        message: catalog.message(language, &error.message_id(), &error_args(error)),
        data: None,
        language: language.code().to_owned(),
        timestamp: now(),
        error: ErrorBody {
            code: error.code().to_owned(),
            details: error_details_of(error),
        },
        request_id: request_id.map(|id| id.as_str().to_owned()),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    response.headers_mut().insert(
        actix_web::http::header::CONTENT_TYPE,
        actix_web::http::header::HeaderValue::from_static("application/json"),
    );
    response.set_body(BoxBody::new(json))
}
