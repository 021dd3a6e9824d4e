//! The middleware every request passes: it authenticates a bearer token if
//! one is sent, negotiates the reply language, and renders any error as the
//! localized envelope.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use nerutalk_app::{AppError, AuthenticatedUser};
use nerutalk_i18n::{Catalog, negotiate};
use serde::Deserialize;

use crate::envelope::error_response;
use crate::error::{ApiError, RequestError};
use crate::request_id::RequestId;
use crate::server::AppState;

/// The result of checking the request's bearer token, for the `CurrentUser`
/// extractor. Absent when no token was sent.
#[derive(Debug, Clone)]
pub(crate) struct Authentication(pub(crate) Result<AuthenticatedUser, AppError>);

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// The token of an `Authorization: Bearer …` header (scheme in any case).
pub(crate) fn bearer_token(request: &ServiceRequest) -> Option<String> {
    let value = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

pub(crate) async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let authentication = match (
        bearer_token(&request),
        request.app_data::<web::Data<AppState>>(),
    ) {
        (Some(token), Some(state)) => Some(Authentication(state.auth.authenticate(&token).await)),
        _ => None,
    };
    let preference = authentication
        .as_ref()
        .and_then(|Authentication(outcome)| outcome.as_ref().ok())
        .and_then(|user| user.user.language);
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let query_lang = web::Query::<LangQuery>::from_query(request.query_string())
        .ok()
        .and_then(|query| query.into_inner().lang);
    let negotiated = negotiate(
        header("x-language").as_deref(),
        query_lang.as_deref(),
        preference,
        header("accept-language").as_deref(),
    );
    request.extensions_mut().insert(negotiated);
    if let Some(authentication) = authentication {
        request.extensions_mut().insert(authentication);
    }

    // Handlers' and extractors' errors arrive as responses carrying the
    // error; only a failing middleware further in would make this an `Err`.
    let response = next.call(request).await?.map_into_boxed_body();
    let Some(error) = response.response().error() else {
        return Ok(response);
    };
    let api_error = error
        .as_error::<ApiError>()
        .cloned()
        .unwrap_or_else(|| classify_foreign(response.status(), error));
    let Some(catalog) = response.request().app_data::<web::Data<Catalog>>().cloned() else {
        return Ok(response);
    };
    let request_id = response.request().extensions().get::<RequestId>().cloned();
    let mut localized = error_response(
        &catalog,
        negotiated.language,
        &api_error,
        request_id.as_ref(),
    );
    // A 405 names the methods the path does answer.
    if let Some(allow) = response.headers().get(header::ALLOW).cloned() {
        localized.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(response.into_response(localized))
}

/// An error that did not come through [`ApiError`] (actix's own, or a
/// library's), named by its status.
fn classify_foreign(status: StatusCode, error: &actix_web::Error) -> ApiError {
    let kind = match status {
        StatusCode::NOT_FOUND => RequestError::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => RequestError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => RequestError::PayloadTooLarge { limit: 0 },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => RequestError::UnsupportedMediaType,
        status if status.is_client_error() => RequestError::MalformedJson,
        _ => {
            tracing::error!(%error, %status, "unhandled error");
            return ApiError::App(AppError::Internal);
        }
    };
    ApiError::request(kind, error)
}
