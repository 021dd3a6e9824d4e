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
//!
//! Each worker's queue is bounded ([`QUEUE_CAPACITY`]): when the database
//! falls behind, a write that finds its queue full is refused at once as
//! unavailable (a 503 the client may retry) instead of waiting in memory
//! that grows without limit.
//!
//! The workers stop when told ([`WriteBatcher::stop`], at shutdown): each
//! commits every write queued before the stop, and a write that arrives
//! after it is refused as unavailable, never left waiting.

use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use diesel::QueryResult;
use nerutalk_ports::PortError;
use tokio::sync::oneshot;

use crate::{AnyConnection, SqlStore};

/// The most writes one transaction takes.
pub(crate) const MAX_BATCH: usize = 256;

/// The most writes waiting for one worker: a few batches' worth.
pub(crate) const QUEUE_CAPACITY: usize = 8 * MAX_BATCH;

/// Writes a batch inside one transaction: one answer per input, in order.
/// An input refused on its own merits is an `Err` answer; an `Err` for the
/// whole step rolls the batch back.
pub(crate) type Step<I, O> =
    fn(&mut AnyConnection, Vec<I>) -> QueryResult<Vec<Result<O, PortError>>>;

struct Job<I, O> {
    input: I,
    reply: oneshot::Sender<Result<O, PortError>>,
}

/// What a worker's queue carries.
enum Queued<I, O> {
    Write(Job<I, O>),
    /// Everything before this is committed; then the worker ends.
    Stop,
}

