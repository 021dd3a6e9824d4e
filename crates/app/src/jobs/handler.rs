//! What a job kind's handler implements, and what it reports back.

use std::fmt;

use async_trait::async_trait;
use nerutalk_domain::ids::JobId;
use nerutalk_ports::JobKind;
use serde::de::DeserializeOwned;

/// One attempt of a job, as its handler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    /// JSON text. Never log it: it may hold addresses, tokens or texts.
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
    pub max_attempts: u32,
}

impl Job {
    /// The payload read as `T`.
    ///
    /// # Errors
    /// [`JobError`] `job.malformed_payload` when it does not parse; no
    /// attempt will parse it better, so handlers give up on it.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_str(&self.payload)
            .map_err(|error| JobError::new("job.malformed_payload").caused_by(error))
    }

    /// Whether a failure now would be the last attempt.
    #[must_use]
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// Why an attempt failed: a stable code (kept on the job for operators)
/// and, for the log only, the error beneath it. Neither may carry the
/// payload.
#[derive(Debug)]
pub struct JobError {
    code: &'static str,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl JobError {
    #[must_use]
    pub fn new(code: &'static str) -> Self {
        Self { code, cause: None }
    }

    #[must_use]
    pub fn caused_by(mut self, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    #[must_use]
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl std::error::Error for JobError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

/// How an attempt ended.
#[derive(Debug)]
pub enum JobOutcome {
    Done,
    /// A transient failure (a server down, a timeout): try again after a
    /// backoff, unless this was the last attempt.
    Retry(JobError),
    /// A permanent failure (a malformed payload, an address that does not
    /// exist): the job is dead at once.
    GiveUp(JobError),
}

/// Runs the jobs of one kind. An attempt may be cut off (its node dies, its
/// lease is lost, a stop runs out of time) and the job run again, so a
/// handler must be idempotent: a retried attempt must not do twice what a
/// cut-off attempt already did.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// The kind of job this handler runs.
    fn kind(&self) -> JobKind;

    /// One attempt of `job`.
    async fn run(&self, job: &Job) -> JobOutcome;
}
