//! The contract of the job queue (`nerutalk_ports::contract::jobs`), run
//! against SQLite and PostgreSQL, each clause with two stores on one
//! database standing for two nodes.

#![expect(clippy::unwrap_used, reason = "tests unwrap")]

#[macro_use]
mod support;

use nerutalk_ports::contract::jobs as contract;
use nerutalk_sql::{DatabaseUrl, SqlJobQueue, SqlStore};

/// Two nodes' queues over one database, each with its own pool.
struct Nodes {
    a: SqlJobQueue,
    b: SqlJobQueue,
}

async fn repositories(url: &DatabaseUrl) -> Nodes {
    let first = SqlStore::connect(url, 4).unwrap();
    first.migrate().await.unwrap();
    let second = SqlStore::connect(url, 4).unwrap();
    Nodes {
        a: SqlJobQueue::new(first),
        b: SqlJobQueue::new(second),
    }
}

macro_rules! clauses {
    ($($clause:ident),+ $(,)?) => {
        $(
            async fn $clause(nodes: &Nodes) {
                contract::$clause(&nodes.a, &nodes.b).await;
            }
        )+
        contract_clauses!($($clause),+);
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
