//! One attempt of one claimed job: run its handler while renewing the
//! lease, then record how it ended.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use nerutalk_ports::{
    ClaimedJob, Clock, Failure, JobKind, JobQueue, Lease, Renewal, RetryPolicy, Settled,
};

use super::handler::{Job, JobError, JobHandler, JobOutcome};
use crate::error::cause_chain;

/// What an attempt needs besides its job; shared by every attempt.
pub(crate) struct Attempts {
    pub(crate) queue: Arc<dyn JobQueue>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) lease: Duration,
    pub(crate) retry: RetryPolicy,
}

pub(crate) fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX)
}

impl Attempts {
    /// Runs `job` with `handler` to its end. Renews the lease every third
    /// of its length, so that two renewals may fail before it runs out;
    /// when the job turns out to be claimed by someone else, the handler is
    /// dropped where it stands and nothing is recorded.
    pub(crate) async fn run(&self, handler: Arc<dyn JobHandler>, job: ClaimedJob) {
        let lease = job.lease;
        let attempt = Job {
            id: lease.job_id,
            kind: job.kind,
            payload: job.payload,
            attempt: job.attempt,
            max_attempts: job.max_attempts,
        };
        let every = (self.lease / 3).max(Duration::from_millis(10));
        let mut renewals = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        renewals.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let started = tokio::time::Instant::now();
        tracing::debug!("job attempt started");
        let work = handler.run(&attempt);
        tokio::pin!(work);
        let outcome = loop {
            tokio::select! {
                outcome = &mut work => break outcome,
                _ = renewals.tick() => {
                    if !self.renew(lease).await {
                        return;
                    }
                }
            }
        };
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::debug!(elapsed_ms, "job attempt ended");
        self.settle(lease, &attempt.kind, attempt.attempt, outcome)
            .await;
    }

    /// False when the lease is lost.
    async fn renew(&self, lease: Lease) -> bool {
        let now = self.clock.now();
        match self.queue.renew(lease, now, after(now, self.lease)).await {
            Ok(Renewal::Renewed) => true,
            Ok(Renewal::LeaseLost) => {
                tracing::warn!("job lease lost to another claim; attempt abandoned");
                false
            }
            // The lease may still hold; the next renewal tries again.
            Err(error) => {
                tracing::warn!(error = %cause_chain(&error), "job lease not renewed");
                true
            }
        }
    }

    /// Records `outcome` in the queue and says so in the log.
    pub(crate) async fn settle(
        &self,
        lease: Lease,
        kind: &JobKind,
        attempt: u32,
        outcome: JobOutcome,
    ) {
        let now = self.clock.now();
        let recorded = match &outcome {
            JobOutcome::Done => self.queue.complete(lease, now).await,
            JobOutcome::Retry(error) => {
                let wait = self.retry.delay(attempt, rand::random::<f64>());
                let failure = Failure::Transient {
                    retry_at: after(now, wait),
                };
                let code = error.code().to_owned();
                self.queue.fail(lease, failure, code, now).await
            }
            JobOutcome::GiveUp(error) => {
                let code = error.code().to_owned();
                self.queue.fail(lease, Failure::Permanent, code, now).await
            }
        };
        let error = match &outcome {
            JobOutcome::Done => None,
            JobOutcome::Retry(error) | JobOutcome::GiveUp(error) => Some(error),
        };
        count_settled(kind, recorded.as_ref().ok());
        log_settled(recorded, error);
    }
}

/// Counts the attempt in `nerutalk_job_attempts_total` (see
/// `docs/operations.md`): by what the queue made of it, since a retry on the
/// last attempt is a dead job. Kinds are a handful, named in code.
fn count_settled(kind: &JobKind, settled: Option<&Settled>) {
    let outcome = match settled {
        Some(Settled::Done) => "done",
        Some(Settled::Retrying { .. }) => "retry",
        Some(Settled::Dead) => "dead",
        Some(Settled::LeaseLost) => "lease_lost",
        None => "unrecorded",
    };
    metrics::counter!(
        "nerutalk_job_attempts_total",
        "kind" => kind.as_str().to_owned(),
        "outcome" => outcome,
    )
    .increment(1);
}

fn log_settled(recorded: Result<Settled, nerutalk_ports::PortError>, error: Option<&JobError>) {
    let error = error.map(|error| cause_chain(error));
    match recorded {
        Ok(Settled::Done) => tracing::info!("job done"),
        Ok(Settled::Retrying { run_at }) => {
            tracing::warn!(error = error.as_deref(), %run_at, "job failed; will retry");
        }
        Ok(Settled::Dead) => tracing::error!(error = error.as_deref(), "job failed for good"),
        Ok(Settled::LeaseLost) => {
            tracing::warn!(
                error = error.as_deref(),
                "job outcome dropped: its lease was lost"
            );
        }
        // The lease runs out and another claim runs the job again.
        Err(failure) => tracing::error!(
            error = error.as_deref(),
            cause = %cause_chain(&failure),
            "job outcome not recorded"
        ),
    }
}
