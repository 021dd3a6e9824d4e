//! The job runner: claims due jobs for this node's handlers and runs them,
//! a bounded number at a time, from `start` until `stop`; and, on the same
//! task, purges the settled jobs older than the retention now and then.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use nerutalk_ports::{ClaimedJob, JobKind, Lease, RetryPolicy, WorkerId, jobs::DEFAULT_LEASE};
use tokio::sync::{Notify, watch};
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;
use tracing::Instrument;

use super::attempt::{Attempts, after};
use super::handler::{JobError, JobHandler, JobOutcome};
use super::scheduler::JobScheduler;
use crate::error::cause_chain;

/// How the runner works; [`JobRunnerConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct JobRunnerConfig {
    /// The name this runner's leases are held under: unique per start.
    pub worker: WorkerId,
    /// Jobs run at once, at most.
    pub concurrency: usize,
    /// How often the queue is asked when nothing woke the runner.
    pub poll_interval: Duration,
    /// A claim's length, renewed while the job runs (`JOB_LEASE_SECONDS`).
    pub lease: Duration,
    pub retry: RetryPolicy,
    /// How long done and dead jobs are kept before a purge deletes them.
    pub retention: Duration,
    /// How often this runner purges (also once when it starts). Every
    /// node's runner does: a purge is idempotent, and one node is enough.
    pub purge_every: Duration,
}

/// Settled jobs are kept a week by default: long enough to look into a
/// dead job after a weekend.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Purges run hourly by default.
pub const DEFAULT_PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

impl JobRunnerConfig {
    /// Four jobs at a time, a poll every second, `lease` (at least a
    /// second), the default retry policy, and settled jobs kept
    /// [`DEFAULT_RETENTION`] and purged every [`DEFAULT_PURGE_EVERY`],
    /// under a worker name of this process id and a random number.
    #[must_use]
    pub fn new(lease: Duration) -> Self {
        Self {
            worker: WorkerId::new(format!(
                "{}-{:016x}",
                std::process::id(),
                rand::random::<u64>()
            )),
            concurrency: 4,
            poll_interval: Duration::from_secs(1),
            lease: lease.max(Duration::from_secs(1)),
            retry: RetryPolicy::default(),
            retention: DEFAULT_RETENTION,
            purge_every: DEFAULT_PURGE_EVERY,
        }
    }
}

impl Default for JobRunnerConfig {
    fn default() -> Self {
        Self::new(DEFAULT_LEASE)
    }
}

/// Claims and runs the jobs of the kinds it has handlers for.
pub struct JobRunner {
    attempts: Arc<Attempts>,
    wake: Arc<Notify>,
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
    kinds: Vec<JobKind>,
    config: JobRunnerConfig,
}

