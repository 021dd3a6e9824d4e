//! The embedded default's [`Mailer`]: mail is kept in the `mail_outbox` table
//! and its link written to the log, so a developer without SMTP can still
//! verify an account by following it. A delivering mailer can drain the
//! same table later.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use nerutalk_domain::ids::MailId;
use nerutalk_ports::{Clock, MailError, Mailer, OutgoingMail, PortError};

use crate::SqlStore;
use crate::schema::mail_outbox;
use crate::types::DbUuid;

/// Keeps outgoing mail in the outbox table.
#[derive(Clone)]
pub struct OutboxMailer {
    store: SqlStore,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for OutboxMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMailer")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl OutboxMailer {
    #[must_use]
    pub fn new(store: SqlStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

/// A mail waiting in the outbox. The table keeps the plain-text part only:
/// it says everything the HTML part says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<chrono::Utc>,
}

impl OutboxMailer {
    /// The unsent mail to `recipient`, oldest first: what a delivery worker
    /// (or a developer without SMTP) reads.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the database cannot be read.
    pub async fn queued(&self, recipient: &str) -> Result<Vec<QueuedMail>, PortError> {
        let recipient = recipient.trim().to_lowercase();
        let rows: Vec<(String, String, String, NaiveDateTime)> = self
            .store
            .run(move |connection| {
                mail_outbox::table
                    .filter(mail_outbox::recipient.eq(recipient))
                    .filter(mail_outbox::sent_at.is_null())
                    .order(mail_outbox::created_at.asc())
                    .select((
                        mail_outbox::kind,
                        mail_outbox::subject,
                        mail_outbox::body,
                        mail_outbox::created_at,
                    ))
                    .load(connection)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(kind, subject, body, created_at)| QueuedMail {
                kind,
                subject,
                body,
                created_at: created_at.and_utc(),
            })
            .collect())
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: OutgoingMail) -> Result<(), MailError> {
        // The link, not the body: it is all a developer needs, and one line.
        tracing::info!(
            to = mail.to.as_str(),
            kind = mail.kind.as_str(),
            language = %mail.language,
            link = %mail.link.as_deref().unwrap_or_default(),
            "mail kept in the outbox (SMTP_URL is not set); follow its link to act on it"
        );
        let created_at = self.clock.now().naive_utc();
        self.store
            .run(move |connection| {
                diesel::insert_into(mail_outbox::table)
                    .values((
                        mail_outbox::id.eq(DbUuid::from(MailId::generate())),
                        mail_outbox::recipient.eq(mail.to.as_str()),
                        mail_outbox::kind.eq(mail.kind.as_str()),
                        mail_outbox::subject.eq(&mail.subject),
                        mail_outbox::body.eq(&mail.text),
                        mail_outbox::created_at.eq(created_at),
                    ))
                    .execute(connection)
                    .map(|_| ())
            })
            .await
            .map_err(MailError::from)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use nerutalk_domain::Language;
    use nerutalk_domain::user::Email;

    use super::*;
    use crate::DatabaseUrl;

    struct Fixed(DateTime<Utc>);

    impl Clock for Fixed {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }

    #[tokio::test]
    async fn keeps_the_plain_text_stamped_by_the_clock() {
        let dir = std::env::temp_dir().join(format!("nerutalk-outbox-{}", uuid::Uuid::now_v7()));
        let url = DatabaseUrl::parse(&format!("sqlite://{}/outbox.db", dir.display()));
        let store = SqlStore::connect(&url, 1).unwrap();
        store.migrate().await.unwrap();
        let then = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
        let outbox = OutboxMailer::new(store, Arc::new(Fixed(then)));
        outbox
            .send(OutgoingMail {
                to: Email::parse("Ada@Example.com").unwrap(),
                language: Language::Ko,
                subject: "subject".to_owned(),
                text: "plain".to_owned(),
                html: "<p>html</p>".to_owned(),
                link: Some("http://localhost/verify?token=t".to_owned()),
                kind: nerutalk_ports::MailKind::EmailVerification,
            })
            .await
            .unwrap();
        let queued = outbox.queued("ada@example.com").await.unwrap();
        assert_eq!(
            queued,
            [QueuedMail {
                kind: "email_verification".to_owned(),
                subject: "subject".to_owned(),
                body: "plain".to_owned(),
                created_at: then,
            }]
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
