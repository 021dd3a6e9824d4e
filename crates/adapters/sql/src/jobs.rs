//! [`JobQueue`] on SQL: the `jobs` table.
//!
//! A claim is one write transaction: pick the due jobs, then mark them
//! running under a new generation. On PostgreSQL the pick locks its rows
//! with `FOR UPDATE SKIP LOCKED`, so concurrent claimers on every node pass
//! each other's rows by instead of waiting for them or taking them twice.
//! SQLite has one writer at a time: its write transaction (`BEGIN
//! IMMEDIATE`, see `store.rs`) already keeps two claims apart.
//!
//! The same transaction first makes dead the jobs whose lease ran out on
//! their last attempt, so that no claim ever hands them out again.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use nerutalk_domain::ids::JobId;
use nerutalk_ports::jobs::{LEASE_EXPIRED, SPENT_PAYLOAD};
use nerutalk_ports::{
    ClaimedJob, Enqueued, Failure, JobCounts, JobKind, JobQueue, JobRecord, JobState, Lease,
    NewJob, PortError, Renewal, Settled, WorkerId,
};

use crate::chats::corrupt;
use crate::schema::jobs;
use crate::types::DbUuid;
use crate::{AnyConnection, SqlStore};

const QUEUED: &str = "queued";
const RUNNING: &str = "running";
const DONE: &str = "done";
const DEAD: &str = "dead";
const LIVE: [&str; 2] = [QUEUED, RUNNING];

/// How often an enqueue that lost a dedupe race looks again: the winner
/// may settle between our insert and our look, freeing the key.
const DEDUPE_TRIES: usize = 3;

/// Jobs in the `jobs` table.
#[derive(Debug, Clone)]
pub struct SqlJobQueue {
    store: SqlStore,
}

