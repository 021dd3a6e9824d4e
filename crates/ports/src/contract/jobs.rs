//! The contract of [`JobQueue`], one clause per function. Each clause takes
//! two handles on one empty queue, `a` and `b`, standing for two nodes
//! (their own connection pools on one database), and uses fixed times: the
//! queue takes its times from the caller, so nothing here sleeps.

use std::collections::HashSet;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use nerutalk_domain::ids::JobId;

use crate::jobs::{LEASE_EXPIRED, SPENT_PAYLOAD};
use crate::{
    ClaimedJob, Failure, JobCounts, JobKind, JobQueue, JobState, NewJob, PortError, Renewal,
    Settled, WorkerId,
};

const MAIL: JobKind = JobKind::new("contract.mail");
const PUSH: JobKind = JobKind::new("contract.push");
const LEASE: i64 = 30;

#[track_caller]
fn ok<T>(outcome: Result<T, PortError>, step: &str) -> T {
    outcome.unwrap_or_else(|error| panic!("{step}: {error}"))
}

fn start() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn at(base: DateTime<Utc>, seconds: i64) -> DateTime<Utc> {
    base + Duration::seconds(seconds)
}

fn job(kind: JobKind, run_at: DateTime<Utc>, now: DateTime<Utc>) -> NewJob {
    NewJob::new(kind, r#"{"to":"ada@example.com"}"#.to_owned(), run_at, now)
}

async fn enqueue(queue: &dyn JobQueue, job: NewJob) -> JobId {
    let enqueued = ok(queue.enqueue(job).await, "enqueue");
    assert!(enqueued.created, "a job without a live twin is created");
    enqueued.id
}

async fn claim(
    queue: &dyn JobQueue,
    worker: &WorkerId,
    limit: u32,
    now: DateTime<Utc>,
) -> Vec<ClaimedJob> {
    ok(
        queue
            .claim(worker, &[MAIL, PUSH], limit, now, at(now, LEASE))
            .await,
        "claim",
    )
}

async fn state(queue: &dyn JobQueue, id: JobId) -> JobState {
    ok(queue.inspect(id).await, "inspect").state
}

/// Many due jobs, two workers claiming in a race on two nodes: every job is
/// claimed exactly once, and no claim returns a job twice.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn claims_are_exclusive(a: &dyn JobQueue, b: &dyn JobQueue) {
    const JOBS: usize = 120;
    let now = start();
    let mut ids = HashSet::new();
    for index in 0..JOBS {
        let kind = if index % 2 == 0 { MAIL } else { PUSH };
        ids.insert(enqueue(a, job(kind, at(now, -1), now)).await);
    }
    let (by_a, by_b) = tokio::join!(
        drain(a, WorkerId::new("worker-a"), now),
        drain(b, WorkerId::new("worker-b"), now)
    );
    let all: Vec<JobId> = by_a.iter().chain(&by_b).copied().collect();
    let distinct: HashSet<JobId> = all.iter().copied().collect();
    assert_eq!(all.len(), distinct.len(), "a job was claimed twice");
    assert_eq!(distinct, ids, "every job is claimed");
    for id in ids {
        assert!(matches!(state(a, id).await, JobState::Done { .. }));
    }
}

/// Claims and completes jobs three at a time until none is due; returns
/// the ids it claimed.
async fn drain(queue: &dyn JobQueue, worker: WorkerId, now: DateTime<Utc>) -> Vec<JobId> {
    let mut claimed = Vec::new();
    loop {
        let batch = claim(queue, &worker, 3, now).await;
        if batch.is_empty() {
            return claimed;
        }
        for job in batch {
            assert_eq!(job.attempt, 1);
            let settled = ok(queue.complete(job.lease, now).await, "complete");
            assert_eq!(settled, Settled::Done, "a held lease settles");
            claimed.push(job.lease.job_id);
        }
    }
}

/// A job is not claimed before its `run_at`, nor by a worker that does not
/// handle its kind.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn waits_for_run_at_and_kind(a: &dyn JobQueue, _b: &dyn JobQueue) {
    let now = start();
    let later = enqueue(a, job(MAIL, at(now, 60), now)).await;
    let worker = WorkerId::new("worker-a");
    assert!(claim(a, &worker, 10, now).await.is_empty());
    assert!(claim(a, &worker, 10, at(now, 59)).await.is_empty());
    assert_eq!(
        state(a, later).await,
        JobState::Queued {
            run_at: at(now, 60)
        }
    );
    let only_push = ok(
        a.claim(&worker, &[PUSH], 10, at(now, 60), at(now, 90))
            .await,
        "claim",
    );
    assert!(only_push.is_empty(), "a worker claims only its kinds");
    let claimed = claim(a, &worker, 10, at(now, 60)).await;
    assert_eq!(claimed.len(), 1);
    let claimed = &claimed[0];
    assert_eq!(claimed.lease.job_id, later);
    assert_eq!(claimed.kind, MAIL);
    assert_eq!(claimed.payload, r#"{"to":"ada@example.com"}"#);
    assert_eq!(claimed.lease_until, at(now, 60 + LEASE));
}

