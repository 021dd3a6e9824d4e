//! [`SmtpMailer`]: one SMTP conversation per mail, classified on failure
//! into "try again later" and "never", so that a job can retry the first.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use nerutalk_ports::{MailError, Mailer, OutgoingMail};

use crate::message;

/// How long one SMTP conversation may take. A mail server that is slower
/// than this is treated as unreachable: the failure is transient.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Delivers mail through the SMTP server named by `SMTP_URL`.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    // Not the transport: its credentials would print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// An `SMTP_URL` or `MAIL_FROM` that cannot be used. Neither message
/// repeats the URL, which may hold a password.
#[derive(Debug, thiserror::Error)]
pub enum SmtpSetupError {
    #[error(
        "SMTP_URL is not an SMTP URL (smtp://host:port, smtps://user:password@host, \
         smtp://host?tls=required or ?tls=opportunistic): {0}"
    )]
    Url(#[source] smtp::Error),
    #[error("MAIL_FROM is not a mailbox (`NeruTalk <no-reply@example.com>`): {0}")]
    From(#[source] lettre::address::AddressError),
}

impl SmtpSetupError {
    /// A stable code for the start-up log.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Url(_) => "smtp.url_invalid",
            Self::From(_) => "smtp.from_invalid",
        }
    }
}

impl SmtpMailer {
    /// A mailer for the server at `url` (lettre's URL form: `smtp://` in
    /// plain text or with `?tls=required|opportunistic` STARTTLS, `smtps://`
    /// for TLS from the first byte, `user:password@` for AUTH), sending as
    /// `from`. Nothing connects yet: an unreachable server does not stop
    /// the start, it fails each mail as transient.
    ///
    /// # Errors
    /// [`SmtpSetupError`] for a malformed URL or sender.
    pub fn new(url: &str, from: &str) -> Result<Self, SmtpSetupError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(SmtpSetupError::Url)?
            .timeout(Some(TIMEOUT))
            .build();
        let from = from.parse().map_err(SmtpSetupError::From)?;
        Ok(Self { transport, from })
    }
}

/// A 5xx reply or a message the client cannot send is final; a 4xx reply,
/// a timeout, a refused connection, a TLS or network failure may pass.
fn classify(error: smtp::Error) -> MailError {
    if error.is_permanent() || error.is_client() {
        MailError::permanent(error)
    } else {
        MailError::transient(error)
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: OutgoingMail) -> Result<(), MailError> {
        // Neither the body nor the link reaches the log: they carry codes.
        let (kind, language) = (mail.kind.as_str(), mail.language);
        let message = message::build(&self.from, mail)?;
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::info!(kind, language = language.code(), "mail delivered over SMTP");
                Ok(())
            }
            Err(error) => {
                let error = classify(error);
                tracing::warn!(kind, code = error.code(), %error, "mail not delivered over SMTP");
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::Language;
    use nerutalk_domain::user::Email;

    use super::*;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            to: Email::parse("ada@example.com").unwrap(),
            language: Language::En,
            subject: "subject".to_owned(),
            text: "text".to_owned(),
            html: "<p>html</p>".to_owned(),
            link: None,
            kind: nerutalk_ports::MailKind::EmailVerification,
        }
    }

    #[test]
    fn bad_settings_are_named_without_repeating_the_url() {
        let url = SmtpMailer::new("imap://user:hunter2@mail.example.com", "a@example.com");
        let error = url.unwrap_err();
        assert_eq!(error.code(), "smtp.url_invalid");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        let from = SmtpMailer::new("smtp://127.0.0.1:25", "not a mailbox").unwrap_err();
        assert_eq!(from.code(), "smtp.from_invalid");
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://127.0.0.1?tls=required",
            "smtp://127.0.0.1?tls=opportunistic",
            "smtps://user:pass%40word@mail.example.com",
        ] {
            assert!(
                SmtpMailer::new(url, "NeruTalk <no-reply@example.com>").is_ok(),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn a_server_that_is_not_there_is_a_transient_failure() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let mailer =
            SmtpMailer::new(&format!("smtp://127.0.0.1:{closed}"), "a@example.com").unwrap();
        let error = mailer.send(mail()).await.unwrap_err();
        assert!(error.is_transient(), "{error:?}");
    }
}
