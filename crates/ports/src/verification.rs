//! Single-use, expiring e-mail verification tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::{UserId, ids::VerificationId};

use crate::PortError;

/// A verification request to store; only the token's hash is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmailVerification {
    pub id: VerificationId,
    pub user_id: UserId,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a verification token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationOutcome {
    /// The user is now verified and the token spent.
    Verified(UserId),
    /// The token was already spent.
    AlreadyUsed,
    Expired,
    Unknown,
}

/// Persistence of verification tokens.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait EmailVerificationRepository: Send + Sync {
    /// Stores a new token, spending every earlier unused one of the user.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when the user does not exist.
    async fn issue(
        &self,
        verification: NewEmailVerification,
        now: DateTime<Utc>,
    ) -> Result<(), PortError>;

    /// In one transaction: spends the token and marks its user verified.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn verify(
        &self,
        token_hash: String,
        now: DateTime<Utc>,
    ) -> Result<VerificationOutcome, PortError>;
}