/// A lease that runs out is taken over by another worker, and the first
/// worker can then neither renew, complete nor fail the job. A renewed
/// lease is not taken over.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn expired_leases_are_taken_over(a: &dyn JobQueue, b: &dyn JobQueue) {
    let now = start();
    let id = enqueue(a, job(MAIL, now, now)).await;
    let (worker_a, worker_b) = (WorkerId::new("worker-a"), WorkerId::new("worker-b"));
    let first = claim(a, &worker_a, 1, now).await.remove(0);
    assert!(claim(b, &worker_b, 1, at(now, 10)).await.is_empty());
    assert_eq!(
        ok(
            a.renew(first.lease, at(now, 20), at(now, 60)).await,
            "renew"
        ),
        Renewal::Renewed
    );
    assert!(
        claim(b, &worker_b, 1, at(now, 59)).await.is_empty(),
        "a renewed lease holds"
    );
    let second = claim(b, &worker_b, 1, at(now, 60)).await.remove(0);
    assert_eq!(second.lease.job_id, id);
    assert_eq!(second.attempt, 2, "the dead worker's attempt counts");
    assert_ne!(second.lease, first.lease);
    assert!(matches!(
        state(a, id).await,
        JobState::Running { worker, .. } if worker == worker_b
    ));

    let late = at(now, 61);
    assert_eq!(
        ok(a.complete(first.lease, late).await, "complete"),
        Settled::LeaseLost
    );
    let failed = a
        .fail(first.lease, Failure::Permanent, "late".to_owned(), late)
        .await;
    assert_eq!(ok(failed, "fail"), Settled::LeaseLost);
    let renewed = a.renew(first.lease, late, at(now, 120)).await;
    assert_eq!(ok(renewed, "renew"), Renewal::LeaseLost);
    assert!(matches!(state(a, id).await, JobState::Running { .. }));
    assert_eq!(
        ok(b.complete(second.lease, late).await, "complete"),
        Settled::Done
    );
    assert_eq!(state(a, id).await, JobState::Done { at: late });
}

/// A transient failure queues the job again for the time it names, and it
/// is not claimed before then.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn transient_failures_retry_later(a: &dyn JobQueue, b: &dyn JobQueue) {
    let now = start();
    let id = enqueue(a, job(MAIL, now, now)).await;
    let worker = WorkerId::new("worker-a");
    let first = claim(a, &worker, 1, now).await.remove(0);
    let retry_at = at(now, 20);
    let failure = Failure::Transient { retry_at };
    let settled = a
        .fail(
            first.lease,
            failure,
            "mail.unavailable".to_owned(),
            at(now, 1),
        )
        .await;
    assert_eq!(ok(settled, "fail"), Settled::Retrying { run_at: retry_at });
    let record = ok(a.inspect(id).await, "inspect");
    assert_eq!(record.state, JobState::Queued { run_at: retry_at });
    assert_eq!(record.attempts, 1);
    assert_eq!(record.last_error.as_deref(), Some("mail.unavailable"));
    assert!(claim(b, &worker, 1, at(now, 19)).await.is_empty());
    let second = claim(b, &worker, 1, retry_at).await.remove(0);
    assert_eq!((second.lease.job_id, second.attempt), (id, 2));
}

