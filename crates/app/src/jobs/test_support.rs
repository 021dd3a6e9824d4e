//! Test doubles for the runner's tests: a queue in memory and a clock that
//! follows tokio's, so that paused tokio time moves the queue's times too.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use nerutalk_domain::ids::JobId;
use nerutalk_ports::jobs::{LEASE_EXPIRED, SPENT_PAYLOAD};
use nerutalk_ports::{
    ClaimedJob, Clock, Enqueued, Failure, JobCounts, JobKind, JobQueue, JobRecord, JobState, Lease,
    NewJob, PortError, Renewal, Settled, WorkerId,
};

/// UTC that moves with tokio's (paused) clock.
pub(super) struct TokioClock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl TokioClock {
    pub(super) fn new() -> Self {
        Self {
            base: Utc::now().trunc_subsecs(6),
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        (self.base + TimeDelta::from_std(self.start.elapsed()).unwrap()).trunc_subsecs(6)
    }
}

/// The queue's rules over a vector: what the SQL adapter does in a table.
/// It passes the port's contract suite (below), so the runner's tests stand
/// on a faithful queue.
#[derive(Default)]
pub(super) struct MemoryQueue {
    jobs: Mutex<Vec<(JobRecord, i64)>>,
    pub(super) renewals: AtomicUsize,
}

impl MemoryQueue {
    pub(super) fn record(&self, id: JobId) -> JobRecord {
        let jobs = self.jobs.lock().unwrap();
        jobs.iter().find(|(job, _)| job.id == id).unwrap().0.clone()
    }

    /// Whether the job is still stored (not purged).
    pub(super) fn holds(&self, id: JobId) -> bool {
        let jobs = self.jobs.lock().unwrap();
        jobs.iter().any(|(job, _)| job.id == id)
    }

    /// Another node takes the running job over, as after an expired lease.
    pub(super) fn steal(&self, id: JobId) {
        let mut jobs = self.jobs.lock().unwrap();
        let (job, generation) = jobs.iter_mut().find(|(job, _)| job.id == id).unwrap();
        *generation += 1;
        if let JobState::Running {
            worker,
            generation: held,
            ..
        } = &mut job.state
        {
            *worker = WorkerId::new("thief");
            *held = *generation;
        }
    }

    fn settle(
        &self,
        lease: Lease,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut JobRecord) -> Settled,
    ) -> Settled {
        let mut jobs = self.jobs.lock().unwrap();
        let held = jobs.iter_mut().find(|(job, generation)| {
            job.id == lease.job_id
                && *generation == lease.generation
                && matches!(job.state, JobState::Running { .. })
        });
        match held {
            Some((job, _)) => {
                job.updated_at = now;
                change(job)
            }
            None => Settled::LeaseLost,
        }
    }
}

