//! Every request's id: taken from `X-Request-Id` when a trusted proxy sends
//! one (so a request can be followed from the proxy's log into ours), made
//! up otherwise; written in the request's span, its error envelope and the
//! `X-Request-Id` response header.

use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::rate_limit::TrustedProxies;
use crate::server::AppState;

/// The header a request id arrives and leaves in.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id accepted from a proxy: room for any uuid or trace id,
/// short enough that an id cannot bloat every log line of its request.
const MAX_LENGTH: usize = 128;

/// One request's id: visible ASCII, at most [`MAX_LENGTH`] bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestId(String);

impl RequestId {
    fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// `value` when it is safe to repeat in headers and logs: no spaces or
    /// control characters that could split a log line or forge a field.
    fn parse(value: &HeaderValue) -> Option<Self> {
        let bytes = value.as_bytes();
        let valid = !bytes.is_empty()
            && bytes.len() <= MAX_LENGTH
            && bytes.iter().all(|byte| byte.is_ascii_graphic());
        valid
            .then(|| value.to_str().ok().map(|text| Self(text.to_owned())))
            .flatten()
    }

    /// The id of a request: its proxy's, when the peer is a trusted proxy
    /// and sent a valid one; a new uuid otherwise.
    fn of(request: &ServiceRequest, proxies: Option<&TrustedProxies>) -> Self {
        let trusted = proxies
            .zip(request.peer_addr())
            .is_some_and(|(proxies, peer)| proxies.trusts(peer.ip()));
        trusted
            .then(|| request.headers().get(&REQUEST_ID_HEADER))
            .flatten()
            .and_then(Self::parse)
            .unwrap_or_else(Self::generate)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Gives the request its id before its span is opened, and returns the id
/// on the response, whatever the response is.
pub(crate) async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let proxies = request
        .app_data::<web::Data<AppState>>()
        .map(|state| state.trusted_proxies.clone());
    let id = RequestId::of(&request, proxies.as_ref());
    let header = HeaderValue::from_str(id.as_str()).ok();
    request.extensions_mut().insert(id);
    let mut response = next.call(request).await?;
    if let Some(header) = header {
        response.headers_mut().insert(REQUEST_ID_HEADER, header);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use actix_web::test::TestRequest;

    use super::*;

    fn request(peer: &str, id: Option<&str>) -> ServiceRequest {
        let mut request = TestRequest::default().peer_addr(peer.parse::<SocketAddr>().unwrap());
        if let Some(id) = id {
            request = request.insert_header((REQUEST_ID_HEADER, id));
        }
        request.to_srv_request()
    }

    fn proxies() -> TrustedProxies {
        TrustedProxies::new(vec!["10.0.0.1".parse().unwrap()])
    }

    fn is_uuid(id: &RequestId) -> bool {
        uuid::Uuid::parse_str(id.as_str()).is_ok()
    }

    #[test]
    fn a_trusted_proxy_names_the_request() {
        let id = RequestId::of(&request("10.0.0.1:80", Some("lb-7f3a")), Some(&proxies()));
        assert_eq!(id.as_str(), "lb-7f3a");
    }

    #[test]
    fn anyone_else_gets_a_new_id() {
        let spoofed = request("198.51.100.7:80", Some("lb-7f3a"));
        assert!(is_uuid(&RequestId::of(&spoofed, Some(&proxies()))));
        assert!(is_uuid(&RequestId::of(&spoofed, None)));
        assert!(is_uuid(&RequestId::of(
            &request("10.0.0.1:80", None),
            Some(&proxies())
        )));
    }

    #[test]
    fn an_unsafe_id_is_replaced_even_from_a_trusted_proxy() {
        let too_long = "a".repeat(MAX_LENGTH + 1);
        let longest = "a".repeat(MAX_LENGTH);
        for unsafe_id in ["two words", "tab\there", too_long.as_str(), "ünï"] {
            let value = HeaderValue::from_bytes(unsafe_id.as_bytes()).unwrap();
            assert_eq!(RequestId::parse(&value), None, "{unsafe_id:?}");
        }
        let value = HeaderValue::from_str(&longest).unwrap();
        assert_eq!(RequestId::parse(&value), Some(RequestId(longest)));
    }
}
