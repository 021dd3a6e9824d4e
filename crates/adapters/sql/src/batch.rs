//! Group commit: many small writes of one kind share a transaction.
//!
//! A commit costs far more than the statements in it (a WAL write on
//! SQLite, a WAL flush and a round trip on PostgreSQL), and with one commit
//! per chat message the database, not the server, sets the send rate. Here
//! callers queue their writes; a few worker threads take whatever is waiting
//! (up to [`MAX_BATCH`]) and run it in one transaction. Each caller still
//! hears back only after the commit, so an answer still means "stored".
//!
//! When anything in a batch fails, the batch is rolled back and each write
//! is run again in its own transaction, so one caller's bad input is only
//! that caller's error, and no write is half done.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

use diesel::QueryResult;
use nerutalk_ports::PortError;
use tokio::sync::oneshot;

use crate::{AnyConnection, SqlStore};

/// The most writes one transaction takes.
pub(crate) const MAX_BATCH: usize = 256;

/// One write: what to write in a transaction that may hold others too.
pub(crate) type Step<I, O> = fn(&mut AnyConnection, I) -> QueryResult<O>;

struct Job<I, O> {
    input: I,
    reply: oneshot::Sender<Result<O, PortError>>,
}

/// The queue of one kind of write, and the workers that commit it.
pub(crate) struct WriteBatcher<I, O> {
    queue: Sender<Job<I, O>>,
}

impl<I, O> std::fmt::Debug for WriteBatcher<I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteBatcher").finish_non_exhaustive()
    }
}

impl<I, O> WriteBatcher<I, O>
where
    I: Clone + Send + 'static,
    O: Send + 'static,
{
    /// Starts `workers` threads that run `step` for queued writes. Within a
    /// batch, writes are taken in the order of `lock_order` (stable, so
    /// writes with equal keys keep their arrival order): every worker then
    /// locks rows in the same order and two batches cannot deadlock.
    pub(crate) fn start<K: Ord + 'static>(
        store: &SqlStore,
        workers: usize,
        step: Step<I, O>,
        lock_order: fn(&I) -> K,
    ) -> Self {
        let (queue, jobs) = mpsc::channel();
        let jobs = Arc::new(Mutex::new(jobs));
        for index in 0..workers.max(1) {
            let (store, jobs) = (store.clone(), jobs.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("sql-batch-{index}"))
                .spawn(move || work(&store, &jobs, step, lock_order));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a write worker");
            }
        }
        Self { queue }
    }

    /// Queues `input` and waits until it is committed (or refused).
    pub(crate) async fn submit(&self, input: I) -> Result<O, PortError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { input, reply })
            .map_err(|_| PortError::unavailable("the write workers stopped"))?;
        answer
            .await
            .map_err(|_| PortError::unavailable("a write worker stopped"))?
    }
}

/// A worker: runs until every [`WriteBatcher`] handle is dropped.
fn work<I, O, K: Ord>(
    store: &SqlStore,
    jobs: &Mutex<Receiver<Job<I, O>>>,
    step: Step<I, O>,
    lock_order: fn(&I) -> K,
) where
    I: Clone,
{
    while let Some(mut batch) = next_batch(jobs) {
        batch.sort_by(|a, b| lock_order(&a.input).cmp(&lock_order(&b.input)));
        let inputs: Vec<I> = batch.iter().map(|job| job.input.clone()).collect();
        let together = store.write_blocking(move |connection| {
            inputs
                .into_iter()
                .map(|input| step(connection, input))
                .collect::<QueryResult<Vec<O>>>()
        });
        match together {
            Ok(outputs) => {
                for (job, output) in batch.into_iter().zip(outputs) {
                    // A caller that gave up waiting does not undo the write.
                    let _ = job.reply.send(Ok(output));
                }
            }
            Err(_) => {
                for job in batch {
                    let input = job.input;
                    let alone = store.write_blocking(move |connection| step(connection, input));
                    let _ = job.reply.send(alone);
                }
            }
        }
    }
}

/// Waits for one write, then takes whatever else is already waiting.
fn next_batch<I, O>(jobs: &Mutex<Receiver<Job<I, O>>>) -> Option<Vec<Job<I, O>>> {
    let jobs = jobs.lock().unwrap_or_else(PoisonError::into_inner);
    let first = jobs.recv().ok()?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match jobs.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}
