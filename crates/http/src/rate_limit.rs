//! What a client learns about the limits it ran into: the `Retry-After`
//! header and the IETF `RateLimit-Policy` and `RateLimit` headers
//! (draft-ietf-httpapi-ratelimit-headers-09, structured-field lists of one
//! policy each), and the client address that per-address limits count.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::HttpResponseBuilder;
use actix_web::http::header;
use nerutalk_app::LimitPolicy;

/// The three headers of a refused (429) reply. The policy's name is a fixed
/// lowercase word with dots, so it needs no escaping inside the quotes.
pub(crate) fn insert_headers(
    response: &mut HttpResponseBuilder,
    retry_after_seconds: u64,
    limit: &LimitPolicy,
) {
    response.insert_header((header::RETRY_AFTER, retry_after_seconds));
    response.insert_header((
        "RateLimit-Policy",
        format!(
            "\"{}\";q={};w={}",
            limit.name, limit.quota, limit.window_seconds
        ),
    ));
    response.insert_header((
        "RateLimit",
        format!("\"{}\";r=0;t={}", limit.name, limit.reset_seconds),
    ));
}

/// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    #[must_use]
    pub fn new(addresses: Vec<IpAddr>) -> Self {
        Self(addresses.into_iter().map(|ip| ip.to_canonical()).collect())
    }

    pub(crate) fn trusts(&self, address: IpAddr) -> bool {
        self.0.contains(&address.to_canonical())
    }

    /// The address a request came from: the peer's, or, when the peer is a
    /// trusted proxy, the right-most `X-Forwarded-For` hop that is not one.
    /// Hops left of it were written by the client and prove nothing; a hop
    /// that does not parse ends the walk at the last hop that did.
    pub(crate) fn client_address(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = request.peer_addr()?.ip().to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let forwarded: Vec<&str> = request
            .headers()
            .get_all("X-Forwarded-For")
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        let mut client = peer;
        for hop in forwarded.into_iter().rev() {
            let Ok(address) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = address.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        Some(client)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use actix_web::test::TestRequest;

    use super::*;

    fn request(peer: &str, forwarded: &[&str]) -> HttpRequest {
        let mut request = TestRequest::default().peer_addr(peer.parse::<SocketAddr>().unwrap());
        for value in forwarded {
            request = request.append_header(("X-Forwarded-For", *value));
        }
        request.to_http_request()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies = TrustedProxies::new(vec!["10.0.0.1".parse().unwrap()]);
        let spoofed = request("198.51.100.7:5000", &["203.0.113.9"]);
        assert_eq!(proxies.client_address(&spoofed), ip("198.51.100.7"));
        assert_eq!(
            TrustedProxies::default().client_address(&spoofed),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::new(vec![
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
        ]);
        let chained = request("10.0.0.1:5000", &["1.2.3.4, 203.0.113.9", "10.0.0.2"]);
        assert_eq!(proxies.client_address(&chained), ip("203.0.113.9"));
        let garbled = request("10.0.0.1:5000", &["203.0.113.9, nonsense, 10.0.0.2"]);
        assert_eq!(proxies.client_address(&garbled), ip("10.0.0.2"));
        let none = request("10.0.0.1:5000", &[]);
        assert_eq!(proxies.client_address(&none), ip("10.0.0.1"));
    }

    #[test]
    fn a_refusal_carries_the_draft_headers() {
        let mut response = actix_web::HttpResponse::TooManyRequests();
        let limit = LimitPolicy {
            name: "login.account",
            quota: 5,
            window_seconds: 60,
            reset_seconds: 60,
        };
        insert_headers(&mut response, 12, &limit);
        let response = response.finish();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header("Retry-After"), "12");
        assert_eq!(header("RateLimit-Policy"), "\"login.account\";q=5;w=60");
        assert_eq!(header("RateLimit"), "\"login.account\";r=0;t=60");
    }
}
