//! `SmtpMailer` against a real SMTP server (aiosmtpd, started by
//! `cargo xtask test`): what arrives is what was sent, in both parts.

use nerutalk_domain::Language;
use nerutalk_domain::user::Email;
use nerutalk_ports::{Mailer, OutgoingMail};
use nerutalk_smtp::SmtpMailer;
use nerutalk_smtp::testing::TestSmtpServer;

#[tokio::test]
#[ignore = "needs an SMTP server: cargo xtask test"]
async fn delivers_the_subject_both_parts_and_the_language_to_the_recipient() {
    let server = TestSmtpServer::from_env();
    let mailer = SmtpMailer::new(server.url(), "NeruTalk <no-reply@nerutalk.test>").unwrap();
    let recipient = format!("smtp-{}@example.com", std::process::id());
    let link = "http://localhost:8080/api/v1/auth/verify-email?token=abc_DEF-123";
    mailer
        .send(OutgoingMail {
            to: Email::parse(&recipient).unwrap(),
            language: Language::Ja,
            subject: "NeruTalkのメールアドレスを認証してください".to_owned(),
            text: format!("こんにちは\n\n{link}\n\nabc_DEF-123"),
            html: format!("<p>こんにちは</p><p><a href=\"{link}\">認証</a></p>"),
            link: Some(link.to_owned()),
            kind: nerutalk_ports::MailKind::EmailVerification,
        })
        .await
        .unwrap();

    let received = server.received(&recipient).await;
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.recipient, recipient);
    assert!(
        mail.raw.contains(&format!("To: {recipient}")),
        "{}",
        mail.raw
    );
    assert!(
        mail.from.contains("no-reply@nerutalk.test"),
        "{}",
        mail.from
    );
    assert_eq!(mail.subject, "NeruTalkのメールアドレスを認証してください");
    assert_eq!(mail.content_language.as_deref(), Some("ja"));
    assert_eq!(
        mail.text.trim_end(),
        format!("こんにちは\n\n{link}\n\nabc_DEF-123")
    );
    assert!(
        mail.html.contains(&format!("<a href=\"{link}\">認証</a>")),
        "{}",
        mail.html
    );
    assert!(mail.raw.contains("multipart/alternative"), "{}", mail.raw);
}
