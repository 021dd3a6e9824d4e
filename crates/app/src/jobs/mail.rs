//! Mail goes out through the job queue. Use cases hand a mail to
//! [`QueuedMailer`], which stores it as a `mail.deliver` job and answers at
//! once; [`DeliverMail`] later hands it to the delivering [`Mailer`] (SMTP,
//! or the embedded default's outbox). A mail server that is down or says
//! "try later" is tried again with backoff; one that refuses the mail for
//! good ends the job as dead, kept for an operator to read.
//!
//! Delivery is at least once: an attempt cut off after the mail server took
//! the mail but before the job was settled sends it again. SMTP offers no
//! way to ask whether a message already arrived.

use std::sync::Arc;

use async_trait::async_trait;
use nerutalk_domain::Language;
use nerutalk_domain::user::Email;
use nerutalk_ports::{JobKind, MailError, MailKind, Mailer, OutgoingMail};
use serde::{Deserialize, Serialize};

use super::{Job, JobError, JobHandler, JobOutcome, JobScheduler};

/// The kind of the jobs that deliver one mail each.
pub const DELIVER_MAIL: JobKind = JobKind::new("mail.deliver");

/// A mail as it waits in the queue.
#[derive(Debug, Serialize, Deserialize)]
struct QueuedMail {
    to: String,
    language: String,
    subject: String,
    text: String,
    html: String,
    link: Option<String>,
    kind: String,
}

impl From<&OutgoingMail> for QueuedMail {
    fn from(mail: &OutgoingMail) -> Self {
        Self {
            to: mail.to.as_str().to_owned(),
            language: mail.language.code().to_owned(),
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
            link: mail.link.clone(),
            kind: mail.kind.as_str().to_owned(),
        }
    }
}

impl QueuedMail {
    /// The mail again; `None` when a field no longer reads (a kind or a
    /// language this build does not know), which no retry can mend.
    fn into_mail(self) -> Option<OutgoingMail> {
        Some(OutgoingMail {
            to: Email::parse(&self.to).ok()?,
            language: Language::parse(&self.language).ok()?,
            subject: self.subject,
            text: self.text,
            html: self.html,
            link: self.link,
            kind: MailKind::from_name(&self.kind)?,
        })
    }
}

/// The [`Mailer`] use cases hold: it queues each mail for delivery.
#[derive(Debug, Clone)]
pub struct QueuedMailer {
    scheduler: JobScheduler,
}

impl QueuedMailer {
    #[must_use]
    pub fn new(scheduler: JobScheduler) -> Self {
        Self { scheduler }
    }
}

#[async_trait]
impl Mailer for QueuedMailer {
    /// Stores the mail as a job; it is delivered later, and retried.
    async fn send(&self, mail: OutgoingMail) -> Result<(), MailError> {
        let job = self.scheduler.job(DELIVER_MAIL, &QueuedMail::from(&mail))?;
        self.scheduler.enqueue(job).await?;
        Ok(())
    }
}

/// Delivers the mail of a `mail.deliver` job through the real mailer.
#[derive(Clone)]
pub struct DeliverMail {
    mailer: Arc<dyn Mailer>,
}

impl std::fmt::Debug for DeliverMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverMail").finish_non_exhaustive()
    }
}

impl DeliverMail {
    #[must_use]
    pub fn new(mailer: Arc<dyn Mailer>) -> Self {
        Self { mailer }
    }
}

#[async_trait]
impl JobHandler for DeliverMail {
    fn kind(&self) -> JobKind {
        DELIVER_MAIL
    }

    async fn run(&self, job: &Job) -> JobOutcome {
        let queued: QueuedMail = match job.payload() {
            Ok(queued) => queued,
            Err(error) => return JobOutcome::GiveUp(error),
        };
        let Some(mail) = queued.into_mail() else {
            return JobOutcome::GiveUp(JobError::new("mail.unreadable"));
        };
        match self.mailer.send(mail).await {
            Ok(()) => JobOutcome::Done,
            Err(error) if error.is_transient() => {
                JobOutcome::Retry(JobError::new(error.code()).caused_by(error))
            }
            Err(error) => JobOutcome::GiveUp(JobError::new(error.code()).caused_by(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use nerutalk_domain::ids::JobId;

    use super::*;

    /// A mailer that records what it is given and answers as told.
    struct Recording {
        sent: Mutex<Vec<OutgoingMail>>,
        answer: fn() -> Result<(), MailError>,
    }

    #[async_trait]
    impl Mailer for Recording {
        async fn send(&self, mail: OutgoingMail) -> Result<(), MailError> {
            self.sent.lock().unwrap().push(mail);
            (self.answer)()
        }
    }

    fn mail() -> OutgoingMail {
        OutgoingMail {
            to: Email::parse("ada@example.com").unwrap(),
            language: Language::parse("ja").unwrap(),
            subject: "件名".to_owned(),
            text: "本文".to_owned(),
            html: "<p>本文</p>".to_owned(),
            link: Some("http://localhost/verify?token=t".to_owned()),
            kind: MailKind::EmailVerification,
        }
    }

    fn job(payload: String) -> Job {
        Job {
            id: JobId::generate(),
            kind: DELIVER_MAIL,
            payload,
            attempt: 1,
            max_attempts: 10,
        }
    }

    fn handler(answer: fn() -> Result<(), MailError>) -> (DeliverMail, Arc<Recording>) {
        let mailer = Arc::new(Recording {
            sent: Mutex::default(),
            answer,
        });
        (DeliverMail::new(mailer.clone()), mailer)
    }

    #[tokio::test]
    async fn a_queued_mail_is_delivered_as_it_was_written() {
        let (deliver, mailer) = handler(|| Ok(()));
        let payload = serde_json::to_string(&QueuedMail::from(&mail())).unwrap();
        assert!(matches!(deliver.run(&job(payload)).await, JobOutcome::Done));
        assert_eq!(*mailer.sent.lock().unwrap(), [mail()]);
    }

    #[tokio::test]
    async fn a_server_that_is_down_is_tried_again_and_a_refusal_is_final() {
        let payload = serde_json::to_string(&QueuedMail::from(&mail())).unwrap();
        let (deliver, _) = handler(|| Err(MailError::transient("connection refused")));
        assert!(matches!(
            deliver.run(&job(payload.clone())).await,
            JobOutcome::Retry(error) if error.code() == "mail.transient"
        ));
        let (deliver, _) = handler(|| Err(MailError::permanent("550 no such user")));
        assert!(matches!(
            deliver.run(&job(payload)).await,
            JobOutcome::GiveUp(error) if error.code() == "mail.permanent"
        ));
    }

    #[tokio::test]
    async fn a_payload_that_does_not_read_is_given_up_without_mailing() {
        let (deliver, mailer) = handler(|| Ok(()));
        assert!(matches!(
            deliver.run(&job("{}".to_owned())).await,
            JobOutcome::GiveUp(_)
        ));
        let mut unknown = QueuedMail::from(&mail());
        unknown.kind = "newsletter".to_owned();
        let payload = serde_json::to_string(&unknown).unwrap();
        assert!(matches!(
            deliver.run(&job(payload)).await,
            JobOutcome::GiveUp(error) if error.code() == "mail.unreadable"
        ));
        assert!(mailer.sent.lock().unwrap().is_empty());
    }
}
