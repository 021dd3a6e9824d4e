//! Outgoing e-mail.

use async_trait::async_trait;
use nerutalk_domain::user::Email;

/// A mail, already rendered in its recipient's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: Email,
    pub subject: String,
    pub body: String,
    /// What the mail is for (`email_verification`), for logs and the outbox.
    pub kind: &'static str,
}

/// Delivers mail, or keeps it for later delivery.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands one mail over for delivery.
    ///
    /// # Errors
    /// [`crate::PortError::Unavailable`] when the mail could not be accepted.
    async fn send(&self, mail: OutgoingMail) -> Result<(), crate::PortError>;
}
