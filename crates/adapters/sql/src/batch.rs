//! Group commit: many small writes of one kind share a transaction.
//!
//! A commit costs far more than the statements in it (a WAL write on
//! SQLite, a WAL flush and a round trip on PostgreSQL), and with one commit
//! per chat message the database, not the server, sets the send rate. Here
//! callers queue their writes; a worker thread takes whatever is waiting
//! (up to [`MAX_BATCH`]) and runs it in one transaction. Each caller still
//! hears back only after the commit, so an answer still means "stored".
//!
//! With several workers, each owns a shard of the keys (chats, for
//! messages): batches on different workers never touch the same rows, so
//! they commit side by side instead of queueing on each other's row locks.
//!
//! When anything in a batch fails, the batch is rolled back and each write
//! is run again in its own transaction, so one caller's bad input is only
//! that caller's error, and no write is half done.

use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::mpsc::{self, Receiver, Sender};

use diesel::QueryResult;
use nerutalk_ports::PortError;
use tokio::sync::oneshot;

use crate::{AnyConnection, SqlStore};

/// The most writes one transaction takes.
pub(crate) const MAX_BATCH: usize = 256;

/// Writes a batch inside one transaction: one answer per input, in order.
/// An input refused on its own merits is an `Err` answer; an `Err` for the
/// whole step rolls the batch back.
pub(crate) type Step<I, O> =
    fn(&mut AnyConnection, Vec<I>) -> QueryResult<Vec<Result<O, PortError>>>;

struct Job<I, O> {
    input: I,
    reply: oneshot::Sender<Result<O, PortError>>,
}

/// The queues of one kind of write, one per worker.
pub(crate) struct WriteBatcher<I, O> {
    shards: Vec<Sender<Job<I, O>>>,
    shard_of: fn(&I) -> u64,
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
    /// Starts `workers` threads that run `step` for queued writes. Writes
    /// with the same `shard_of` go to the same worker, in arrival order.
    pub(crate) fn start(
        store: &SqlStore,
        workers: usize,
        step: Step<I, O>,
        shard_of: fn(&I) -> u64,
    ) -> Self {
        let shards = (0..workers.max(1))
            .map(|index| {
                let (queue, jobs) = mpsc::channel();
                let store = store.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("sql-batch-{index}"))
                    .spawn(move || work(&store, &jobs, step));
                if let Err(error) = spawned {
                    tracing::error!(%error, "cannot start a write worker");
                }
                queue
            })
            .collect();
        Self { shards, shard_of }
    }

    /// Queues `input` and waits until it is committed (or refused).
    pub(crate) async fn submit(&self, input: I) -> Result<O, PortError> {
        let shard =
            usize::try_from((self.shard_of)(&input) % self.shards.len() as u64).unwrap_or_default();
        let (reply, answer) = oneshot::channel();
        self.shards[shard]
            .send(Job { input, reply })
            .map_err(|_| PortError::unavailable("the write workers stopped"))?;
        answer
            .await
            .map_err(|_| PortError::unavailable("a write worker stopped"))?
    }
}

/// A stable shard key for anything hashable (the same within a process).
pub(crate) fn shard_key(key: &impl Hash) -> u64 {
    static HASHER: std::sync::LazyLock<RandomState> = std::sync::LazyLock::new(RandomState::new);
    HASHER.hash_one(key)
}

/// A worker: runs until its [`WriteBatcher`] is dropped.
fn work<I: Clone, O>(store: &SqlStore, jobs: &Receiver<Job<I, O>>, step: Step<I, O>) {
    while let Some(batch) = next_batch(jobs) {
        let inputs: Vec<I> = batch.iter().map(|job| job.input.clone()).collect();
        let together = store.write_blocking(move |connection| step(connection, inputs));
        match together {
            Ok(answers) if answers.len() == batch.len() => {
                for (job, answer) in batch.into_iter().zip(answers) {
                    // A caller that gave up waiting does not undo the write.
                    let _ = job.reply.send(answer);
                }
            }
            _ => {
                for job in batch {
                    let input = job.input;
                    let alone = store
                        .write_blocking(move |connection| step(connection, vec![input]))
                        .and_then(|answers| {
                            answers.into_iter().next().unwrap_or_else(|| {
                                Err(PortError::internal("a write gave no answer"))
                            })
                        });
                    let _ = job.reply.send(alone);
                }
            }
        }
    }
}

/// Waits for one write, then takes whatever else is already waiting.
fn next_batch<I, O>(jobs: &Receiver<Job<I, O>>) -> Option<Vec<Job<I, O>>> {
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