/// A job is dead after its last attempt fails, or at once when a failure is
/// permanent; dead jobs are kept with their last error and never claimed.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn dead_after_last_attempt(a: &dyn JobQueue, _b: &dyn JobQueue) {
    let now = start();
    let worker = WorkerId::new("worker-a");
    let tired = enqueue(a, job(MAIL, now, now).max_attempts(2)).await;
    for attempt in 1..=2 {
        let time = at(now, attempt * 100);
        let claimed = claim(a, &worker, 1, time).await.remove(0);
        assert_eq!(claimed.attempt, u32::try_from(attempt).unwrap_or(0));
        assert_eq!(claimed.max_attempts, 2);
        let failure = Failure::Transient {
            retry_at: at(time, 1),
        };
        let settled = ok(
            a.fail(claimed.lease, failure, format!("try {attempt}"), time)
                .await,
            "fail",
        );
        let expected = if attempt == 1 {
            Settled::Retrying {
                run_at: at(time, 1),
            }
        } else {
            Settled::Dead
        };
        assert_eq!(settled, expected);
    }
    let record = ok(a.inspect(tired).await, "inspect");
    assert_eq!(record.state, JobState::Dead { at: at(now, 200) });
    assert_eq!(
        (record.attempts, record.last_error.as_deref()),
        (2, Some("try 2"))
    );

    let hopeless = enqueue(a, job(PUSH, now, now)).await;
    let claimed = claim(a, &worker, 1, at(now, 300)).await.remove(0);
    assert_eq!(claimed.lease.job_id, hopeless);
    let settled = a
        .fail(
            claimed.lease,
            Failure::Permanent,
            "push.invalid_token".to_owned(),
            at(now, 300),
        )
        .await;
    assert_eq!(ok(settled, "fail"), Settled::Dead);
    assert!(claim(a, &worker, 10, at(now, 100_000)).await.is_empty());
    assert!(
        matches!(state(a, tired).await, JobState::Dead { .. }),
        "kept"
    );
    assert!(matches!(state(a, hopeless).await, JobState::Dead { .. }));
}

/// A worker that dies on the last attempt leaves the job dead: once that
/// lease runs out, the next claim makes the job dead with
/// [`LEASE_EXPIRED`] instead of running it again, and still hands out the
/// other due jobs. The dead worker's late outcome is not recorded.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn a_worker_that_dies_on_the_last_attempt_leaves_the_job_dead(
    a: &dyn JobQueue,
    b: &dyn JobQueue,
) {
    let now = start();
    let (worker_a, worker_b) = (WorkerId::new("worker-a"), WorkerId::new("worker-b"));
    let doomed = enqueue(a, job(MAIL, now, now).max_attempts(2)).await;
    let first = claim(a, &worker_a, 1, now).await.remove(0);
    assert_eq!((first.lease.job_id, first.attempt), (doomed, 1));
    // worker-a dies; its lease runs out and worker-b takes the last attempt.
    let second = claim(b, &worker_b, 1, at(now, LEASE)).await.remove(0);
    assert_eq!((second.lease.job_id, second.attempt), (doomed, 2));
    // worker-b dies too. Meanwhile another job has come due.
    let healthy = enqueue(a, job(PUSH, at(now, 2 * LEASE), now)).await;
    let expired = at(now, 2 * LEASE);
    let claimed = claim(a, &worker_a, 10, expired).await;
    let ids: Vec<JobId> = claimed.iter().map(|job| job.lease.job_id).collect();
    assert_eq!(ids, vec![healthy], "the doomed job is not claimed again");
    let settled = a.complete(claimed[0].lease, expired).await;
    assert_eq!(ok(settled, "complete"), Settled::Done);

    let record = ok(a.inspect(doomed).await, "inspect");
    assert_eq!(record.state, JobState::Dead { at: expired });
    assert_eq!(record.attempts, 2);
    assert_eq!(record.last_error.as_deref(), Some(LEASE_EXPIRED));
    assert_ne!(
        record.payload, SPENT_PAYLOAD,
        "a dead job keeps its payload"
    );
    assert!(claim(b, &worker_b, 10, at(now, 100_000)).await.is_empty());
    assert_eq!(
        ok(b.complete(second.lease, at(now, 100_000)).await, "complete"),
        Settled::LeaseLost,
        "a late outcome of the dead worker is not recorded"
    );
    assert!(matches!(state(a, doomed).await, JobState::Dead { .. }));
}

