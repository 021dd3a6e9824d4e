//! What the HTTP adapter records for Prometheus (every metric is listed in
//! `docs/operations.md`). Only through the `metrics` facade: the server
//! installs the recorder and serves `/metrics`; without one, recording is a
//! no-op. Labels stay bounded: route templates, never raw paths or user ids.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use nerutalk_app::AppError;

use crate::error::ApiError;

/// Counts each request by route template, method and status, and times it.
pub(crate) async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = method_label(request.method());
    // The template the router matches (`/api/v1/chats/{chat_id}`): bounded,
    // unlike the path itself.
    let route = request
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.call(request).await;
    let status = match &response {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    metrics::counter!(
        "nerutalk_http_requests_total",
        "method" => method,
        "route" => route.clone(),
        "status" => status.as_str().to_owned(),
    )
    .increment(1);
    metrics::histogram!(
        "nerutalk_http_request_duration_seconds",
        "method" => method,
        "route" => route,
    )
    .record(started.elapsed());
    response
}

/// The method, or `OTHER` for an extension method: a client could send
/// any token there.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

pub(crate) fn socket_opened() {
    metrics::gauge!("nerutalk_ws_open_sockets").increment(1.0);
}

pub(crate) fn socket_closed() {
    metrics::gauge!("nerutalk_ws_open_sockets").decrement(1.0);
}

/// A frame read from a client, by its protocol `type` (`binary` and
/// `invalid` for frames that have none, `refused` for one over its
/// socket's frame budget).
pub(crate) fn frame_received(kind: &'static str) {
    metrics::counter!("nerutalk_ws_frames_received_total", "type" => kind).increment(1);
}

/// A frame written to a client, by its protocol `type`.
pub(crate) fn frame_sent(kind: &'static str) {
    metrics::counter!("nerutalk_ws_frames_sent_total", "type" => kind).increment(1);
}

/// Sockets dropped because their queue was full.
pub(crate) fn sockets_cut_slow(count: usize) {
    metrics::counter!("nerutalk_ws_sockets_cut_slow_total")
        .increment(u64::try_from(count).unwrap_or(u64::MAX));
}

/// A request or frame refused by a rate limit, by the limit's name.
pub(crate) fn count_refusal(error: &ApiError) {
    if let ApiError::App(AppError::RateLimited { limit, .. }) = error {
        metrics::counter!("nerutalk_rate_limit_refusals_total", "limit" => limit.name).increment(1);
    }
}

/// From a `send_message` frame taken up to its `ack` handed to the socket.
pub(crate) fn send_acknowledged(taken: Instant) {
    metrics::histogram!("nerutalk_ws_send_ack_duration_seconds").record(taken.elapsed());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_bounded() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "OTHER");
    }
}
