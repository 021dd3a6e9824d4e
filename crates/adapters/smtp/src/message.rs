//! An [`OutgoingMail`] as a MIME message: `multipart/alternative` with the
//! plain text first and the HTML last (the part a client prefers when it
//! can show it), and the recipient's language in `Content-Language`.

use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use nerutalk_domain::Language;
use nerutalk_ports::{MailError, OutgoingMail};

/// The `Content-Language` header (RFC 3282), which lettre does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContentLanguage(pub(crate) Language);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(value: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(Language::parse(value)?))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.code().to_owned())
    }
}

/// Builds the message from `from` to the mail's recipient.
///
/// # Errors
/// [`MailError::Permanent`] when the recipient is not an address lettre
/// accepts or the message cannot be built: retrying cannot change that.
pub(crate) fn build(from: &Mailbox, mail: OutgoingMail) -> Result<Message, MailError> {
    let to = mail.to.as_str().parse().map_err(MailError::permanent)?;
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(mail.subject)
        // `<random@hostname>`, so that threads and bounces can name the mail.
        .message_id(None)
        .header(ContentLanguage(mail.language))
        .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
        .map_err(MailError::permanent)
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::user::Email;

    use super::*;

    #[test]
    fn holds_both_parts_and_the_language() {
        let from: Mailbox = "NeruTalk <no-reply@example.com>".parse().unwrap();
        let message = build(
            &from,
            OutgoingMail {
                to: Email::parse("ada@example.com").unwrap(),
                language: Language::Id,
                subject: "Verifikasi".to_owned(),
                text: "plain words".to_owned(),
                html: "<p>html words</p>".to_owned(),
                link: None,
                kind: nerutalk_ports::MailKind::EmailVerification,
            },
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("Content-Language: id\r\n"), "{raw}");
        assert!(raw.contains("To: ada@example.com\r\n"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        let plain = raw.find("text/plain").unwrap();
        let html = raw.find("text/html").unwrap();
        assert!(plain < html, "plain first, the preferred part last");
        assert_eq!(
            message.envelope().to().first().map(ToString::to_string),
            Some("ada@example.com".to_owned())
        );
    }
}