/// A done job's payload is gone on inspect (it may have held a secret);
/// a dead job keeps its payload for inspection.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn done_jobs_forget_their_payload(a: &dyn JobQueue, b: &dyn JobQueue) {
    let now = start();
    let worker = WorkerId::new("worker-a");
    let done = enqueue(a, job(MAIL, now, now)).await;
    let claimed = claim(a, &worker, 1, now).await.remove(0);
    assert_eq!(claimed.payload, r#"{"to":"ada@example.com"}"#);
    assert_eq!(
        ok(a.complete(claimed.lease, at(now, 1)).await, "complete"),
        Settled::Done
    );
    let record = ok(b.inspect(done).await, "inspect");
    assert_eq!(record.state, JobState::Done { at: at(now, 1) });
    assert_eq!(record.payload, SPENT_PAYLOAD);

    let dead = enqueue(a, job(MAIL, at(now, 2), now)).await;
    let claimed = claim(a, &worker, 1, at(now, 2)).await.remove(0);
    let failed = a
        .fail(
            claimed.lease,
            Failure::Permanent,
            "mail.rejected".to_owned(),
            at(now, 3),
        )
        .await;
    assert_eq!(ok(failed, "fail"), Settled::Dead);
    let record = ok(b.inspect(dead).await, "inspect");
    assert_eq!(record.payload, r#"{"to":"ada@example.com"}"#);
}

/// `purge` deletes the done and dead jobs settled before the time it is
/// given, and nothing else: not a job settled at that time or later, not a
/// queued or running job however old.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn purge_deletes_old_settled_jobs(a: &dyn JobQueue, b: &dyn JobQueue) {
    let now = start();
    let worker = WorkerId::new("worker-a");
    let old_done = enqueue(a, job(MAIL, now, now)).await;
    let old_dead = enqueue(a, job(PUSH, now, now)).await;
    let claimed = claim(a, &worker, 2, now).await;
    assert_eq!(claimed.len(), 2);
    for job in claimed {
        let settled = if job.lease.job_id == old_done {
            ok(a.complete(job.lease, at(now, 10)).await, "complete")
        } else {
            let failed = a.fail(
                job.lease,
                Failure::Permanent,
                "push.invalid".to_owned(),
                at(now, 10),
            );
            ok(failed.await, "fail")
        };
        assert_ne!(settled, Settled::LeaseLost);
    }
    let on_time = enqueue(a, job(MAIL, at(now, 20), now)).await;
    let claimed = claim(a, &worker, 1, at(now, 20)).await.remove(0);
    ok(a.complete(claimed.lease, at(now, 50)).await, "complete");
    let running = enqueue(a, job(MAIL, at(now, 30), now)).await;
    assert_eq!(claim(a, &worker, 1, at(now, 30)).await.len(), 1);
    let queued = enqueue(a, job(MAIL, at(now, 1_000), now)).await;

    assert_eq!(ok(b.purge(at(now, 50)).await, "purge"), 2);
    for gone in [old_done, old_dead] {
        assert!(
            matches!(a.inspect(gone).await, Err(PortError::NotFound)),
            "purged"
        );
    }
    assert!(matches!(state(a, on_time).await, JobState::Done { .. }));
    assert!(matches!(state(a, running).await, JobState::Running { .. }));
    assert!(matches!(state(a, queued).await, JobState::Queued { .. }));
    assert_eq!(ok(a.purge(at(now, 50)).await, "purge"), 0, "nothing left");
    assert_eq!(ok(a.purge(at(now, 100_000)).await, "purge"), 1);
    assert!(matches!(state(a, running).await, JobState::Running { .. }));
    assert!(matches!(state(a, queued).await, JobState::Queued { .. }));
}

/// While a job with a dedupe key is queued or running, enqueueing the key
/// again returns it, also when both nodes race; once it is done, the key is
/// free again.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn dedupe_keys_hold_while_live(a: &dyn JobQueue, b: &dyn JobQueue) {
    let now = start();
    let keyed = || job(MAIL, now, now).dedupe_key("verify:ada");
    let first = ok(a.enqueue(keyed()).await, "enqueue");
    assert!(first.created);
    let again = ok(b.enqueue(keyed()).await, "enqueue");
    assert_eq!((again.id, again.created), (first.id, false));
    let worker = WorkerId::new("worker-a");
    let claimed = claim(a, &worker, 1, now).await.remove(0);
    let while_running = ok(b.enqueue(keyed()).await, "enqueue");
    assert_eq!((while_running.id, while_running.created), (first.id, false));
    ok(a.complete(claimed.lease, now).await, "complete");

    let racers: Vec<_> = (0..8)
        .map(|index| {
            let queue = if index % 2 == 0 { a } else { b };
            queue.enqueue(keyed())
        })
        .collect();
    let raced: Vec<_> = futures_join_all(racers).await;
    let raced: Vec<_> = raced
        .into_iter()
        .map(|outcome| ok(outcome, "enqueue"))
        .collect();
    let created: Vec<_> = raced.iter().filter(|enqueued| enqueued.created).collect();
    assert_eq!(created.len(), 1, "one racer creates, the others find it");
    assert_ne!(created[0].id, first.id, "a done job frees its key");
    assert!(raced.iter().all(|enqueued| enqueued.id == created[0].id));

    let plain = enqueue(a, job(MAIL, now, now)).await;
    let plain_again = enqueue(a, job(MAIL, now, now)).await;
    assert_ne!(plain, plain_again, "jobs without a key are never merged");
}