impl std::fmt::Debug for JobRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRunner")
            .field("kinds", &self.kinds)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl JobRunner {
    /// A runner over `scheduler`'s queue, woken by its enqueues.
    #[must_use]
    pub fn new(scheduler: &JobScheduler, config: JobRunnerConfig) -> Self {
        Self {
            attempts: Arc::new(Attempts {
                queue: Arc::clone(&scheduler.queue),
                clock: Arc::clone(&scheduler.clock),
                lease: config.lease,
                retry: config.retry,
            }),
            wake: Arc::clone(&scheduler.wake),
            handlers: HashMap::new(),
            kinds: Vec::new(),
            config,
        }
    }

    /// Runs the jobs of `handler`'s kind here; a later handler of the same
    /// kind replaces it.
    #[must_use]
    pub fn handle(mut self, handler: Arc<dyn JobHandler>) -> Self {
        let kind = handler.kind();
        if self.handlers.insert(kind.clone(), handler).is_none() {
            self.kinds.push(kind);
        }
        self
    }

    /// Starts claiming, on a task that [`RunningJobs::stop`] ends. Needs a
    /// tokio runtime.
    #[must_use]
    pub fn start(self) -> RunningJobs {
        let (stop, stopping) = watch::channel(None);
        let worker = self.config.worker.clone();
        let span = tracing::info_span!("job_runner", worker = %worker);
        let task = tokio::spawn(self.run(stopping).instrument(span));
        RunningJobs {
            stop,
            task: Some(task),
        }
    }

    async fn run(self, mut stopping: watch::Receiver<Option<Instant>>) -> StopReport {
        let mut running = Running::default();
        // A zero period would make `interval` panic.
        let mut poll =
            tokio::time::interval(self.config.poll_interval.max(Duration::from_millis(10)));
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut purge = tokio::time::interval(self.config.purge_every.max(Duration::from_secs(1)));
        purge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let deadline = loop {
            let free = self
                .config
                .concurrency
                .max(1)
                .saturating_sub(running.tasks.len());
            if free > 0 && stopping.borrow().is_none() {
                self.claim(&mut running, free).await;
            }
            tokio::select! {
                biased;
                changed = stopping.changed() => {
                    // A dropped handle stops at once.
                    let deadline = changed.ok().and_then(|()| *stopping.borrow());
                    break deadline.unwrap_or_else(Instant::now);
                }
                // Before the busy branches, so that a steady stream of
                // jobs cannot starve it; it is ready once an interval.
                _ = purge.tick() => self.purge().await,
                Some(joined) = running.tasks.join_next_with_id(), if !running.tasks.is_empty() => {
                    self.reap(&mut running, joined).await;
                }
                () = self.wake.notified() => {}
                _ = poll.tick() => {}
            }
        };
        self.drain(running, deadline).await
    }

    async fn claim(&self, running: &mut Running, free: usize) {
        let queue = &self.attempts.queue;
        let now = self.attempts.clock.now();
        let limit = u32::try_from(free).unwrap_or(u32::MAX);
        let lease_until = after(now, self.config.lease);
        let claimed = queue
            .claim(&self.config.worker, &self.kinds, limit, now, lease_until)
            .await;
        match claimed {
            Ok(jobs) => jobs.into_iter().for_each(|job| self.spawn(running, job)),
            // The next poll asks again.
            Err(error) => tracing::warn!(error = %cause_chain(&error), "jobs not claimed"),
        }
    }

    /// Deletes the jobs settled longer than the retention ago. Runs on the
    /// runner's own task: one statement, rarely, and no task to stop.
    async fn purge(&self) {
        let now = self.attempts.clock.now();
        let Some(before) = TimeDelta::from_std(self.config.retention)
            .ok()
            .and_then(|retention| now.checked_sub_signed(retention))
        else {
            // A retention reaching before the calendar keeps everything.
            return;
        };
        match self.attempts.queue.purge(before).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "settled jobs purged"),
            // The next interval tries again.
            Err(error) => tracing::warn!(error = %cause_chain(&error), "settled jobs not purged"),
        }
    }

    fn spawn(&self, running: &mut Running, job: ClaimedJob) {
        let span = tracing::info_span!(
            "job",
            kind = %job.kind,
            id = %job.lease.job_id,
            attempt = job.attempt,
        );
        let Some(handler) = self.handlers.get(&job.kind).map(Arc::clone) else {
            // Claims name only our kinds; a job of another kind is a bug in
            // the queue, and its lease runs out for a node that knows it.
            span.in_scope(|| tracing::error!("claimed a job of a kind without a handler"));
            return;
        };
        let attempts = Arc::clone(&self.attempts);
        let meta = (job.lease, job.kind.clone(), job.attempt, span.clone());
        let task = running
            .tasks
            .spawn(async move { attempts.run(handler, job).await }.instrument(span));
        running.leases.insert(task.id(), meta);
    }

    /// A finished attempt task: nothing to do unless its handler panicked,
    /// which counts as a transient failure.
    async fn reap(&self, running: &mut Running, joined: Result<(tokio::task::Id, ()), JoinError>) {
        let id = match &joined {
            Ok((id, ())) => *id,
            Err(error) => error.id(),
        };
        let Some((lease, kind, attempt, span)) = running.leases.remove(&id) else {
            return;
        };
        if let Err(error) = joined {
            if error.is_panic() {
                let outcome = JobOutcome::Retry(JobError::new("job.panicked"));
                self.attempts
                    .settle(lease, &kind, attempt, outcome)
                    .instrument(span)
                    .await;
            }
        }
    }

    /// Lets running attempts finish until `deadline`, cuts off the rest,
    /// and gives back whatever this worker still holds.
    async fn drain(&self, mut running: Running, deadline: Instant) -> StopReport {
        let mut report = StopReport {
            finished: 0,
            interrupted: 0,
            released: None,
        };
        let waited = tokio::time::timeout_at(deadline, async {
            while let Some(joined) = running.tasks.join_next_with_id().await {
                report.finished += 1;
                self.reap(&mut running, joined).await;
            }
        })
        .await;
        if waited.is_err() {
            running.tasks.abort_all();
            while let Some(joined) = running.tasks.join_next_with_id().await {
                match joined {
                    Err(error) if error.is_cancelled() => {
                        report.interrupted += 1;
                        running.leases.remove(&error.id());
                    }
                    joined => {
                        report.finished += 1;
                        self.reap(&mut running, joined).await;
                    }
                }
            }
        }
        // Every attempt task has ended, so nothing settles after this.
        let now = self.attempts.clock.now();
        match self.attempts.queue.release(&self.config.worker, now).await {
            Ok(released) => report.released = Some(released),
            Err(error) => tracing::error!(
                error = %cause_chain(&error),
                "held jobs not released; their leases will run out"
            ),
        }
        tracing::info!(
            finished = report.finished,
            interrupted = report.interrupted,
            released = report.released,
            "job runner stopped"
        );
        report
    }
}

/// The attempt tasks in flight, with what a panicking one leaves to settle.
#[derive(Default)]
struct Running {
    tasks: JoinSet<()>,
    leases: HashMap<tokio::task::Id, (Lease, JobKind, u32, tracing::Span)>,
}

/// What a stop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopReport {
    /// Attempts that ended while the runner stopped.
    pub finished: usize,
    /// Attempts cut off at the deadline; their jobs were released.
    pub interrupted: usize,
    /// Jobs given back to the queue, or `None` when the queue could not be
    /// written (they come back when their leases run out).
    pub released: Option<u64>,
}

/// A started runner. Stop it with [`RunningJobs::stop`]; dropping it
/// aborts the runner and leaves its leases to run out.
#[derive(Debug)]
pub struct RunningJobs {
    stop: watch::Sender<Option<Instant>>,
    task: Option<tokio::task::JoinHandle<StopReport>>,
}

impl RunningJobs {
    /// Stops claiming, lets running attempts finish until `deadline` (a
    /// point in time, so that one shutdown deadline can be shared by every
    /// worker the server stops), cuts off the rest and releases their
    /// jobs, and returns once the runner and every attempt task have ended.
    ///
    /// # Errors
    /// [`JoinError`] when the runner's task panicked.
    pub async fn stop(mut self, deadline: Instant) -> Result<StopReport, JoinError> {
        self.stop.send_replace(Some(deadline));
        match self.task.take() {
            Some(task) => task.await,
            None => Ok(StopReport {
                finished: 0,
                interrupted: 0,
                released: None,
            }),
        }
    }
}

impl Drop for RunningJobs {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
