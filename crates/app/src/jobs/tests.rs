//! The runner against an in-memory queue, on tokio's paused clock: the
//! queue's clock follows tokio's, so backoffs and leases pass in virtual
//! time and no test sleeps for real.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use nerutalk_domain::ids::JobId;
use nerutalk_ports::{JobKind, JobState, RetryPolicy, WorkerId};
use serde::Deserialize;

use super::test_support::{MemoryQueue, TokioClock};
use super::*;

const KIND: JobKind = JobKind::new("test.job");

type Behaviour = dyn Fn(&Job) -> JobOutcome + Send + Sync;

/// A handler that takes `work` (virtual time) and then ends as `outcome`
/// says; it counts its attempts, how many run at once, and the attempts
/// dropped before they ended.
struct TestHandler {
    work: Duration,
    outcome: Box<Behaviour>,
    runs: AtomicUsize,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    dropped: AtomicUsize,
    started_at: Mutex<Vec<tokio::time::Instant>>,
}

impl TestHandler {
    fn new(
        work: Duration,
        outcome: impl Fn(&Job) -> JobOutcome + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            work,
            outcome: Box::new(outcome),
            runs: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            most_at_once: AtomicUsize::new(0),
            dropped: AtomicUsize::new(0),
            started_at: Mutex::new(Vec::new()),
        })
    }
}

/// Counts an attempt dropped before it ended.
struct DropGuard<'a>(&'a TestHandler, bool);

impl Drop for DropGuard<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
        if !self.1 {
            self.0.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[async_trait]
impl JobHandler for TestHandler {
    fn kind(&self) -> JobKind {
        KIND
    }

    async fn run(&self, job: &Job) -> JobOutcome {
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.started_at
            .lock()
            .unwrap()
            .push(tokio::time::Instant::now());
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        let mut guard = DropGuard(self, false);
        tokio::time::sleep(self.work).await;
        guard.1 = true;
        (self.outcome)(job)
    }
}

struct Setup {
    queue: Arc<MemoryQueue>,
    scheduler: JobScheduler,
}

fn setup() -> Setup {
    let queue = Arc::new(MemoryQueue::default());
    let scheduler = JobScheduler::new(queue.clone(), Arc::new(TokioClock::new()));
    Setup { queue, scheduler }
}

fn config(concurrency: usize) -> JobRunnerConfig {
    JobRunnerConfig {
        worker: WorkerId::new("test-worker"),
        concurrency,
        poll_interval: Duration::from_secs(3600),
        lease: Duration::from_secs(30),
        retry: RetryPolicy {
            base: Duration::from_secs(10),
            max: Duration::from_secs(600),
        },
        retention: DEFAULT_RETENTION,
        purge_every: DEFAULT_PURGE_EVERY,
    }
}

async fn enqueue(setup: &Setup) -> JobId {
    let job = setup
        .scheduler
        .job(KIND, &serde_json::json!({"n": 1}))
        .unwrap();
    setup.scheduler.enqueue(job).await.unwrap().id
}

/// Waits (in virtual time) until `condition` holds, at most a day.
async fn until(condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(86_400);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition never held"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn in_secs(seconds: u64) -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(seconds)
}

fn is_done(state: &JobState) -> bool {
    matches!(state, JobState::Done { .. })
}

#[tokio::test(start_paused = true)]
async fn an_enqueue_wakes_the_runner_and_the_job_runs_once() {
    let setup = setup();
    let handler = TestHandler::new(Duration::from_millis(10), |_| JobOutcome::Done);
    let running = JobRunner::new(&setup.scheduler, config(2))
        .handle(handler.clone())
        .start();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = tokio::time::Instant::now();
    let id = enqueue(&setup).await;
    until(|| is_done(&setup.queue.record(id).state)).await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "woken by the enqueue, not by the hourly poll"
    );
    let report = running.stop(in_secs(5)).await.unwrap();
    assert_eq!(handler.runs.load(Ordering::SeqCst), 1);
    assert_eq!(report.interrupted, 0);
    assert_eq!(report.released, Some(0));
}

#[tokio::test(start_paused = true)]
async fn transient_failures_back_off_until_the_job_is_dead() {
    let setup = setup();
    let handler = TestHandler::new(Duration::ZERO, |_| {
        JobOutcome::Retry(JobError::new("test.flaky"))
    });
    let mut config = config(1);
    config.poll_interval = Duration::from_secs(1);
    let running = JobRunner::new(&setup.scheduler, config)
        .handle(handler.clone())
        .start();
    let job = setup.scheduler.job(KIND, &1).unwrap().max_attempts(3);
    let id = setup.scheduler.enqueue(job).await.unwrap().id;
    until(|| matches!(setup.queue.record(id).state, JobState::Dead { .. })).await;
    running.stop(in_secs(5)).await.unwrap();

    let record = setup.queue.record(id);
    assert_eq!(record.attempts, 3);
    assert_eq!(record.last_error.as_deref(), Some("test.flaky"));
    let started = handler.started_at.lock().unwrap().clone();
    assert_eq!(started.len(), 3);
    // Base 10 s: the first wait is 5 to 10 s, the second 10 to 20 s (plus
    // up to a poll interval).
    let first = started[1] - started[0];
    let second = started[2] - started[1];
    assert!((5..=11).contains(&first.as_secs()), "{first:?}");
    assert!((10..=21).contains(&second.as_secs()), "{second:?}");
}

