//! Errors as HTTP: the status each class maps to, and actix's own request
//! errors (bad JSON, bad query, unknown route, …) in the same terms.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use nerutalk_app::{AppError, ErrorClass, MessageArg, error::message_id_for_code};
use strum::EnumIter;

/// Seconds a client is asked to wait before retrying a 503: a write queue
/// that was full, or a backing service that did not answer, is usually
/// back within a moment, and a fixed wait keeps retries from arriving all
/// at once with the load that caused them.
pub(crate) const RETRY_AFTER_SECONDS: u32 = 2;

/// A request actix could not hand to a handler.
#[derive(Debug, Clone, PartialEq, Eq, EnumIter)]
pub enum RequestError {
    MalformedJson,
    InvalidQuery,
    InvalidPath,
    UnsupportedMediaType,
    /// `limit` is the largest body accepted, in bytes.
    PayloadTooLarge {
        limit: usize,
    },
    RouteNotFound,
    MethodNotAllowed,
    /// A WebSocket frame that is not `{"type", "data", "id"}` or whose data is wrong.
    MalformedFrame,
    /// A WebSocket frame of a type the gateway does not know.
    UnknownFrame,
    /// A WebSocket frame whose `data` lacks a field or has one of the wrong
    /// type; `field` is its dotted path inside `data` (`chats.<uuid>`).
    MalformedField {
        field: String,
    },
}

impl RequestError {
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson => "request.malformed_json",
            Self::InvalidQuery => "request.invalid_query",
            Self::InvalidPath => "request.invalid_path",
            Self::UnsupportedMediaType => "request.unsupported_media_type",
            Self::PayloadTooLarge { .. } => "request.payload_too_large",
            Self::RouteNotFound => "request.route_not_found",
            Self::MethodNotAllowed => "request.method_not_allowed",
            Self::MalformedFrame | Self::MalformedField { .. } => "ws.malformed_frame",
            Self::UnknownFrame => "ws.unknown_frame",
        }
    }

    /// The Fluent id of the localized message: the code's, except for a
    /// malformed field, which shares its code with any malformed frame but
    /// names the field.
    #[must_use]
    pub fn message_id(&self) -> String {
        match self {
            Self::MalformedField { .. } => "error-ws-malformed-field".to_owned(),
            _ => message_id_for_code(self.code()),
        }
    }

    /// Arguments of the localized message.
    #[must_use]
    pub fn message_args(&self) -> Vec<(&'static str, MessageArg)> {
        match self {
            Self::PayloadTooLarge { limit } => vec![(
                "limit",
                MessageArg::Number(i64::try_from(*limit).unwrap_or(i64::MAX)),
            )],
            Self::MalformedField { field } => vec![("field", MessageArg::Text(field.clone()))],
            _ => Vec::new(),
        }
    }

    const fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson
            | Self::InvalidQuery
            | Self::InvalidPath
            | Self::MalformedFrame
            | Self::MalformedField { .. }
            | Self::UnknownFrame => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        }
    }
}

/// Any failure a handler or extractor ends in. It is turned into the
/// localized envelope by the language middleware, which knows the language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    /// `reason` is the parser's own (English, technical) explanation, passed
    /// on in `error.details` for developers.
    #[error("{code}: {reason}", code = .kind.code())]
    Request { kind: RequestError, reason: String },
}

impl ApiError {
    pub(crate) fn request(kind: RequestError, reason: impl ToString) -> Self {
        Self::Request {
            kind,
            reason: reason.to_string(),
        }
    }

    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::App(error) => error.code(),
            Self::Request { kind, .. } => kind.code(),
        }
    }

    #[must_use]
    pub fn message_id(&self) -> String {
        match self {
            Self::App(_) => message_id_for_code(self.code()),
            Self::Request { kind, .. } => kind.message_id(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::App(error) => match error.class() {
                ErrorClass::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorClass::Unauthenticated => StatusCode::UNAUTHORIZED,
                ErrorClass::Forbidden => StatusCode::FORBIDDEN,
                ErrorClass::NotFound => StatusCode::NOT_FOUND,
                ErrorClass::Conflict => StatusCode::CONFLICT,
                ErrorClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                ErrorClass::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                ErrorClass::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorClass::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Self::Request { kind, .. } => kind.status(),
        }
    }

    /// A bare response; the language middleware replaces its body with the
    /// localized envelope.
    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if self.status_code() == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        if let Self::App(AppError::RateLimited {
            retry_after_seconds,
            limit,
        }) = self
        {
            crate::rate_limit::insert_headers(&mut response, *retry_after_seconds, limit);
        }
        response.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_asks_to_retry_later() {
        let reply = ApiError::from(AppError::Unavailable).error_response();
        assert_eq!(reply.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            reply.headers().get(header::RETRY_AFTER).unwrap(),
            &RETRY_AFTER_SECONDS.to_string()
        );
        let other = ApiError::from(AppError::UserNotFound).error_response();
        assert!(other.headers().get(header::RETRY_AFTER).is_none());
    }

    #[test]
    fn every_class_has_a_distinct_status() {
        let statuses: Vec<_> = [
            AppError::Invalid(nerutalk_domain::DomainError::EmailInvalid),
            AppError::InvalidCredentials,
            AppError::AccountDisabled,
            AppError::UserNotFound,
            AppError::EmailTaken,
            AppError::RateLimited {
                retry_after_seconds: 1,
                limit: nerutalk_app::LimitPolicy::default(),
            },
            AppError::Unavailable,
        ]
        .into_iter()
        .map(|error| ApiError::from(error).status_code().as_u16())
        .collect();
        assert_eq!(statuses, [422, 401, 403, 404, 409, 429, 503]);
        assert_eq!(
            ApiError::request(RequestError::UnsupportedMediaType, "x").status_code(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }
}
