//! The WebSocket gateway at `/ws`: authenticates the upgrade, then runs one
//! task per socket that relays live events out and client frames in, through
//! the same use cases as REST.

mod capability;
mod chat;
pub mod close;
pub mod frame_budget;
mod frame_guard;
pub mod hub;
pub mod inbound;
pub mod protocol;
pub mod session;

use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, get, web};
use nerutalk_i18n::{LanguageSource, Negotiated};
use serde::Deserialize;
use tracing::Instrument;

use crate::error::ApiError;
use crate::language::Authentication;
use crate::server::AppState;

#[derive(Debug, Deserialize)]
struct Upgrade {
    token: Option<String>,
    /// `true`: hold live events until the client's `resume` frame has been
    /// answered, so that replayed messages come strictly before live ones.
    #[serde(default)]
    resume: bool,
}

/// Upgrade to the WebSocket protocol described in `docs/websocket.md`.
/// Authenticate with `?token=<access token>` or `Authorization: Bearer`; a
/// bad token gets the socket closed with code 4001.
#[utoipa::path(get, path = "/ws", tag = "realtime",
    params(
        ("token" = Option<String>, Query, description = "Access token (or send Authorization: Bearer)"),
        ("lang" = Option<String>, Query, description = "Language of server-written text in frames"),
        ("resume" = Option<bool>, Query, description = "Hold live events until the `resume` frame is answered")),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 429, description = "The user has `RATE_LIMIT_SOCKETS_PER_USER` sockets open already (`ws.too_many_sockets`)", body = crate::envelope::ErrorEnvelope),
        (status = 503, description = "The socket count could not be read and the limits fail closed (`common.unavailable`)", body = crate::envelope::ErrorEnvelope)))]
#[get("/ws")]
pub(crate) async fn upgrade(
    state: web::Data<AppState>,
    catalog: web::Data<nerutalk_i18n::Catalog>,
    request: HttpRequest,
    body: web::Payload,
    query: web::Query<Upgrade>,
) -> Result<HttpResponse, ApiError> {
    let from_header = request
        .extensions()
        .get::<Authentication>()
        .map(|auth| auth.0.clone());
    let authentication = match (&query.token, from_header) {
        (Some(token), _) => state.auth.authenticate(token).await,
        (None, Some(outcome)) => outcome,
        (None, None) => Err(nerutalk_app::AppError::TokenMissing),
    };
    let negotiated = request
        .extensions()
        .get::<Negotiated>()
        .copied()
        .unwrap_or(Negotiated {
            language: nerutalk_domain::Language::En,
            source: LanguageSource::Default,
        });
    let language = match (&authentication, negotiated.source) {
        (Ok(user), LanguageSource::AcceptLanguage | LanguageSource::Default) => {
            user.user.language.unwrap_or(negotiated.language)
        }
        _ => negotiated.language,
    };
    // Refused before the upgrade, as a 429 in the localized envelope; a bad
    // token is told on the socket, as the original service did.
    if let Ok(user) = &authentication {
        state.sockets.admit(user.user.id).await?;
    }
    // The socket's bytes reach actix-ws through the guard, which refuses a
    // frame over the limit from its header, before its payload is read.
    let guarded: frame_guard::Boxed = Box::pin(frame_guard::FrameGuard::new(
        body,
        state.realtime.max_frame_bytes,
    ));
    let refused = |error| ApiError::request(crate::RequestError::MalformedJson, error);
    let body = web::Payload::from_request(&request, &mut guarded.into())
        .await
        .map_err(refused)?;
    let (response, socket, stream) = actix_ws::handle(&request, body).map_err(refused)?;
    let context = session::Context {
        auth: state.auth.clone(),
        chat: state.chat.clone(),
        hub: state.hub.clone(),
        catalog: catalog.into_inner(),
        language,
        settings: state.realtime.clone(),
        hold_until_resume: query.resume,
        sockets: state.sockets.clone(),
    };
    // Not a child of the request's span, whose fields include the URL and
    // so the `?token=`; but with its request id, so that the socket's lines
    // and the upgrade's are found together. `connection` tells this node's
    // sockets apart.
    let request_id = request
        .extensions()
        .get::<crate::request_id::RequestId>()
        .map(ToString::to_string);
    let span = tracing::info_span!(
        parent: None,
        "socket",
        request_id = request_id.as_deref(),
        connection = tracing::field::Empty,
        user_id = tracing::field::Empty
    );
    // Tracked by the hub, so that a server stop waits for the task to end.
    let task = state
        .hub
        .track(session::run(context, authentication, socket, stream));
    actix_web::rt::spawn(task.instrument(span));
    Ok(response)
}