/// A stopping worker's jobs go back to the queue at once, their attempt not
/// counted, and its old leases no longer settle them.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn release_returns_held_jobs(a: &dyn JobQueue, b: &dyn JobQueue) {
    let now = start();
    let (worker_a, worker_b) = (WorkerId::new("worker-a"), WorkerId::new("worker-b"));
    let mine = [
        enqueue(a, job(MAIL, now, now)).await,
        enqueue(a, job(PUSH, now, now)).await,
    ];
    let held = claim(a, &worker_a, 2, now).await;
    assert_eq!(held.len(), 2);
    let theirs = enqueue(b, job(MAIL, now, now)).await;
    let other = claim(b, &worker_b, 1, now).await.remove(0);
    assert_eq!(other.lease.job_id, theirs);

    let stop = at(now, 5);
    assert_eq!(ok(a.release(&worker_a, stop).await, "release"), 2);
    for id in mine {
        let record = ok(a.inspect(id).await, "inspect");
        assert_eq!(record.state, JobState::Queued { run_at: stop });
        assert_eq!(record.attempts, 0, "a released attempt does not count");
    }
    assert!(
        matches!(state(a, theirs).await, JobState::Running { worker, .. } if worker == worker_b),
        "another worker's jobs stay with it"
    );
    let reclaimed = claim(b, &worker_b, 10, stop).await;
    let reclaimed_ids: HashSet<JobId> = reclaimed.iter().map(|job| job.lease.job_id).collect();
    assert_eq!(reclaimed_ids, mine.into_iter().collect());
    assert!(reclaimed.iter().all(|job| job.attempt == 1));
    for job in &held {
        assert_eq!(
            ok(a.complete(job.lease, stop).await, "complete"),
            Settled::LeaseLost
        );
    }
    assert_eq!(ok(a.release(&worker_a, stop).await, "release"), 0);
}

/// Counts follow each job through its states, the same from either node:
/// queued (due or not), running, retrying after a transient failure, dead;
/// done jobs are not counted.
///
/// # Panics
/// When the queue breaks the contract.
pub async fn counts_follow_each_state(a: &dyn JobQueue, b: &dyn JobQueue) {
    let now = start();
    let counts = |queue: &'static str, counts: Result<JobCounts, PortError>| {
        ok(counts, &format!("counts on {queue}"))
    };
    assert_eq!(counts("a", a.counts().await), JobCounts::default());
    for _ in 0..3 {
        enqueue(a, job(MAIL, now, now)).await;
    }
    enqueue(a, job(PUSH, at(now, 60), now)).await;
    assert_eq!(
        counts("b", b.counts().await),
        JobCounts {
            queued: 4,
            ..JobCounts::default()
        },
        "a job not yet due is queued too"
    );

    let worker = WorkerId::new("worker-a");
    let held = claim(a, &worker, 3, now).await;
    assert_eq!(held.len(), 3);
    let settle = at(now, 1);
    let retry_at = at(now, 10);
    let transient = Failure::Transient { retry_at };
    assert_eq!(
        ok(
            a.fail(held[0].lease, transient, "smtp.down".to_owned(), settle)
                .await,
            "fail"
        ),
        Settled::Retrying { run_at: retry_at }
    );
    assert_eq!(
        ok(
            a.fail(
                held[1].lease,
                Failure::Permanent,
                "bad.address".to_owned(),
                settle
            )
            .await,
            "fail"
        ),
        Settled::Dead
    );
    assert_eq!(
        counts("b", b.counts().await),
        JobCounts {
            queued: 1,
            retrying: 1,
            running: 1,
            dead: 1,
        }
    );
    assert_eq!(
        ok(a.complete(held[2].lease, settle).await, "complete"),
        Settled::Done
    );
    let again = claim(b, &WorkerId::new("worker-b"), 10, retry_at).await;
    assert_eq!(again.len(), 1, "only the retry is due");
    assert_eq!(
        counts("a", a.counts().await),
        JobCounts {
            queued: 1,
            retrying: 0,
            running: 1,
            dead: 1,
        },
        "a retry under way is running, and done jobs are not counted"
    );
}

/// Runs futures concurrently and collects their outputs in order, without
/// a dependency on `futures`.
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
