//! The embedded default's [`Mailer`]: mail is kept in the `mail_outbox` table
//! and written to the log, so a developer without SMTP can still verify an
//! account. A delivering mailer can drain the same table later.

use async_trait::async_trait;
use chrono::Utc;
use diesel::prelude::*;
use nerutalk_domain::ids::MailId;
use nerutalk_ports::{Mailer, OutgoingMail, PortError};

use crate::SqlStore;
use crate::schema::mail_outbox;
use crate::types::DbUuid;

/// Keeps outgoing mail in the outbox table.
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    store: SqlStore,
}

impl OutboxMailer {
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }
}

/// A mail waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub kind: String,
    pub subject: String,
    pub body: String,
}

impl OutboxMailer {
    /// The unsent mail to `recipient`, oldest first: what a delivery worker
    /// (or a developer without SMTP) reads.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the database cannot be read.
    pub async fn queued(&self, recipient: &str) -> Result<Vec<QueuedMail>, PortError> {
        let recipient = recipient.trim().to_lowercase();
        let rows: Vec<(String, String, String)> = self
            .store
            .run(move |connection| {
                mail_outbox::table
                    .filter(mail_outbox::recipient.eq(recipient))
                    .filter(mail_outbox::sent_at.is_null())
                    .order(mail_outbox::created_at.asc())
                    .select((mail_outbox::kind, mail_outbox::subject, mail_outbox::body))
                    .load(connection)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(kind, subject, body)| QueuedMail {
                kind,
                subject,
                body,
            })
            .collect())
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: OutgoingMail) -> Result<(), PortError> {
        tracing::info!(
            to = mail.to.as_str(),
            kind = mail.kind,
            subject = %mail.subject,
            body = %mail.body,
            "mail kept in the outbox (no mail delivery is configured)"
        );
        self.store
            .run(move |connection| {
                diesel::insert_into(mail_outbox::table)
                    .values((
                        mail_outbox::id.eq(DbUuid::from(MailId::generate())),
                        mail_outbox::recipient.eq(mail.to.as_str()),
                        mail_outbox::kind.eq(mail.kind),
                        mail_outbox::subject.eq(&mail.subject),
                        mail_outbox::body.eq(&mail.body),
                        mail_outbox::created_at.eq(Utc::now().naive_utc()),
                    ))
                    .execute(connection)
                    .map(|_| ())
            })
            .await
    }
}
