//! Enqueueing jobs from use cases, waking this node's runner when a job is
//! due at once so that it does not wait for its next poll.

use std::sync::Arc;

use nerutalk_ports::{Clock, Enqueued, JobKind, JobQueue, NewJob, PortError};
use serde::Serialize;
use tokio::sync::Notify;

/// The queue as use cases see it. Cheap to clone; every clone wakes the
/// same runner.
#[derive(Clone)]
pub struct JobScheduler {
    pub(crate) queue: Arc<dyn JobQueue>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) wake: Arc<Notify>,
}

impl std::fmt::Debug for JobScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobScheduler").finish_non_exhaustive()
    }
}

impl JobScheduler {
    #[must_use]
    pub fn new(queue: Arc<dyn JobQueue>, clock: Arc<dyn Clock>) -> Self {
        Self {
            queue,
            clock,
            wake: Arc::new(Notify::new()),
        }
    }

    /// A job of `kind` carrying `payload` as JSON, runnable now; adjust
    /// `run_at`, the dedupe key or the attempts on the result.
    ///
    /// # Errors
    /// [`PortError::Internal`] when `payload` does not serialize (a map
    /// with non-string keys, a failing `Serialize` impl).
    pub fn job<T: Serialize>(&self, kind: JobKind, payload: &T) -> Result<NewJob, PortError> {
        let payload = serde_json::to_string(payload).map_err(PortError::internal)?;
        let now = self.clock.now();
        Ok(NewJob::new(kind, payload, now, now))
    }

    /// Stores `job` (or finds its live twin by dedupe key) and, when it is
    /// due already, wakes this node's runner.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when the queue cannot be written.
    pub async fn enqueue(&self, job: NewJob) -> Result<Enqueued, PortError> {
        let due = job.run_at <= self.clock.now();
        let enqueued = self.queue.enqueue(job).await?;
        if due && enqueued.created {
            // A stored permit: a runner busy claiming when this lands still
            // looks again right after.
            self.wake.notify_one();
        }
        Ok(enqueued)
    }
}