#[tokio::test(start_paused = true)]
async fn giving_up_makes_the_job_dead_at_once() {
    let setup = setup();
    let handler = TestHandler::new(Duration::ZERO, |job| {
        let malformed = job.payload::<Vec<String>>().unwrap_err();
        JobOutcome::GiveUp(malformed)
    });
    let running = JobRunner::new(&setup.scheduler, config(1))
        .handle(handler.clone())
        .start();
    let id = enqueue(&setup).await;
    until(|| matches!(setup.queue.record(id).state, JobState::Dead { .. })).await;
    running.stop(in_secs(5)).await.unwrap();
    let record = setup.queue.record(id);
    assert_eq!(record.attempts, 1);
    assert_eq!(record.last_error.as_deref(), Some("job.malformed_payload"));
}

#[tokio::test(start_paused = true)]
async fn no_more_jobs_run_at_once_than_the_concurrency() {
    let setup = setup();
    let handler = TestHandler::new(Duration::from_secs(2), |_| JobOutcome::Done);
    let running = JobRunner::new(&setup.scheduler, config(2))
        .handle(handler.clone())
        .start();
    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(enqueue(&setup).await);
    }
    until(|| ids.iter().all(|id| is_done(&setup.queue.record(*id).state))).await;
    running.stop(in_secs(5)).await.unwrap();
    assert_eq!(handler.runs.load(Ordering::SeqCst), 7);
    assert_eq!(handler.most_at_once.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_long_job_renews_its_lease_and_completes() {
    let setup = setup();
    let handler = TestHandler::new(Duration::from_secs(100), |_| JobOutcome::Done);
    let running = JobRunner::new(&setup.scheduler, config(1))
        .handle(handler.clone())
        .start();
    let id = enqueue(&setup).await;
    until(|| is_done(&setup.queue.record(id).state)).await;
    running.stop(in_secs(5)).await.unwrap();
    // A 30 s lease renewed every 10 s over 100 s of work.
    assert!(setup.queue.renewals.load(Ordering::SeqCst) >= 9);
    assert_eq!(handler.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_lost_lease_abandons_the_attempt() {
    let setup = setup();
    let handler = TestHandler::new(Duration::from_secs(3600), |_| JobOutcome::Done);
    let running = JobRunner::new(&setup.scheduler, config(1))
        .handle(handler.clone())
        .start();
    let id = enqueue(&setup).await;
    until(|| handler.runs.load(Ordering::SeqCst) == 1).await;
    setup.queue.steal(id);
    until(|| handler.dropped.load(Ordering::SeqCst) == 1).await;
    let report = running.stop(in_secs(5)).await.unwrap();
    assert_eq!(
        report.released,
        Some(0),
        "the thief's job is not ours to release"
    );
    assert!(matches!(
        setup.queue.record(id).state,
        JobState::Running { worker, .. } if worker.as_str() == "thief"
    ));
}

#[tokio::test(start_paused = true)]
async fn stop_waits_for_short_jobs_and_releases_the_rest() {
    let setup = setup();
    let quick = TestHandler::new(Duration::from_secs(2), |_| JobOutcome::Done);
    let running = JobRunner::new(&setup.scheduler, config(4))
        .handle(quick.clone())
        .start();
    let quick_id = enqueue(&setup).await;
    until(|| quick.runs.load(Ordering::SeqCst) == 1).await;
    let report = running.stop(in_secs(5)).await.unwrap();
    assert_eq!((report.finished, report.interrupted), (1, 0));
    assert!(is_done(&setup.queue.record(quick_id).state));

    let stuck = TestHandler::new(Duration::from_secs(86_400), |_| JobOutcome::Done);
    let running = JobRunner::new(&setup.scheduler, config(4))
        .handle(stuck.clone())
        .start();
    let stuck_id = enqueue(&setup).await;
    until(|| stuck.runs.load(Ordering::SeqCst) == 1).await;
    let stopping = tokio::time::Instant::now();
    let report = running.stop(in_secs(5)).await.unwrap();
    assert!(stopping.elapsed() >= Duration::from_secs(5));
    assert!(stopping.elapsed() < Duration::from_secs(60));
    assert_eq!((report.finished, report.interrupted), (0, 1));
    assert_eq!(report.released, Some(1));
    assert_eq!(
        stuck.dropped.load(Ordering::SeqCst),
        1,
        "the attempt ended with the stop"
    );
    let record = setup.queue.record(stuck_id);
    assert!(matches!(record.state, JobState::Queued { .. }));
    assert_eq!(record.attempts, 0, "a released attempt does not count");
}

#[tokio::test(start_paused = true)]
async fn a_stopped_runner_claims_nothing_more() {
    let setup = setup();
    let handler = TestHandler::new(Duration::ZERO, |_| JobOutcome::Done);
    let running = JobRunner::new(&setup.scheduler, config(1))
        .handle(handler.clone())
        .start();
    running.stop(in_secs(1)).await.unwrap();
    let id = enqueue(&setup).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(matches!(
        setup.queue.record(id).state,
        JobState::Queued { .. }
    ));
    assert_eq!(handler.runs.load(Ordering::SeqCst), 0);
}

/// A handler that panics.
struct Panicking;

#[async_trait]
impl JobHandler for Panicking {
    fn kind(&self) -> JobKind {
        KIND
    }

    async fn run(&self, _job: &Job) -> JobOutcome {
        panic!("handler bug")
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_counts_as_a_transient_failure() {
    let setup = setup();
    let running = JobRunner::new(&setup.scheduler, config(1))
        .handle(Arc::new(Panicking))
        .start();
    let id = enqueue(&setup).await;
    until(|| setup.queue.record(id).last_error.is_some()).await;
    running.stop(in_secs(1)).await.unwrap();
    let record = setup.queue.record(id);
    assert_eq!(record.last_error.as_deref(), Some("job.panicked"));
    assert!(matches!(record.state, JobState::Queued { .. }));
    assert_eq!(record.attempts, 1);
}

#[tokio::test]
async fn jobs_of_other_kinds_are_left_alone() {
    let setup = setup();
    let handler = TestHandler::new(Duration::ZERO, |_| JobOutcome::Done);
    let running = JobRunner::new(&setup.scheduler, config(1))
        .handle(handler.clone())
        .start();
    let other = setup.scheduler.job(JobKind::new("test.other"), &1).unwrap();
    let other = setup.scheduler.enqueue(other).await.unwrap().id;
    let mine = enqueue(&setup).await;
    until(|| is_done(&setup.queue.record(mine).state)).await;
    running.stop(in_secs(1)).await.unwrap();
    assert!(matches!(
        setup.queue.record(other).state,
        JobState::Queued { .. }
    ));
}

const HOUR: u64 = 60 * 60;

#[tokio::test(start_paused = true)]
async fn the_runner_purges_settled_jobs_past_the_retention() {
    let setup = setup();
    let handler = TestHandler::new(Duration::ZERO, |_| JobOutcome::Done);
    let running = JobRunner::new(&setup.scheduler, config(1))
        .handle(handler.clone())
        .start();
    let old = enqueue(&setup).await;
    until(|| is_done(&setup.queue.record(old).state)).await;
    // Never claimed here: live jobs are kept however old.
    let waiting = setup.scheduler.job(JobKind::new("test.other"), &1).unwrap();
    let waiting = setup.scheduler.enqueue(waiting).await.unwrap().id;

    tokio::time::sleep(Duration::from_secs(6 * 24 * HOUR)).await;
    let recent = enqueue(&setup).await;
    until(|| is_done(&setup.queue.record(recent).state)).await;
    // The retention is 7 days, purged hourly: kept until the first purge
    // after 7 days (at 169 h), gone by the one after.
    tokio::time::sleep(Duration::from_secs(24 * HOUR - HOUR / 2)).await;
    assert!(setup.queue.holds(old), "kept until the retention is over");
    tokio::time::sleep(Duration::from_secs(2 * HOUR)).await;
    assert!(!setup.queue.holds(old), "purged after the retention");
    assert!(setup.queue.holds(recent));
    assert!(matches!(
        setup.queue.record(waiting).state,
        JobState::Queued { .. }
    ));
    running.stop(in_secs(1)).await.unwrap();
}

#[test]
fn payloads_parse_into_their_types() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct Mail {
        to: String,
    }
    let job = Job {
        id: JobId::generate(),
        kind: KIND,
        payload: r#"{"to":"ada@example.com"}"#.to_owned(),
        attempt: 1,
        max_attempts: 1,
    };
    assert_eq!(
        job.payload::<Mail>().unwrap(),
        Mail {
            to: "ada@example.com".to_owned()
        }
    );
    assert!(job.is_last_attempt());
    let error = job.payload::<Vec<u8>>().unwrap_err();
    assert_eq!(error.code(), "job.malformed_payload");
    assert!(
        std::error::Error::source(&error).is_some(),
        "the cause is kept for the log"
    );
}

mod contract {
    //! The in-memory queue keeps the port's contract, so the runner's tests
    //! above run on a queue that behaves like the real one.

    use nerutalk_ports::contract::jobs;

    use super::MemoryQueue;

    macro_rules! clauses {
        ($($clause:ident),+ $(,)?) => {
            $(
                #[tokio::test]
                async fn $clause() {
                    let queue = MemoryQueue::default();
                    jobs::$clause(&queue, &queue).await;
                }
            )+
        };
    }

    clauses!(
        claims_are_exclusive,
        waits_for_run_at_and_kind,
        expired_leases_are_taken_over,
        transient_failures_retry_later,
        dead_after_last_attempt,
        dedupe_keys_hold_while_live,
        release_returns_held_jobs,
        a_worker_that_dies_on_the_last_attempt_leaves_the_job_dead,
        done_jobs_forget_their_payload,
        purge_deletes_old_settled_jobs,
        counts_follow_each_state,
    );
}
