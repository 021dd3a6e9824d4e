//! Background jobs: the handlers of each job kind, the scheduler use cases
//! enqueue through, and the runner that claims and runs due jobs.
//!
//! Exactly-once comes from the queue's claim and lease plus idempotent
//! handlers: an attempt cut off mid-way is run again.

mod attempt;
mod handler;
mod mail;
mod runner;
mod scheduler;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use handler::{Job, JobError, JobHandler, JobOutcome};
pub use mail::{DELIVER_MAIL, DeliverMail, QueuedMailer};
pub use runner::{
    DEFAULT_PURGE_EVERY, DEFAULT_RETENTION, JobRunner, JobRunnerConfig, RunningJobs, StopReport,
};
pub use scheduler::JobScheduler;
