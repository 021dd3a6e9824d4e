//! Mail end to end: the verification mail in the recipient's language, its
//! link followed to a verified account. With `SMTP_URL` set the mail goes
//! to a real SMTP server (aiosmtpd, started by `cargo xtask test`) and
//! neither its body nor its code reaches the log; without it, the outbox
//! keeps the mail and logs the link.

#![expect(clippy::expect_used, reason = "tests expect")]
#![expect(clippy::unwrap_used, reason = "tests unwrap")]

#[macro_use]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use nerutalk_smtp::testing::TestSmtpServer;
use serde_json::Value;
use support::{Backend, PASSWORD, TestApp};
use tracing_subscriber::fmt::MakeWriter;

const LINK_PATH: &str = "/api/v1/auth/verify-email?token=";

/// Everything every server in this test binary logs, at debug and above.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Log {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

impl Log {
    /// The log of this process, captured from the first call on.
    fn captured() -> &'static Self {
        static LOG: OnceLock<Log> = OnceLock::new();
        LOG.get_or_init(|| {
            let log = Log::default();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(log.clone())
                .with_ansi(false)
                .with_max_level(tracing::Level::DEBUG)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
            log
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn register_in(app: &TestApp, email: &str, username: &str, language: &str) {
    let reply = app
        .send(
            "POST",
            "/api/v1/auth/register",
            None,
            &[("Accept-Language", language)],
            Some(serde_json::json!({
                "email": email, "username": username,
                "password": PASSWORD, "confirm_password": PASSWORD,
            })),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{:#}", reply.body);
}

/// Follows a link from a mail as a browser would, in `language`.
async fn follow(app: &TestApp, link: &str, language: &str) -> (u16, Value) {
    let mut response = app
        .client
        .get(link)
        .insert_header(("Accept-Language", language))
        .send()
        .await
        .unwrap();
    let body = response.body().await.unwrap();
    (
        response.status().as_u16(),
        serde_json::from_slice(&body).unwrap(),
    )
}

async fn is_verified(app: &TestApp, login: &str) -> bool {
    let (access, _) = app.login(login, PASSWORD).await;
    let me = app.get("/api/v1/auth/me", Some(&access)).await;
    me.body["data"]["is_verified"].as_bool().unwrap()
}

#[actix_web::test]
#[ignore = "needs an SMTP server: cargo xtask test"]
async fn with_smtp_the_mail_arrives_in_the_recipients_language_and_its_link_verifies() {
    let log = Log::captured();
    let smtp = TestSmtpServer::from_env();
    // With SMTP, the public address is required: the server's own, here.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.port = port;
        settings.public_url = Some(format!("http://localhost:{port}"));
        settings.smtp_url = Some(secrecy::SecretString::from(smtp.url().to_owned()));
        settings.mail_from = Some("NeruTalk <no-reply@nerutalk.test>".to_owned());
    })
    .await;
    let email = format!("min-{}@example.com", uuid::Uuid::now_v7().simple());
    register_in(&app, &email, "minji", "ko-KR,ko;q=0.9").await;

    let received = smtp.received(&email).await;
    assert_eq!(received.len(), 1, "one mail per registration");
    let mail = &received[0];
    assert_eq!(mail.recipient, email);
    assert!(
        mail.from.contains("no-reply@nerutalk.test"),
        "{}",
        mail.from
    );
    assert_eq!(mail.subject, "NeruTalk 이메일 주소를 인증해 주세요");
    assert_eq!(mail.content_language.as_deref(), Some("ko"));
    assert!(mail.text.contains("minji님, 안녕하세요."), "{}", mail.text);
    assert!(mail.html.contains("minji님, 안녕하세요."), "{}", mail.html);
    assert!(mail.html.contains("<html lang=\"ko\">"), "{}", mail.html);

    // The link and the code each stand on a line of their own.
    let prefix = format!("{}{LINK_PATH}", app.base.replace("127.0.0.1", "localhost"));
    let link = mail
        .text
        .lines()
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix}: {}", mail.text))
        .to_owned();
    let code = link.strip_prefix(&prefix).unwrap();
    assert!(mail.text.lines().any(|line| line == code), "{}", mail.text);
    assert!(
        mail.html.contains(&format!("<a href=\"{link}\"")),
        "{}",
        mail.html
    );

    let (status, body) = follow(&app, &link, "ko").await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["language"], "ko");
    assert!(is_verified(&app, &email).await);

    let log = log.text();
    assert!(log.contains("mail delivered over SMTP"), "{log}");
    assert!(!log.contains(code), "the code is in the log: {log}");
    assert!(!log.contains("안녕하세요"), "the body is in the log: {log}");
}

#[actix_web::test]
async fn without_smtp_the_outbox_logs_a_link_that_verifies() {
    let log = Log::captured();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = format!("budi-{}@example.com", uuid::Uuid::now_v7().simple());
    register_in(&app, &email, "budi", "id").await;
    // Delivered by the job runner: once the outbox holds it, it was logged.
    app.outbox(&email).await;

    let prefix = format!("{}{LINK_PATH}", app.base.replace("127.0.0.1", "localhost"));
    let text = log.text();
    let line = text
        .lines()
        .find(|line| line.contains("mail kept in the outbox") && line.contains(&email))
        .unwrap_or_else(|| panic!("no outbox line for {email}: {text}"));
    let start = line.find(&prefix).expect("the line holds the link");
    let link: String = line[start..]
        .chars()
        .take_while(|character| !character.is_whitespace() && *character != '"')
        .collect();
    assert!(line.contains("language=id"), "{line}");
    assert_eq!(
        &link[prefix.len()..],
        app.verification_code(&email).await,
        "the logged link carries the mailed code"
    );

    let (status, body) = follow(&app, &link, "id").await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["message"], "Alamat email Anda telah diverifikasi.");
    assert!(is_verified(&app, &email).await);
    let (status, body) = follow(&app, &link, "en").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("auth.verification_token_used")),
        "{body:#}"
    );
}

#[actix_web::test]
async fn the_link_route_answers_like_the_post() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.get("/api/v1/auth/verify-email?token=nonsense", None)
        .await
        .assert_error(422, "auth.verification_token_invalid");
    app.get("/api/v1/auth/verify-email", None)
        .await
        .assert_error(400, "request.invalid_query");
    app.get("/api/v1/auth/verify-email?token=a%00b", None)
        .await
        .assert_error(422, "validation.control_characters");
}

#[actix_web::test]
async fn the_outbox_keeps_the_plain_text_with_the_hours_spelled_for_the_language() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.email_verification_expire_hours = 1;
    })
    .await;
    register_in(&app, "hana@example.com", "hana", "en").await;
    register_in(&app, "yuki@example.com", "yuki", "ja").await;
    let english = &app.outbox("hana@example.com").await[0];
    assert_eq!(english.subject, "Verify your NeruTalk e-mail address");
    assert!(
        english.body.starts_with("Hello hana,\n\n"),
        "{}",
        english.body
    );
    assert!(
        english
            .body
            .contains("The link and the code expire in one hour."),
        "{}",
        english.body
    );
    let japanese = &app.outbox("yuki@example.com").await[0];
    assert_eq!(
        japanese.subject,
        "NeruTalkのメールアドレスを認証してください"
    );
    assert!(
        japanese.body.contains("有効期限は1時間です"),
        "{}",
        japanese.body
    );
}
