//! The durable job queue: work that runs later, once across every node, and
//! survives a restart.
//!
//! A job is claimed by one worker at a time under a lease. The lease names a
//! claim generation; every claim bumps it, so a worker whose lease ran out
//! and was taken over can no longer complete or fail the job: it is told
//! [`Settled::LeaseLost`] instead. Jobs run at least once, and exactly once
//! as long as their handlers are idempotent for a retried attempt.
//!
//! Times always come from the caller (the `Clock` port), so the queue has
//! no clock of its own and tests never sleep.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use nerutalk_domain::ids::JobId;

use crate::PortError;

/// How long a claim lasts unless it is renewed: `JOB_LEASE_SECONDS`.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// Attempts before a job that keeps failing is dead, unless it says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// The last error of a job whose last attempt's lease ran out: its worker
/// died (OOM, SIGKILL) or hung, and no attempt is left to try again.
pub const LEASE_EXPIRED: &str = "job.lease_expired";

/// The payload a job keeps once it is done: an empty JSON object. Payloads
/// may hold secrets (a mail body with a verification link) that nobody
/// needs once the job has run; dead jobs keep theirs for inspection.
pub const SPENT_PAYLOAD: &str = "{}";

/// What a job does, naming its handler: `mail.verification`, `push.deliver`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobKind(Cow<'static, str>);

impl JobKind {
    /// A kind known when the code is written.
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self(Cow::Borrowed(name))
    }

    /// A kind read back from the store.
    #[must_use]
    pub fn stored(name: String) -> Self {
        Self(Cow::Owned(name))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One running job runner: the name its leases are held under. Leases are
/// released by it on shutdown, so two runners never share one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkerId(String);

impl WorkerId {
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub id: JobId,
    pub kind: JobKind,
    /// JSON text, stored as it is and handed to the handler; the queue never
    /// reads it, and nothing logs it.
    pub payload: String,
    /// Not claimed before this time.
    pub run_at: DateTime<Utc>,
    /// While a job with this key is queued or running, enqueueing another
    /// with the same key returns that job instead. Done and dead jobs do
    /// not count.
    pub dedupe_key: Option<String>,
    /// Attempts before the job is dead, counting the first (at least 1).
    pub max_attempts: u32,
    pub created_at: DateTime<Utc>,
}

impl NewJob {
    /// A job of `kind` runnable from `run_at`, with a new id, no dedupe key
    /// and [`DEFAULT_MAX_ATTEMPTS`].
    #[must_use]
    pub fn new(kind: JobKind, payload: String, run_at: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            id: JobId::generate(),
            kind,
            payload,
            run_at,
            dedupe_key: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            created_at: now,
        }
    }

    #[must_use]
    pub fn dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }
}

/// What [`JobQueue::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The new job, or the live job that already held the dedupe key.
    pub id: JobId,
    /// False when an existing job was returned.
    pub created: bool,
}

/// The right to settle one attempt of a job: its id and the claim
/// generation the attempt was claimed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    pub job_id: JobId,
    pub generation: i64,
}

/// A job claimed by a worker, to run now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub lease: Lease,
    pub kind: JobKind,
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
    pub max_attempts: u32,
    /// The lease runs out then unless renewed.
    pub lease_until: DateTime<Utc>,
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another attempt at `retry_at`, unless this was the last one.
    Transient { retry_at: DateTime<Utc> },
    /// No attempt will ever succeed: the job is dead at once.
    Permanent,
}

/// How an attempt ended in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Done,
    /// Runnable again from `run_at`.
    Retrying {
        run_at: DateTime<Utc>,
    },
    /// Kept for inspection, never run again.
    Dead,
    /// The lease ran out and the job was claimed again, released, or made
    /// dead because that was its last attempt: this attempt's outcome is
    /// not recorded.
    LeaseLost,
}

/// What [`JobQueue::renew`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    Renewed,
    /// Another claim holds the job now; the attempt should stop.
    LeaseLost,
}

/// Where a job is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Waiting to be claimed from `run_at`.
    Queued { run_at: DateTime<Utc> },
    /// Claimed by `worker` until `lease_until`.
    Running {
        worker: WorkerId,
        lease_until: DateTime<Utc>,
        generation: i64,
    },
    /// Ran; its payload is gone ([`SPENT_PAYLOAD`]).
    Done { at: DateTime<Utc> },
    /// Failed for good; kept for inspection, payload and all.
    Dead { at: DateTime<Utc> },
}

/// A job as stored, for tests and operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: JobKind,
    pub payload: String,
    pub dedupe_key: Option<String>,
    pub state: JobState,
    /// Attempts started so far (a released attempt does not count).
    pub attempts: u32,
    pub max_attempts: u32,
    /// What the last failed attempt reported.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How many jobs are in each state that an operator watches, across every
