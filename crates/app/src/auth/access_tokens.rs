//! Short-lived JWT access tokens (HS256, jwt-simple).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jwt_simple::JWTError;
use jwt_simple::prelude::{
    Claims, Clock, Duration as JwtDuration, HS256Key, JWTClaims, MACLike, UnixTimeStamp,
    VerificationOptions,
};
use nerutalk_domain::{SessionId, UserId};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::cache::copies::Copies;

const ISSUER: &str = "nerutalk";

/// Tokens whose signature was checked, remembered per node. A signed token
/// never changes, so nothing invalidates them; revocation is the session
/// check's business. One token per signed-in device is live at a time, so
/// this covers that many active devices; beyond it, tokens are checked anew.
const VERIFIED_CAPACITY: usize = 20_000;

/// The private claims: which session the token belongs to, so that logging
/// out or revoking a session also stops its access tokens.
#[derive(Debug, Serialize, Deserialize)]
struct SessionClaim {
    sid: SessionId,
}

/// What a valid access token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub session_id: SessionId,
}

/// Issues and checks access tokens.
#[derive(Clone)]
pub struct AccessTokens {
    key: HS256Key,
    ttl: Duration,
    /// Clock skew forgiven between nodes when checking expiry.
    leeway: JwtDuration,
    /// Checked tokens and when they expire: checking an HS256 signature
    /// (and its constant-time base64) cost a fifth of a `GET /auth/me`.
    verified: Arc<Copies<String, (AccessClaims, UnixTimeStamp)>>,
}

