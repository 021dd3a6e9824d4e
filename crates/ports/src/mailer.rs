//! Outgoing e-mail.

use async_trait::async_trait;
use nerutalk_domain::{Language, user::Email};

/// A mail, already rendered in its recipient's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: Email,
    /// The language the texts are in (a mail's `Content-Language`).
    pub language: Language,
    pub subject: String,
    /// The plain-text part; it says everything the HTML part says.
    pub text: String,
    /// The HTML part, escaped and complete (`<!DOCTYPE html>…`).
    pub html: String,
    /// The one link the mail asks its reader to follow (`…/verify-email?token=…`):
    /// a mailer that keeps mail instead of delivering it logs this, so that
    /// a developer without SMTP can follow it. It is as secret as the body.
    pub link: Option<String>,
    /// What the mail is for, for logs and the outbox.
    pub kind: MailKind,
}

/// What a mail is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    EmailVerification,
}

impl MailKind {
    /// The stable name logs, the outbox and queued mail use.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::EmailVerification => "email_verification",
        }
    }

    /// The kind named `name`, as [`Self::as_str`] writes it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::EmailVerification]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

impl std::fmt::Display for MailKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a mail was not delivered, told apart by what a retry would do.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The mail server could not be reached, timed out, or answered "try
    /// later" (an SMTP 4xx): the same mail may go through on a later try.
    #[error("mail not delivered for now: {0}")]
    Transient(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The mail was refused for good (an SMTP 5xx, an address or message the
    /// server or the client cannot use): sending it again fails again.
    #[error("mail refused: {0}")]
    Permanent(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl MailError {
    /// Wraps any error as [`MailError::Transient`].
    pub fn transient(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Transient(error.into())
    }

    /// Wraps any error as [`MailError::Permanent`].
    pub fn permanent(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Permanent(error.into())
    }

    /// Whether sending the same mail again later may succeed.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }

    /// A stable code for logs and for the jobs that retry mail.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Transient(_) => "mail.transient",
            Self::Permanent(_) => "mail.permanent",
        }
    }
}

/// A mailer that keeps mail in a store reports the store's failures: an
/// unreachable store is worth retrying, anything else is not.
impl From<crate::PortError> for MailError {
    fn from(error: crate::PortError) -> Self {
        match error {
            crate::PortError::Unavailable(_) => Self::Transient(Box::new(error)),
            other => Self::Permanent(Box::new(other)),
        }
    }
}

/// For use cases that only need to know whether to answer "unavailable".
impl From<MailError> for crate::PortError {
    fn from(error: MailError) -> Self {
        match error {
            MailError::Transient(_) => Self::Unavailable(Box::new(error)),
            MailError::Permanent(_) => Self::Internal(Box::new(error)),
        }
    }
}

/// Delivers one mail now, or keeps it for later delivery.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers one mail (or, for a mailer that keeps mail, stores it).
    /// Nothing is retried here: a caller that wants retries (a job) sends
    /// again after a [`MailError::Transient`].
    ///
    /// # Errors
    /// [`MailError::Transient`] when a later try may succeed,
    /// [`MailError::Permanent`] when it cannot.
    async fn send(&self, mail: OutgoingMail) -> Result<(), MailError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PortError;

    #[test]
    fn only_an_unreachable_store_is_worth_a_retry() {
        assert!(MailError::from(PortError::unavailable("pool timed out")).is_transient());
        assert!(!MailError::from(PortError::internal("bad row")).is_transient());
        assert!(matches!(
            PortError::from(MailError::transient("451")),
            PortError::Unavailable(_)
        ));
        assert!(matches!(
            PortError::from(MailError::permanent("550")),
            PortError::Internal(_)
        ));
        assert_eq!(MailError::permanent("550").code(), "mail.permanent");
    }
}