/// node. Each job is in exactly one of these or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCounts {
    /// Waiting for their first attempt.
    pub queued: u64,
    /// Waiting for another attempt after a failed one.
    pub retrying: u64,
    /// Claimed by a worker (including those whose lease ran out and that
    /// no claim has taken over yet).
    pub running: u64,
    /// Failed for good and kept for inspection, until purged.
    pub dead: u64,
}

/// The job table, shared by every node.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Stores `job`, or returns the queued or running job that holds its
    /// dedupe key.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn enqueue(&self, job: NewJob) -> Result<Enqueued, PortError>;

    /// Claims up to `limit` jobs of `kinds` for `worker`, oldest due first:
    /// queued jobs whose `run_at` has come, and running jobs whose lease
    /// ran out by `now` (their worker is presumed dead) while they have
    /// attempts left. Each claim counts an attempt, bumps the claim
    /// generation and leases the job until `lease_until`. Two concurrent
    /// claims never return one job.
    ///
    /// A job of `kinds` whose lease ran out on its last attempt is made
    /// dead at `now` first, with [`LEASE_EXPIRED`] as its last error: a
    /// job that kills its worker every time (out of memory) is not run
    /// forever.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn claim(
        &self,
        worker: &WorkerId,
        kinds: &[JobKind],
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<ClaimedJob>, PortError>;

    /// Extends a held lease to `lease_until`.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn renew(
        &self,
        lease: Lease,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Renewal, PortError>;

    /// Records a successful attempt: the job is done, and its payload is
    /// replaced by [`SPENT_PAYLOAD`].
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn complete(&self, lease: Lease, now: DateTime<Utc>) -> Result<Settled, PortError>;

    /// Records a failed attempt with what it reported (`error`, kept for
    /// inspection): queued again for `retry_at` after a transient failure
    /// while attempts remain, dead otherwise.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn fail(
        &self,
        lease: Lease,
        failure: Failure,
        error: String,
        now: DateTime<Utc>,
    ) -> Result<Settled, PortError>;

    /// Gives every job `worker` holds back to the queue, runnable at `now`,
    /// without counting the attempt: a worker stopping on purpose. Returns
    /// how many jobs were released.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn release(&self, worker: &WorkerId, now: DateTime<Utc>) -> Result<u64, PortError>;

    /// One job as stored.
    ///
    /// # Errors
    /// [`PortError::NotFound`] when there is no such job (also once it
    /// was purged).
    async fn inspect(&self, id: JobId) -> Result<JobRecord, PortError>;

    /// Deletes the done and dead jobs settled before `finished_before`
    /// (retention); returns how many were deleted. Queued and running jobs
    /// are never touched.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be written.
    async fn purge(&self, finished_before: DateTime<Utc>) -> Result<u64, PortError>;

    /// How many jobs are queued, retrying, running and dead, for metrics.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the store cannot be read.
    async fn counts(&self) -> Result<JobCounts, PortError>;
}

/// When a failed job is tried again: exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt, before jitter.
    pub base: Duration,
    /// No wait is longer than this, before jitter.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            max: Duration::from_secs(60 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (from 1): `base`
    /// doubled per earlier attempt and capped at `max`, of which a random
    /// half is kept. `jitter` is that random draw, in `[0, 1)` (clamped):
    /// taking it as an argument keeps the policy pure. The half that is
    /// always kept means a retry never comes back at once; the random half
    /// spreads the jobs that failed together (a mail server down) so that
    /// they do not all come back in the same instant.
    #[must_use]
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let full = self
            .base
            .checked_mul(1_u32 << doublings)
            .unwrap_or(self.max)
            .min(self.max);
        let half = full / 2;
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        half + half.mul_f64(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_jitter_keeps_half() {
        let policy = RetryPolicy {
            base: Duration::from_secs(4),
            max: Duration::from_secs(60),
        };
        assert_eq!(policy.delay(1, 0.0), Duration::from_secs(2));
        assert_eq!(policy.delay(1, 1.0), Duration::from_secs(4));
        assert_eq!(policy.delay(2, 0.0), Duration::from_secs(4));
        assert_eq!(policy.delay(3, 0.5), Duration::from_secs(12));
        assert_eq!(policy.delay(5, 1.0), Duration::from_secs(60));
        assert_eq!(policy.delay(u32::MAX, 0.0), Duration::from_secs(30));
        assert_eq!(policy.delay(0, 0.0), Duration::from_secs(2));
        assert_eq!(policy.delay(2, 7.0), Duration::from_secs(8), "clamped");
        assert_eq!(
            policy.delay(2, f64::NAN),
            Duration::from_secs(4),
            "no draw, no jitter"
        );
    }

    #[test]
    fn delays_never_shrink_as_attempts_grow() {
        let policy = RetryPolicy::default();
        let delays: Vec<_> = (1..40).map(|attempt| policy.delay(attempt, 0.5)).collect();
        assert!(
            delays.windows(2).all(|pair| pair[0] <= pair[1]),
            "{delays:?}"
        );
    }
}