impl std::fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokens")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl AccessTokens {
    #[must_use]
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        Self {
            key: HS256Key::from_bytes(secret.expose_secret().as_bytes()),
            ttl,
            leeway: JwtDuration::from_secs(5),
            verified: Arc::new(Copies::remembering(
                VERIFIED_CAPACITY,
                ttl.saturating_add(Duration::from_secs(5)),
            )),
        }
    }

    /// # Errors
    /// [`AppError::Internal`] when signing fails.
    pub fn issue(&self, user_id: UserId, session_id: SessionId) -> Result<String, AppError> {
        let claims = Claims::with_custom_claims(
            SessionClaim { sid: session_id },
            JwtDuration::from_millis(u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)),
        )
        .with_issuer(ISSUER)
        .with_subject(user_id.to_string());
        self.key.authenticate(claims).map_err(|error| {
            tracing::error!(error = %format_args!("{error:#}"), "cannot sign access token");
            AppError::Internal
        })
    }

    /// Checks the signature, the issuer and the times. A token must say when
    /// it expires and when it was issued: one without `exp` would never
    /// expire, and only ever comes from a key that leaked or from a bug.
    /// `iat` and `nbf` in the future are forgiven up to the leeway, for nodes
    /// whose clocks drift apart.
    ///
    /// # Errors
    /// [`AppError::TokenExpired`] or [`AppError::TokenInvalid`].
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AppError> {
        if let Some((claims, expires_at)) = self.verified.get(token) {
            // Past its expiry it is checked anew, which names the error.
            if Clock::now_since_epoch() <= expires_at + self.leeway {
                return Ok(claims);
            }
        }
        let options = VerificationOptions {
            allowed_issuers: Some(HashSet::from([ISSUER.to_owned()])),
            time_tolerance: Some(self.leeway),
            accept_future: false,
            ..VerificationOptions::default()
        };
        let claims: JWTClaims<SessionClaim> =
            self.key
                .verify_token(token, Some(options))
                .map_err(|error| match error.downcast_ref::<JWTError>() {
                    Some(JWTError::TokenHasExpired) => AppError::TokenExpired,
                    _ => AppError::TokenInvalid,
                })?;
        let (Some(expires_at), Some(_)) = (claims.expires_at, claims.issued_at) else {
            return Err(AppError::TokenInvalid);
        };
        let user_id = claims
            .subject
            .as_deref()
            .and_then(|subject| subject.parse::<UserId>().ok())
            .ok_or(AppError::TokenInvalid)?;
        let verified = AccessClaims {
            user_id,
            session_id: claims.custom.sid,
        };
        self.verified.keep(
            self.verified.ticket(),
            token.to_owned(),
            (verified, expires_at),
        );
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(secret: &str, ttl: Duration) -> AccessTokens {
        AccessTokens::new(&SecretString::from(secret.to_owned()), ttl)
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_session() {
        let tokens = tokens("a-test-secret-of-enough-length!!", Duration::from_secs(60));
        let (user_id, session_id) = (UserId::generate(), SessionId::generate());
        let token = tokens.issue(user_id, session_id).unwrap();
        assert_eq!(
            tokens.verify(&token).unwrap(),
            AccessClaims {
                user_id,
                session_id
            }
        );
    }

    #[test]
    fn foreign_tampered_and_expired_tokens_are_refused() {
        let ours = tokens("a-test-secret-of-enough-length!!", Duration::from_secs(60));
        let theirs = tokens("another-secret-of-enough-length!", Duration::from_secs(60));
        let token = theirs
            .issue(UserId::generate(), SessionId::generate())
            .unwrap();
        assert_eq!(ours.verify(&token), Err(AppError::TokenInvalid));
        assert_eq!(ours.verify("not.a.jwt"), Err(AppError::TokenInvalid));

        let mut expiring = tokens("a-test-secret-of-enough-length!!", Duration::ZERO);
        expiring.leeway = JwtDuration::from_secs(0);
        let token = expiring
            .issue(UserId::generate(), SessionId::generate())
            .unwrap();
        std::thread::sleep(Duration::from_millis(1_100));
        assert_eq!(expiring.verify(&token), Err(AppError::TokenExpired));
    }

    #[test]
    fn a_remembered_token_is_still_refused_once_it_expires() {
        let mut expiring = tokens("a-test-secret-of-enough-length!!", Duration::from_secs(1));
        expiring.leeway = JwtDuration::from_secs(0);
        let token = expiring
            .issue(UserId::generate(), SessionId::generate())
            .unwrap();
        assert!(expiring.verify(&token).is_ok());
        assert!(expiring.verify(&token).is_ok(), "remembered");
        std::thread::sleep(Duration::from_millis(2_100));
        assert_eq!(expiring.verify(&token), Err(AppError::TokenExpired));
    }

    /// Claims as `issue` makes them, for a test to bend before signing
    /// them with the server's own key.
    fn forged_claims() -> JWTClaims<SessionClaim> {
        Claims::with_custom_claims(
            SessionClaim {
                sid: SessionId::generate(),
            },
            JwtDuration::from_secs(60),
        )
        .with_issuer(ISSUER)
        .with_subject(UserId::generate().to_string())
    }

    fn signed(tokens: &AccessTokens, claims: JWTClaims<SessionClaim>) -> String {
        tokens.key.authenticate(claims).unwrap()
    }

    #[test]
    fn a_token_without_expiry_or_issue_time_is_refused() {
        let tokens = tokens("a-test-secret-of-enough-length!!", Duration::from_secs(60));
        let mut never_expires = forged_claims();
        never_expires.expires_at = None;
        assert_eq!(
            tokens.verify(&signed(&tokens, never_expires)),
            Err(AppError::TokenInvalid)
        );
        let mut undated = forged_claims();
        undated.issued_at = None;
        assert_eq!(
            tokens.verify(&signed(&tokens, undated)),
            Err(AppError::TokenInvalid)
        );
    }

    #[test]
    fn times_in_the_future_are_forgiven_only_within_the_leeway() {
        let tokens = tokens("a-test-secret-of-enough-length!!", Duration::from_secs(60));
        let beyond = JwtDuration::from_secs(30);
        let within = JwtDuration::from_secs(2);

        let mut issued_later = forged_claims();
        issued_later.issued_at = issued_later.issued_at.map(|at| at + beyond);
        assert_eq!(
            tokens.verify(&signed(&tokens, issued_later)),
            Err(AppError::TokenInvalid)
        );
        let mut not_yet_valid = forged_claims();
        not_yet_valid.invalid_before = not_yet_valid.invalid_before.map(|at| at + beyond);
        assert_eq!(
            tokens.verify(&signed(&tokens, not_yet_valid)),
            Err(AppError::TokenInvalid)
        );

        let mut slightly_ahead = forged_claims();
        slightly_ahead.issued_at = slightly_ahead.issued_at.map(|at| at + within);
        slightly_ahead.invalid_before = slightly_ahead.invalid_before.map(|at| at + within);
        assert!(tokens.verify(&signed(&tokens, slightly_ahead)).is_ok());
    }
}