fn due_at(state: &JobState) -> Option<DateTime<Utc>> {
    match state {
        JobState::Queued { run_at } => Some(*run_at),
        JobState::Running { lease_until, .. } => Some(*lease_until),
        JobState::Done { .. } | JobState::Dead { .. } => None,
    }
}

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn enqueue(&self, job: NewJob) -> Result<Enqueued, PortError> {
        let mut jobs = self.jobs.lock().unwrap();
        if let Some(key) = &job.dedupe_key {
            let live = jobs.iter().find(|(stored, _)| {
                stored.dedupe_key.as_ref() == Some(key) && due_at(&stored.state).is_some()
            });
            if let Some((live, _)) = live {
                return Ok(Enqueued {
                    id: live.id,
                    created: false,
                });
            }
        }
        jobs.push((
            JobRecord {
                id: job.id,
                kind: job.kind,
                payload: job.payload,
                dedupe_key: job.dedupe_key,
                state: JobState::Queued { run_at: job.run_at },
                attempts: 0,
                max_attempts: job.max_attempts.max(1),
                last_error: None,
                created_at: job.created_at,
                updated_at: job.created_at,
            },
            0,
        ));
        Ok(Enqueued {
            id: job.id,
            created: true,
        })
    }

    async fn claim(
        &self,
        worker: &WorkerId,
        kinds: &[JobKind],
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<ClaimedJob>, PortError> {
        let mut jobs = self.jobs.lock().unwrap();
        for (job, _) in jobs.iter_mut() {
            let expired =
                matches!(job.state, JobState::Running { lease_until, .. } if lease_until <= now);
            if expired && job.attempts >= job.max_attempts && kinds.contains(&job.kind) {
                job.state = JobState::Dead { at: now };
                job.last_error = Some(LEASE_EXPIRED.to_owned());
                job.updated_at = now;
            }
        }
        let mut due: Vec<_> = jobs
            .iter_mut()
            .filter(|(job, _)| kinds.contains(&job.kind))
            .filter_map(|entry| {
                due_at(&entry.0.state)
                    .filter(|at| *at <= now)
                    .map(|at| (at, entry))
            })
            .collect();
        due.sort_by_key(|(at, (job, _))| (*at, job.id));
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap())
            .map(|(_, (job, generation))| {
                *generation += 1;
                job.attempts += 1;
                job.updated_at = now;
                job.state = JobState::Running {
                    worker: worker.clone(),
                    lease_until,
                    generation: *generation,
                };
                ClaimedJob {
                    lease: Lease {
                        job_id: job.id,
                        generation: *generation,
                    },
                    kind: job.kind.clone(),
                    payload: job.payload.clone(),
                    attempt: job.attempts,
                    max_attempts: job.max_attempts,
                    lease_until,
                }
            })
            .collect())
    }

    async fn renew(
        &self,
        lease: Lease,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Renewal, PortError> {
        self.renewals.fetch_add(1, Ordering::SeqCst);
        let settled = self.settle(lease, now, |job| {
            if let JobState::Running {
                lease_until: until, ..
            } = &mut job.state
            {
                *until = lease_until;
            }
            Settled::Done
        });
        Ok(match settled {
            Settled::LeaseLost => Renewal::LeaseLost,
            _ => Renewal::Renewed,
        })
    }

    async fn complete(&self, lease: Lease, now: DateTime<Utc>) -> Result<Settled, PortError> {
        Ok(self.settle(lease, now, |job| {
            job.state = JobState::Done { at: now };
            SPENT_PAYLOAD.clone_into(&mut job.payload);
            Settled::Done
        }))
    }

    async fn fail(
        &self,
        lease: Lease,
        failure: Failure,
        error: String,
        now: DateTime<Utc>,
    ) -> Result<Settled, PortError> {
        Ok(self.settle(lease, now, |job| {
            job.last_error = Some(error);
            match failure {
                Failure::Transient { retry_at } if job.attempts < job.max_attempts => {
                    job.state = JobState::Queued { run_at: retry_at };
                    Settled::Retrying { run_at: retry_at }
                }
                Failure::Transient { .. } | Failure::Permanent => {
                    job.state = JobState::Dead { at: now };
                    Settled::Dead
                }
            }
        }))
    }

    async fn release(&self, worker: &WorkerId, now: DateTime<Utc>) -> Result<u64, PortError> {
        let mut jobs = self.jobs.lock().unwrap();
        let mut released = 0;
        for (job, _) in jobs.iter_mut() {
            if matches!(&job.state, JobState::Running { worker: holder, .. } if holder == worker) {
                job.state = JobState::Queued { run_at: now };
                job.attempts -= 1;
                job.updated_at = now;
                released += 1;
            }
        }
        Ok(released)
    }

    async fn inspect(&self, id: JobId) -> Result<JobRecord, PortError> {
        let jobs = self.jobs.lock().unwrap();
        jobs.iter()
            .find(|(job, _)| job.id == id)
            .map(|(job, _)| job.clone())
            .ok_or(PortError::NotFound)
    }

    async fn purge(&self, finished_before: DateTime<Utc>) -> Result<u64, PortError> {
        let mut jobs = self.jobs.lock().unwrap();
        let before = jobs.len();
        jobs.retain(|(job, _)| match job.state {
            JobState::Done { at } | JobState::Dead { at } => at >= finished_before,
            JobState::Queued { .. } | JobState::Running { .. } => true,
        });
        Ok(u64::try_from(before - jobs.len()).unwrap())
    }

    async fn counts(&self) -> Result<JobCounts, PortError> {
        let jobs = self.jobs.lock().unwrap();
        let mut counts = JobCounts::default();
        for (job, _) in jobs.iter() {
            match (&job.state, &job.last_error) {
                (JobState::Queued { .. }, None) => counts.queued += 1,
                (JobState::Queued { .. }, Some(_)) => counts.retrying += 1,
                (JobState::Running { .. }, _) => counts.running += 1,
                (JobState::Dead { .. }, _) => counts.dead += 1,
                (JobState::Done { .. }, _) => {}
            }
        }
        Ok(counts)
    }
}
