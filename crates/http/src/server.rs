//! Building and starting the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::error::{InternalError, JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use nerutalk_app::{AuthService, ChatService, HealthService, UserService};
use nerutalk_i18n::Catalog;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, RequestError};
use crate::known_routes::KnownRoutes;
use crate::openapi::ApiDoc;
use crate::request_span::RequestSpan;
use crate::{language, routes};

/// The use cases the handlers call.
#[derive(Debug, Clone)]
pub struct AppState {
    pub auth: AuthService,
    pub users: UserService,
    pub health: HealthService,
    pub chat: ChatService,
    /// This node's live sockets; the event bus delivers into it.
    pub hub: Arc<crate::Hub>,
    pub realtime: crate::RealtimeSettings,
    /// How many sockets a user may hold open, on all nodes together.
    pub sockets: nerutalk_app::SocketLimit,
    /// Whose `X-Forwarded-For` names the client, for per-address limits.
    pub trusted_proxies: crate::TrustedProxies,
}

/// HTTP knobs.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest JSON body accepted, in bytes.
    pub json_limit: usize,
    /// Worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// How long a graceful stop waits for in-flight requests and sockets.
    pub shutdown_timeout: std::time::Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            json_limit: 64 * 1024,
            workers: None,
            shutdown_timeout: std::time::Duration::from_secs(30),
        }
    }
}

/// Starts serving on `listener` (bound by the caller, so tests can use port 0).
///
/// # Errors
/// When the listener cannot be used.
pub fn serve(
    listener: TcpListener,
    state: AppState,
    catalog: Arc<Catalog>,
    settings: &HttpSettings,
) -> std::io::Result<Server> {
    // Chat frames are small and latency-bound: without this, Nagle's
    // algorithm meets the peer's delayed ACK and a frame can wait 40 ms.
    // Accepted sockets inherit the option from the listener on Linux.
    socket2::SockRef::from(&listener).set_tcp_nodelay(true)?;
    let state = web::Data::new(state);
    let catalog = web::Data::from(catalog);
    let openapi = ApiDoc::openapi();
    let asyncapi = web::Data::new(AsyncApiDocument(
        crate::asyncapi::json().map_err(std::io::Error::other)?,
    ));
    let known_routes = web::Data::new(KnownRoutes::from_openapi(&openapi));
    let json_limit = settings.json_limit;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(catalog.clone())
            .app_data(known_routes.clone())
            .app_data(asyncapi.clone())
            .app_data(json_config(json_limit))
            .app_data(
                web::QueryConfig::default().error_handler(|error: QueryPayloadError, _| {
                    ApiError::request(RequestError::InvalidQuery, error).into()
                }),
            )
            .app_data(web::PathConfig::default().error_handler(path_error))
            .wrap(from_fn(language::middleware))
            .wrap(TracingLogger::<RequestSpan>::new())
            // Outside the span, which logs the id it gives.
            .wrap(from_fn(crate::request_id::middleware))
            // Outermost: times the whole request, errors included.
            .wrap(from_fn(crate::metrics::middleware))
            .configure(routes::configure)
            .service(web::redirect("/docs", "/docs/"))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", openapi.clone()))
            .route("/api-docs/asyncapi.json", web::get().to(asyncapi_document))
            .default_service(web::to(unrouted))
    });
    if let Some(workers) = settings.workers {
        server = server.workers(workers);
    }
    // The caller stops the server (on SIGTERM, after telling the sockets),
    // so that the workers beside HTTP stop after it, in order.
    server = server
        .disable_signals()
        .shutdown_timeout(settings.shutdown_timeout.as_secs());
    Ok(server.listen(listener)?.run())
}

/// The AsyncAPI document, rendered once at start-up.
struct AsyncApiDocument(String);

/// The WebSocket protocol's AsyncAPI document, as `docs/asyncapi.json` has it.
async fn asyncapi_document(document: web::Data<AsyncApiDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}

/// A path segment that does not parse; unless the path is a literal route
/// for other methods (`PUT …/messages/mark-read` reaches the route
/// `…/messages/{message_id}`): that is `405`, as for any other known path.
fn path_error(error: PathError, request: &HttpRequest) -> actix_web::Error {
    let other_methods = request
        .app_data::<web::Data<KnownRoutes>>()
        .and_then(|known| known.allowed(request.path()))
        .filter(|allowed| !allowed.contains(request.method()));
    match other_methods {
        Some(allowed) => InternalError::from_response(error, method_not_allowed(&allowed)).into(),
        None => ApiError::request(RequestError::InvalidPath, error).into(),
    }
}

fn method_not_allowed(allowed: &[Method]) -> HttpResponse {
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = HttpResponse::from_error(ApiError::request(
        RequestError::MethodNotAllowed,
        format!("this path answers {allow}"),
    ));
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |error, _| {
            let kind = match &error {
                JsonPayloadError::ContentType => RequestError::UnsupportedMediaType,
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => {
                    RequestError::PayloadTooLarge { limit }
                }
                _ => RequestError::MalformedJson,
            };
            ApiError::request(kind, error).into()
        })
}

/// No handler took the request: `405` with `Allow` for a known path asked
/// with another method, `404` otherwise.
async fn unrouted(request: HttpRequest, known: web::Data<KnownRoutes>) -> HttpResponse {
    let Some(allowed) = known.allowed(request.path()) else {
        return HttpResponse::from_error(ApiError::request(
            RequestError::RouteNotFound,
            "no route matches this path",
        ));
    };
    method_not_allowed(&allowed)
}
