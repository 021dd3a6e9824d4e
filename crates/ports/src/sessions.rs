//! Sign-in sessions and their rotating refresh tokens.
//!
//! A session is one family of refresh tokens: each use of a token replaces it
//! with a new one, and presenting a replaced token again means it was stolen,
//! so the whole family is revoked.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::{SessionId, UserId, ids::RefreshTokenId};

use crate::PortError;

/// A refresh token to store; only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    pub id: RefreshTokenId,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// The result of presenting a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationOutcome {
    /// The token was current: it is now used and the replacement stored.
    Rotated {
        user_id: UserId,
        session_id: SessionId,
    },
    /// The token had been used before: its session, `user_id`'s, is now
    /// revoked.
    ReuseDetected {
        user_id: UserId,
        session_id: SessionId,
    },
    /// The token is past its expiry; nothing changed.
    Expired,
    /// The token's session was revoked (logout, password change, reuse).
    Revoked,
    /// No such token.
    Unknown,
}

/// Whether a session may still be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionState {
    pub user_id: UserId,
    pub revoked: bool,
}

/// Persistence of sessions and refresh tokens.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Starts a session with its first refresh token, in one transaction.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when the user does not exist.
    async fn start(
        &self,
        session_id: SessionId,
        user_id: UserId,
        first_token: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<(), PortError>;

    /// Presents a refresh token by its hash and, in one transaction, either
    /// rotates it to `replacement` or reports why not (revoking the session
    /// when the token is a reused one).
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn rotate(
        &self,
        presented_hash: String,
        replacement: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RotationOutcome, PortError>;

    /// # Errors
    /// [`PortError::NotFound`] when there is no such session.
    async fn state(&self, session_id: SessionId) -> Result<SessionState, PortError>;

    /// Revokes one session; revoking a revoked session changes nothing.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when there is no such session.
    async fn revoke(&self, session_id: SessionId, now: DateTime<Utc>) -> Result<(), PortError>;

    /// Revokes every session of a user but `keep`.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn revoke_all_except(
        &self,
        user_id: UserId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, PortError>;
}