/// The queues of one kind of write, one per worker.
pub(crate) struct WriteBatcher<I, O> {
    shards: Vec<SyncSender<Queued<I, O>>>,
    shard_of: fn(&I) -> u64,
    stopping: AtomicBool,
    workers: Mutex<Vec<JoinHandle<()>>>,
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
        Self::start_with_capacity(store, workers, step, shard_of, QUEUE_CAPACITY)
    }

    fn start_with_capacity(
        store: &SqlStore,
        workers: usize,
        step: Step<I, O>,
        shard_of: fn(&I) -> u64,
        capacity: usize,
    ) -> Self {
        let mut handles = Vec::new();
        let shards = (0..workers.max(1))
            .map(|index| {
                let (queue, jobs) = mpsc::sync_channel(capacity);
                let store = store.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("sql-batch-{index}"))
                    .spawn(move || work(&store, &jobs, step));
                match spawned {
                    Ok(handle) => handles.push(handle),
                    Err(error) => tracing::error!(%error, "cannot start a write worker"),
                }
                queue
            })
            .collect();
        Self {
            shards,
            shard_of,
            stopping: AtomicBool::new(false),
            workers: Mutex::new(handles),
        }
    }

    /// Stops the workers once they have committed every write queued so
    /// far, and returns when they have ended. Blocks: call it off the
    /// async threads. Later writes are refused as unavailable.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        for shard in &self.shards {
            // Blocks while the queue is full: the stop waits its turn.
            let _ = shard.send(Queued::Stop);
        }
        let workers =
            std::mem::take(&mut *self.workers.lock().unwrap_or_else(PoisonError::into_inner));
        for worker in workers {
            if worker.join().is_err() {
                tracing::error!("a write worker panicked");
            }
        }
    }

    /// Queues `input` and waits until it is committed (or refused).
    ///
    /// # Errors
    /// [`PortError::Unavailable`] at once when the worker's queue is full.
    pub(crate) async fn submit(&self, input: I) -> Result<O, PortError> {
        let shard =
            usize::try_from((self.shard_of)(&input) % self.shards.len() as u64).unwrap_or_default();
        if self.stopping.load(Ordering::SeqCst) {
            return Err(PortError::unavailable("the server is stopping"));
        }
        let (reply, answer) = oneshot::channel();
        // A write that slips in after the stop is dropped with the queue
        // when its worker ends, and its caller hears "unavailable".
        self.shards[shard]
            .try_send(Queued::Write(Job { input, reply }))
            .map_err(|error| match error {
                TrySendError::Full(_) => PortError::unavailable("the write queue is full"),
                TrySendError::Disconnected(_) => {
                    PortError::unavailable("the write workers stopped")
                }
            })?;
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

/// A worker: runs until told to stop, or until its [`WriteBatcher`] is dropped.
fn work<I: Clone, O>(store: &SqlStore, jobs: &Receiver<Queued<I, O>>, step: Step<I, O>) {
    let mut stopped = false;
    while !stopped {
        let Some((batch, stop)) = next_batch(jobs) else {
            return;
        };
        stopped = stop;
        if batch.is_empty() {
            continue;
        }
        // How much group commit saves: one transaction for this many writes.
        metrics::histogram!("nerutalk_sql_batch_size").record(batch.len() as f64);
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

/// Waits for one write, then takes whatever else is already waiting, up
/// to a stop; true with the batch when the stop was reached.
fn next_batch<I, O>(jobs: &Receiver<Queued<I, O>>) -> Option<(Vec<Job<I, O>>, bool)> {
    let mut batch = Vec::new();
    match jobs.recv().ok()? {
        Queued::Write(job) => batch.push(job),
        Queued::Stop => return Some((batch, true)),
    }
    while batch.len() < MAX_BATCH {
        match jobs.try_recv() {
            Ok(Queued::Write(job)) => batch.push(job),
            Ok(Queued::Stop) => return Some((batch, true)),
            Err(_) => break,
        }
    }
    Some((batch, false))
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Waker};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::DatabaseUrl;

    /// Set once the worker holds a batch; the worker keeps it until `OPEN`.
    static ENTERED: AtomicBool = AtomicBool::new(false);
    static OPEN: AtomicBool = AtomicBool::new(false);

    fn held_until_open(
        _: &mut AnyConnection,
        inputs: Vec<u32>,
    ) -> QueryResult<Vec<Result<u32, PortError>>> {
        ENTERED.store(true, Ordering::SeqCst);
        while !OPEN.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(inputs.into_iter().map(Ok).collect())
    }

    fn echo(_: &mut AnyConnection, inputs: Vec<u32>) -> QueryResult<Vec<Result<u32, PortError>>> {
        Ok(inputs.into_iter().map(Ok).collect())
    }

    #[tokio::test]
    async fn a_stop_commits_what_was_queued_before_it_and_refuses_what_comes_after() {
        let path = std::env::temp_dir().join(format!("nerutalk-batch-{}.db", uuid::Uuid::now_v7()));
        let store = SqlStore::connect(&DatabaseUrl::Sqlite(path), 2).unwrap();
        let batcher = Arc::new(WriteBatcher::start(&store, 2, echo, |input| {
            u64::from(*input)
        }));
        let mut context = Context::from_waker(Waker::noop());
        // Each write is queued on its first poll; some are answered at once.
        let queued: Vec<_> = (0..500)
            .map(|input| {
                let mut write = Box::pin(batcher.submit(input));
                match write.as_mut().poll(&mut context) {
                    std::task::Poll::Ready(answer) => (input, Err(answer)),
                    std::task::Poll::Pending => (input, Ok(write)),
                }
            })
            .collect();
        let stopping = batcher.clone();
        tokio::task::spawn_blocking(move || stopping.stop())
            .await
            .unwrap();
        for (input, write) in queued {
            let answer = match write {
                Ok(pending) => pending.await,
                Err(answered) => answered,
            };
            assert_eq!(answer.unwrap(), input, "queued before the stop");
        }
        assert!(matches!(
            batcher.submit(7).await,
            Err(PortError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_takes_writes_again_once_drained() {
        let path = std::env::temp_dir().join(format!("nerutalk-batch-{}.db", uuid::Uuid::now_v7()));
        let store = SqlStore::connect(&DatabaseUrl::Sqlite(path), 2).unwrap();
        let batcher = WriteBatcher::start_with_capacity(&store, 1, held_until_open, |_| 0, 2);
        let mut context = Context::from_waker(Waker::noop());

        // The worker takes the first write and holds it.
        let mut first = Box::pin(batcher.submit(1));
        assert!(first.as_mut().poll(&mut context).is_pending());
        let deadline = Instant::now() + Duration::from_secs(5);
        while !ENTERED.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "the worker never took the write");
            std::thread::sleep(Duration::from_millis(1));
        }
        // Two more fill its queue: each is queued on its first poll.
        let mut second = Box::pin(batcher.submit(2));
        let mut third = Box::pin(batcher.submit(3));
        assert!(second.as_mut().poll(&mut context).is_pending());
        assert!(third.as_mut().poll(&mut context).is_pending());

        let mut refused = Box::pin(batcher.submit(4));
        let refused = refused.as_mut().poll(&mut context);
        assert!(
            matches!(
                refused,
                std::task::Poll::Ready(Err(PortError::Unavailable(_)))
            ),
            "a full queue answers at once: {refused:?}"
        );

        OPEN.store(true, Ordering::SeqCst);
        assert_eq!(first.await.unwrap(), 1);
        assert_eq!(second.await.unwrap(), 2);
        assert_eq!(third.await.unwrap(), 3);
        assert_eq!(
            batcher.submit(5).await.unwrap(),
            5,
            "drained, it takes writes again"
        );
    }
}
