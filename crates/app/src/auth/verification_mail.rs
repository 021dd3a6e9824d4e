//! The verification mail in its recipient's language: a plain-text and an
//! HTML part built from the same Fluent strings, so the two always say the
//! same thing. Every string is escaped before it enters the HTML; no
//! template engine is needed for one short mail.

use nerutalk_domain::Language;
use nerutalk_domain::user::User;
use nerutalk_ports::{MailKind, MessageArg, OutgoingMail, Translator};

use crate::messages;

/// The parts of one verification mail that differ between mails.
pub(super) struct VerificationMail<'a> {
    pub user: &'a User,
    pub token: &'a str,
    /// The link without its token (`https://chat.example.com/api/v1/auth/verify-email`).
    pub link_base: &'a str,
    /// How long the token lives, in whole hours (at least one).
    pub hours: i64,
}

impl VerificationMail<'_> {
    pub(super) fn render(&self, translator: &dyn Translator) -> OutgoingMail {
        let language = self.user.language.unwrap_or_default();
        // The token is URL-safe base64, so it needs no percent-encoding.
        let link = format!("{}?token={}", self.link_base, self.token);
        let args = [
            (
                "username",
                MessageArg::Text(self.user.username.as_str().to_owned()),
            ),
            ("hours", MessageArg::Number(self.hours.max(1))),
        ];
        let text = |id| translator.translate(language, id, &args);
        let texts = Texts {
            subject: text(messages::MAIL_VERIFICATION_SUBJECT),
            greeting: text(messages::MAIL_VERIFICATION_GREETING),
            intro: text(messages::MAIL_VERIFICATION_INTRO),
            button: text(messages::MAIL_VERIFICATION_BUTTON),
            code: text(messages::MAIL_VERIFICATION_CODE),
            expiry: text(messages::MAIL_VERIFICATION_EXPIRY),
        };
        OutgoingMail {
            to: self.user.email.clone(),
            language,
            text: texts.plain(&link, self.token),
            html: texts.html(language, &link, self.token),
            subject: texts.subject,
            link: Some(link),
            kind: MailKind::EmailVerification,
        }
    }
}

/// The mail's sentences, translated.
struct Texts {
    subject: String,
    greeting: String,
    intro: String,
    button: String,
    code: String,
    expiry: String,
}

impl Texts {
    /// The link and the code each stand on a line of their own, so that a
    /// mail client makes the link clickable and a reader can copy the code.
    fn plain(&self, link: &str, token: &str) -> String {
        [
            self.greeting.as_str(),
            &self.intro,
            link,
            &self.code,
            token,
            &self.expiry,
        ]
        .join("\n\n")
    }

    fn html(&self, language: Language, link: &str, token: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{subject}</title>\n</head>\n\
             <body style=\"font-family: sans-serif; line-height: 1.5; color: #1f2328;\">\n\
             <p>{greeting}</p>\n<p>{intro}</p>\n\
             <p><a href=\"{link}\" style=\"display: inline-block; padding: 10px 18px; \
             background: #0969da; color: #ffffff; border-radius: 6px; text-decoration: none;\">\
             {button}</a></p>\n\
             <p>{code}</p>\n\
             <p style=\"font-family: monospace; font-size: 1.2em;\">{token}</p>\n\
             <p style=\"color: #59636e;\">{expiry}</p>\n</body>\n</html>\n",
            lang = escape(language.code()),
            subject = escape(&self.subject),
            greeting = escape(&self.greeting),
            intro = escape(&self.intro),
            link = escape(link),
            button = escape(&self.button),
            code = escape(&self.code),
            token = escape(token),
            expiry = escape(&self.expiry),
        )
    }
}

/// Escapes text for HTML element content and quoted attribute values alike.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use nerutalk_domain::UserId;

    use super::*;
    use crate::auth::test_support::stored_user;

    /// Answers with the id and the arguments, so a test sees what was asked.
    struct Echo;

    impl Translator for Echo {
        fn translate(&self, language: Language, id: &str, args: &[(&str, MessageArg)]) -> String {
            let args: Vec<String> = args
                .iter()
                .map(|(name, value)| match value {
                    MessageArg::Text(text) => format!("{name}={text}"),
                    MessageArg::Number(number) => format!("{name}={number}"),
                })
                .collect();
            format!("{}:{id}<{}>&\"'", language.code(), args.join(","))
        }
    }

    fn mail() -> OutgoingMail {
        let mut user = stored_user(UserId::generate(), "ada@example.com", "ada");
        user.language = Some(Language::Ja);
        VerificationMail {
            user: &user,
            token: "tok-EN_123",
            link_base: "https://chat.example.com/api/v1/auth/verify-email",
            hours: 0,
        }
        .render(&Echo)
    }

    #[test]
    fn is_in_the_recipients_language_with_the_link_and_the_code_on_lines_of_their_own() {
        let mail = mail();
        let link = "https://chat.example.com/api/v1/auth/verify-email?token=tok-EN_123";
        assert_eq!(mail.language, Language::Ja);
        assert_eq!(mail.to.as_str(), "ada@example.com");
        assert_eq!(mail.kind, MailKind::EmailVerification);
        assert_eq!(mail.link.as_deref(), Some(link));
        assert!(mail.subject.starts_with("ja:mail-verification-subject"));
        let lines: Vec<&str> = mail.text.lines().collect();
        assert!(lines.contains(&link), "{}", mail.text);
        assert!(lines.contains(&"tok-EN_123"), "{}", mail.text);
        assert!(
            mail.text.contains("username=ada,hours=1"),
            "an hour at least"
        );
    }

    #[test]
    fn html_escapes_every_translated_string_and_links_the_token() {
        let html = mail().html;
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<html lang=\"ja\">"));
        assert!(html.contains(
            "<a href=\"https://chat.example.com/api/v1/auth/verify-email?token=tok-EN_123\""
        ));
        assert!(html.contains(
            "ja:mail-verification-button&lt;username=ada,hours=1&gt;&amp;&quot;&#39;</a>"
        ));
        assert!(!html.contains("<username"), "{html}");
        assert!(html.contains(">tok-EN_123</p>"));
    }

    #[test]
    fn escape_leaves_other_text_alone() {
        assert_eq!(
            escape("a<b>&\"c'd 日本"),
            "a&lt;b&gt;&amp;&quot;c&#39;d 日本"
        );
    }
}
