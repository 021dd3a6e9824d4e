//! Authentication: accounts, credentials, sessions with rotating refresh
//! tokens, access tokens and e-mail verification.

mod access_tokens;
mod authenticate;
mod change_password;
mod limits;
mod login;
mod passwords;
mod refresh;
mod register;
mod secrets;
mod verification_mail;
mod verify_email;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use nerutalk_domain::event::{Invalidation, LiveEvent, RevokedSessions};
use nerutalk_domain::{SessionId, UserId, user::User};
use nerutalk_ports::{
    Clock, EmailVerificationRepository, EventBus, Mailer, RateLimiter, SessionRepository,
    Translator, UserRepository,
};
use secrecy::SecretString;

pub use access_tokens::AccessClaims;
pub use access_tokens::AccessTokens;
pub use change_password::PasswordChange;
pub use limits::AuthLimits;
pub use login::Login;
pub use passwords::{HashingLimits, PasswordHasher};
pub use register::Registration;

use crate::AppError;

/// Lifetimes and costs of credentials.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub jwt_secret: SecretString,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub verification_ttl: Duration,
    /// Where the verification mail's link points, without its token
    /// (`https://chat.example.com/api/v1/auth/verify-email`).
    pub verification_link: String,
    pub bcrypt_cost: u32,
    /// How many password hashes run at once, and how many may wait.
    pub hashing: HashingLimits,
    /// How many sign-ins, sign-ups and verification mails an account and
    /// a client address get.
    pub limits: AuthLimits,
}

/// The ports authentication works through.
#[derive(Clone)]
pub struct AuthPorts {
    pub users: Arc<dyn UserRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub verifications: Arc<dyn EmailVerificationRepository>,
    pub mailer: Arc<dyn Mailer>,
    pub translator: Arc<dyn Translator>,
    pub clock: Arc<dyn Clock>,
    /// Tells every node which sessions ended, so their sockets close at once.
    pub bus: Arc<dyn EventBus>,
    /// Counts sign-ins, sign-ups and verification mails, on this node or
    /// on all nodes together.
    pub rate_limiter: Arc<dyn RateLimiter>,
}

impl std::fmt::Debug for AuthPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthPorts").finish_non_exhaustive()
    }
}

/// A caller whose access token checked out, with their current account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    pub user: User,
    pub session_id: SessionId,
}

/// What a successful login or refresh hands to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: User,
}

/// The authentication use cases.
#[derive(Debug, Clone)]
pub struct AuthService {
    ports: AuthPorts,
    passwords: PasswordHasher,
    access_tokens: AccessTokens,
    config: AuthConfig,
}

impl AuthService {
    /// # Errors
    /// [`AppError::Internal`] when the bcrypt cost is out of range.
    pub fn new(ports: AuthPorts, config: AuthConfig) -> Result<Self, AppError> {
        Ok(Self {
            passwords: PasswordHasher::new(config.bcrypt_cost, config.hashing)?,
            access_tokens: AccessTokens::new(&config.jwt_secret, config.access_token_ttl),
            ports,
            config,
        })
    }

    /// Seconds an access token lives, for clients that schedule refreshes.
    #[must_use]
    pub fn access_token_ttl(&self) -> Duration {
        self.config.access_token_ttl
    }

    /// Has every node drop its copies of sessions just revoked, so that
    /// their tokens are refused everywhere at once, and close their live
    /// connections instead of at their next periodic check. This node's
    /// copies went with the revocation itself; should the bus be down, the
    /// other nodes are told to keep no copies by their own bus, and every
    /// copy expires within the cache TTL anyway (see docs/architecture.md,
    /// "Caches").
    async fn close_connections(&self, user_id: UserId, revoked: RevokedSessions) {
        self.invalidate(Invalidation::Sessions { user_id, revoked })
            .await;
        let event = LiveEvent::SessionsRevoked(revoked);
        if let Err(error) = self.ports.bus.publish(&[user_id], &event).await {
            tracing::warn!(
                %user_id,
                error = %crate::error::cause_chain(&error),
                "revocation not pushed; sockets close at their next session check"
            );
        }
    }

    /// Tells every node that `what` changed. Best effort, as
    /// [`Self::close_connections`] explains.
    async fn invalidate(&self, what: Invalidation) {
        if let Err(error) = self.ports.bus.invalidate(&what).await {
            tracing::warn!(
                ?what,
                error = %crate::error::cause_chain(&error),
                "invalidation not published; other nodes' copies expire with the cache TTL"
            );
        }
    }
}

/// Adds a std duration to a time, saturating instead of overflowing.
fn after(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(ttl)
        .ok()
        .and_then(|delta| now.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
pub(crate) mod test_support;
