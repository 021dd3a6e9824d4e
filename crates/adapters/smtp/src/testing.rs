//! What a test SMTP server received. `cargo xtask test` starts aiosmtpd
//! with its Maildir handler and names the server and the directory in
//! [`URL_VARIABLE`] and [`MAILDIR_VARIABLE`]; tests that need them are
//! ignored by plain `cargo test`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, PartType};

/// The `SMTP_URL` of the test server (`smtp://127.0.0.1:<port>`).
pub const URL_VARIABLE: &str = "NERUTALK_TEST_SMTP_URL";
/// The Maildir the test server writes every mail it accepts into.
pub const MAILDIR_VARIABLE: &str = "NERUTALK_TEST_MAILDIR";
/// How long [`TestSmtpServer::received`] waits for a mail.
const WAIT: Duration = Duration::from_secs(10);

/// The test server named by the environment.
#[derive(Debug, Clone)]
pub struct TestSmtpServer {
    url: String,
    maildir: PathBuf,
}

/// One mail as the server received it, decoded.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope recipient (`RCPT TO`), as aiosmtpd records it.
    pub recipient: String,
    pub from: String,
    pub subject: String,
    pub content_language: Option<String>,
    /// The `text/plain` part, decoded.
    pub text: String,
    /// The `text/html` part, decoded.
    pub html: String,
    /// The whole message as it arrived, undecoded.
    pub raw: String,
}

impl TestSmtpServer {
    /// The server `cargo xtask test` started.
    ///
    /// # Panics
    /// When the variables are not set: the test was run without xtask.
    #[must_use]
    pub fn from_env() -> Self {
        let variable = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is not set: run the SMTP tests with `cargo xtask test`")
            })
        };
        Self {
            url: variable(URL_VARIABLE),
            maildir: PathBuf::from(variable(MAILDIR_VARIABLE)),
        }
    }

    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every mail received for `recipient` so far, oldest first, once there
    /// is at least one.
    ///
    /// # Panics
    /// When none arrives within ten seconds, or one cannot be parsed.
    pub async fn received(&self, recipient: &str) -> Vec<ReceivedMail> {
        let started = Instant::now();
        loop {
            let mail = self.read(recipient);
            if !mail.is_empty() {
                return mail;
            }
            assert!(
                started.elapsed() < WAIT,
                "no mail for {recipient} in {}",
                self.maildir.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The mail for `recipient` now in the Maildir (`new/`), oldest first.
    fn read(&self, recipient: &str) -> Vec<ReceivedMail> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let modified = entry.metadata().and_then(|meta| meta.modified()).ok()?;
                Some((modified, entry.path()))
            })
            .collect();
        files.sort();
        files
            .iter()
            .filter_map(|(_, path)| parse(path))
            .filter(|mail| mail.recipient.eq_ignore_ascii_case(recipient))
            .collect()
    }
}

/// One Maildir file, or `None` while aiosmtpd is still writing it.
fn parse(path: &Path) -> Option<ReceivedMail> {
    let raw = std::fs::read(path).ok()?;
    let message = MessageParser::default().parse(&raw)?;
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|value| value.trim().to_owned())
    };
    let part = |html: bool| {
        message
            .parts
            .iter()
            .find_map(|part| match (&part.body, html) {
                (PartType::Text(text), false) | (PartType::Html(text), true) => {
                    Some(text.to_string())
                }
                _ => None,
            })
    };
    Some(ReceivedMail {
        recipient: header("X-RcptTo")?,
        from: header("From").unwrap_or_default(),
        subject: message.subject().unwrap_or_default().to_owned(),
        content_language: header("Content-Language"),
        text: part(false).unwrap_or_default(),
        html: part(true).unwrap_or_default(),
        raw: String::from_utf8_lossy(&raw).into_owned(),
    })
}