impl SqlJobQueue {
    #[must_use]
    pub fn new(store: SqlStore) -> Self {
        Self { store }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
struct JobRow {
    id: DbUuid,
    kind: String,
    payload: String,
    dedupe_key: Option<String>,
    state: String,
    due_at: Option<NaiveDateTime>,
    worker: Option<String>,
    generation: i64,
    attempts: i32,
    max_attempts: i32,
    last_error: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
}

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn stored_count(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl JobRow {
    fn id(&self) -> JobId {
        JobId::from_uuid(self.id.0)
    }

    fn into_claimed(self) -> QueryResult<ClaimedJob> {
        let lease_until = self
            .due_at
            .ok_or_else(|| corrupt("jobs.due_at", "NULL"))?
            .and_utc();
        Ok(ClaimedJob {
            lease: Lease {
                job_id: self.id(),
                generation: self.generation,
            },
            kind: JobKind::stored(self.kind),
            payload: self.payload,
            attempt: count(self.attempts),
            max_attempts: count(self.max_attempts),
            lease_until,
        })
    }

    fn into_record(self) -> QueryResult<JobRecord> {
        let id = self.id();
        let due = |due_at: Option<NaiveDateTime>| {
            due_at
                .map(|at| at.and_utc())
                .ok_or_else(|| corrupt("jobs.due_at", "NULL"))
        };
        let finished = |finished_at: Option<NaiveDateTime>| {
            finished_at
                .map(|at| at.and_utc())
                .ok_or_else(|| corrupt("jobs.finished_at", "NULL"))
        };
        let state = match self.state.as_str() {
            QUEUED => JobState::Queued {
                run_at: due(self.due_at)?,
            },
            RUNNING => JobState::Running {
                worker: WorkerId::new(self.worker.ok_or_else(|| corrupt("jobs.worker", "NULL"))?),
                lease_until: due(self.due_at)?,
                generation: self.generation,
            },
            DONE => JobState::Done {
                at: finished(self.finished_at)?,
            },
            DEAD => JobState::Dead {
                at: finished(self.finished_at)?,
            },
            other => return Err(corrupt("jobs.state", other)),
        };
        Ok(JobRecord {
            id,
            kind: JobKind::stored(self.kind),
            payload: self.payload,
            dedupe_key: self.dedupe_key,
            state,
            attempts: count(self.attempts),
            max_attempts: count(self.max_attempts),
            last_error: self.last_error,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// The jobs of one state, and whether an attempt of theirs failed.
#[derive(Debug, QueryableByName)]
struct StateCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    state: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    failed: bool,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    jobs: i64,
}

/// Done jobs are left out: they are most of the table, and nobody watches
/// them. Written as text because the grouping is on an expression, which
/// diesel's query builder does not group by; it is the same on both backends.
const STATE_COUNTS: &str = "SELECT state, last_error IS NOT NULL AS failed, COUNT(*) AS jobs \
     FROM jobs WHERE state <> 'done' GROUP BY state, last_error IS NOT NULL";

fn tally(rows: Vec<StateCount>) -> QueryResult<JobCounts> {
    let mut counts = JobCounts::default();
    for row in rows {
        let jobs = u64::try_from(row.jobs).unwrap_or(0);
        let slot = match (row.state.as_str(), row.failed) {
            (QUEUED, false) => &mut counts.queued,
            (QUEUED, true) => &mut counts.retrying,
            (RUNNING, _) => &mut counts.running,
            (DEAD, _) => &mut counts.dead,
            (other, _) => return Err(corrupt("jobs.state", other)),
        };
        *slot += jobs;
    }
    Ok(counts)
}

/// The live job holding `key`, if any.
fn live_with_key(connection: &mut AnyConnection, key: &str) -> QueryResult<Option<DbUuid>> {
    jobs::table
        .filter(jobs::dedupe_key.eq(key))
        .filter(jobs::state.eq_any(LIVE))
        .select(jobs::id)
        .first(connection)
        .optional()
}

fn find_or_insert(connection: &mut AnyConnection, job: &NewJob) -> QueryResult<Enqueued> {
    if let Some(key) = &job.dedupe_key {
        if let Some(existing) = live_with_key(connection, key)? {
            return Ok(Enqueued {
                id: JobId::from_uuid(existing.0),
                created: false,
            });
        }
    }
    diesel::insert_into(jobs::table)
        .values((
            jobs::id.eq(DbUuid::from(job.id)),
            jobs::kind.eq(job.kind.as_str()),
            jobs::payload.eq(&job.payload),
            jobs::dedupe_key.eq(job.dedupe_key.as_deref()),
            jobs::state.eq(QUEUED),
            jobs::due_at.eq(job.run_at.naive_utc()),
            jobs::max_attempts.eq(stored_count(job.max_attempts.max(1))),
            jobs::created_at.eq(job.created_at.naive_utc()),
            jobs::updated_at.eq(job.created_at.naive_utc()),
        ))
        .execute(connection)?;
    Ok(Enqueued {
        id: job.id,
        created: true,
    })
}

/// Makes dead the running jobs of `kinds` whose lease ran out by `now` on
/// their last attempt, inside the caller's write transaction.
fn bury_expired(
    connection: &mut AnyConnection,
    kinds: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let expired = jobs::table
        .filter(jobs::due_at.le(now))
        .filter(jobs::state.eq(RUNNING))
        .filter(jobs::attempts.ge(jobs::max_attempts))
        .filter(jobs::kind.eq_any(kinds))
        .select(jobs::id);
    // Locked and skipped like the pick below: a row another claimer holds
    // is being buried by it, and one row-locking statement per claimer
    // cannot deadlock against another.
    let ids: Vec<DbUuid> = match connection {
        AnyConnection::Postgresql(postgres) => expired.for_update().skip_locked().load(postgres)?,
        AnyConnection::Sqlite(sqlite) => expired.load(sqlite)?,
    };
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(jobs::table.filter(jobs::id.eq_any(&ids)))
        .set((
            jobs::state.eq(DEAD),
            jobs::due_at.eq(None::<NaiveDateTime>),
            jobs::finished_at.eq(now),
            jobs::last_error.eq(LEASE_EXPIRED),
            jobs::updated_at.eq(now),
        ))
        .execute(connection)?;
    Ok(())
}

/// Picks the due jobs and marks them claimed, inside the caller's write
/// transaction.
fn claim_due(
    connection: &mut AnyConnection,
    worker: &str,
    kinds: &[String],
    limit: i64,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Vec<JobRow>> {
    bury_expired(connection, kinds, now)?;
    let due = jobs::table
        .filter(jobs::due_at.le(now))
        // A queued job always has an attempt left; a running one on its
        // last attempt is left to `bury_expired` (it can only be here when
        // another claimer holds it locked).
        .filter(jobs::attempts.lt(jobs::max_attempts))
        .filter(jobs::kind.eq_any(kinds))
        .order((jobs::due_at.asc(), jobs::id.asc()))
        .limit(limit)
        .select(jobs::id);
    let ids: Vec<DbUuid> = match connection {
        AnyConnection::Postgresql(postgres) => due.for_update().skip_locked().load(postgres)?,
        AnyConnection::Sqlite(sqlite) => due.load(sqlite)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(jobs::table.filter(jobs::id.eq_any(&ids)))
        .set((
            jobs::state.eq(RUNNING),
            jobs::due_at.eq(lease_until),
            jobs::worker.eq(worker),
            jobs::generation.eq(jobs::generation + 1),
            jobs::attempts.eq(jobs::attempts + 1),
            jobs::updated_at.eq(now),
        ))
        .execute(connection)?;
    jobs::table
        .filter(jobs::id.eq_any(&ids))
        .order((jobs::due_at.asc(), jobs::id.asc()))
        .select(JobRow::as_select())
        .load(connection)
}

/// The job `lease` still holds: running, under the claim the lease names.
/// A worker whose lease was taken over finds nothing here.
#[diesel::dsl::auto_type(no_type_alias)]
fn held_by(lease: Lease) -> _ {
    let job: DbUuid = DbUuid::from(lease.job_id);
    let generation: i64 = lease.generation;
    let running: &'static str = RUNNING;
    jobs::table
        .filter(jobs::id.eq(job))
        .filter(jobs::generation.eq(generation))
        .filter(jobs::state.eq(running))
}

/// The running attempt `lease` names, as (attempts, max attempts).
fn held(connection: &mut AnyConnection, lease: Lease) -> QueryResult<Option<(i32, i32)>> {
    held_by(lease)
        .select((jobs::attempts, jobs::max_attempts))
        .first(connection)
        .optional()
}

#[async_trait]
impl JobQueue for SqlJobQueue {
    async fn enqueue(&self, job: NewJob) -> Result<Enqueued, PortError> {
        let mut tries = 0;
        loop {
            let attempt = job.clone();
            match self
                .store
                .write(move |connection| find_or_insert(connection, &attempt))
                .await
            {
                // Another node inserted a live job with the same key
                // between our look and our insert (PostgreSQL; SQLite's
                // single writer cannot race): look again.
                Err(PortError::Conflict(_)) if job.dedupe_key.is_some() => {
                    tries += 1;
                    if tries >= DEDUPE_TRIES {
                        return Err(PortError::Conflict(nerutalk_ports::ConflictField::Other));
                    }
                }
                outcome => return outcome,
            }
        }
    }

    async fn claim(
        &self,
        worker: &WorkerId,
        kinds: &[JobKind],
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<ClaimedJob>, PortError> {
        if kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let worker = worker.as_str().to_owned();
        let kinds: Vec<String> = kinds.iter().map(|kind| kind.as_str().to_owned()).collect();
        let rows = self
            .store
            .write(move |connection| {
                claim_due(
                    connection,
                    &worker,
                    &kinds,
                    i64::from(limit),
                    now.naive_utc(),
                    lease_until.naive_utc(),
                )
            })
            .await?;
        rows.into_iter()
            .map(|row| row.into_claimed().map_err(PortError::internal))
            .collect()
    }

    async fn renew(
        &self,
        lease: Lease,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Renewal, PortError> {
        let rows = self
            .store
            .run(move |connection| {
                diesel::update(held_by(lease))
                    .set((
                        jobs::due_at.eq(lease_until.naive_utc()),
                        jobs::updated_at.eq(now.naive_utc()),
                    ))
                    .execute(connection)
            })
            .await?;
        Ok(if rows == 0 {
            Renewal::LeaseLost
        } else {
            Renewal::Renewed
        })
    }

    async fn complete(&self, lease: Lease, now: DateTime<Utc>) -> Result<Settled, PortError> {
        let now = now.naive_utc();
        let rows = self
            .store
            .run(move |connection| {
                diesel::update(held_by(lease))
                    .set((
                        jobs::state.eq(DONE),
                        jobs::payload.eq(SPENT_PAYLOAD),
                        jobs::due_at.eq(None::<NaiveDateTime>),
                        jobs::finished_at.eq(now),
                        jobs::updated_at.eq(now),
                    ))
                    .execute(connection)
            })
            .await?;
        Ok(if rows == 0 {
            Settled::LeaseLost
        } else {
            Settled::Done
        })
    }

    async fn fail(
        &self,
        lease: Lease,
        failure: Failure,
        error: String,
        now: DateTime<Utc>,
    ) -> Result<Settled, PortError> {
        let now = now.naive_utc();
        self.store
            .write(move |connection| {
                let Some((attempts, max_attempts)) = held(connection, lease)? else {
                    return Ok(Settled::LeaseLost);
                };
                let retry_at = match failure {
                    Failure::Transient { retry_at } if attempts < max_attempts => Some(retry_at),
                    Failure::Transient { .. } | Failure::Permanent => None,
                };
                let job = jobs::table.filter(jobs::id.eq(DbUuid::from(lease.job_id)));
                match retry_at {
                    Some(retry_at) => {
                        diesel::update(job)
                            .set((
                                jobs::state.eq(QUEUED),
                                jobs::due_at.eq(retry_at.naive_utc()),
                                jobs::last_error.eq(&error),
                                jobs::updated_at.eq(now),
                            ))
                            .execute(connection)?;
                        Ok(Settled::Retrying { run_at: retry_at })
                    }
                    None => {
                        diesel::update(job)
                            .set((
                                jobs::state.eq(DEAD),
                                jobs::due_at.eq(None::<NaiveDateTime>),
                                jobs::finished_at.eq(now),
                                jobs::last_error.eq(&error),
                                jobs::updated_at.eq(now),
                            ))
                            .execute(connection)?;
                        Ok(Settled::Dead)
                    }
                }
            })
            .await
    }

    async fn release(&self, worker: &WorkerId, now: DateTime<Utc>) -> Result<u64, PortError> {
        let worker = worker.as_str().to_owned();
        let now = now.naive_utc();
        let rows = self
            .store
            .run(move |connection| {
                diesel::update(
                    jobs::table
                        .filter(jobs::worker.eq(worker))
                        .filter(jobs::state.eq(RUNNING)),
                )
                .set((
                    jobs::state.eq(QUEUED),
                    jobs::due_at.eq(now),
                    // The attempt was stopped, not failed: it does not count.
                    jobs::attempts.eq(jobs::attempts - 1),
                    jobs::updated_at.eq(now),
                ))
                .execute(connection)
            })
            .await?;
        Ok(u64::try_from(rows).unwrap_or(u64::MAX))
    }

    async fn inspect(&self, id: JobId) -> Result<JobRecord, PortError> {
        let row = self
            .store
            .run(move |connection| {
                jobs::table
                    .find(DbUuid::from(id))
                    .select(JobRow::as_select())
                    .first(connection)
            })
            .await?;
        row.into_record().map_err(PortError::internal)
    }

    async fn purge(&self, finished_before: DateTime<Utc>) -> Result<u64, PortError> {
        let before = finished_before.naive_utc();
        let rows = self
            .store
            .run(move |connection| {
                // `finished_at` is set exactly on done and dead jobs
                // (`jobs_finished_check`); the comparison alone uses the
                // partial index `jobs_finished_idx`.
                diesel::delete(jobs::table.filter(jobs::finished_at.lt(before))).execute(connection)
            })
            .await?;
        Ok(u64::try_from(rows).unwrap_or(u64::MAX))
    }

    async fn counts(&self) -> Result<JobCounts, PortError> {
        let rows = self
            .store
            .run(|connection| diesel::sql_query(STATE_COUNTS).load::<StateCount>(connection))
            .await?;
        tally(rows).map_err(PortError::internal)
    }
}
