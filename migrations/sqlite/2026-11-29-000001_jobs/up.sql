-- The durable job queue. A job is queued, running (claimed under a lease),
-- done (its payload replaced by '{}': payloads may hold secrets), or dead
-- (failed for good, kept with its payload for inspection). due_at is when the
-- queue looks at a job next: a queued job's run_at, a running job's lease
-- expiry; it is NULL once the job is done or dead. One claim query thus
-- finds both runnable jobs and jobs whose worker died.

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    -- JSON text, never read by the queue
    payload TEXT NOT NULL,
    dedupe_key TEXT,
    state TEXT NOT NULL,
    due_at TIMESTAMP,
    -- the worker holding the lease (the last one, once settled)
    worker TEXT,
    -- bumped by every claim: a lease is valid only for its generation
    generation INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    CONSTRAINT jobs_state_check CHECK (state IN ('queued', 'running', 'done', 'dead')),
    CONSTRAINT jobs_due_check CHECK ((due_at IS NULL) = (state IN ('done', 'dead'))),
    CONSTRAINT jobs_finished_check CHECK ((finished_at IS NULL) = (due_at IS NOT NULL))
);

-- The claim: due jobs, oldest due first (id breaks ties), read in index
-- order. Settled jobs stay out of it.
CREATE INDEX jobs_due_idx ON jobs (due_at, id) WHERE due_at IS NOT NULL;

-- One live job per dedupe key; done and dead jobs free the key.
CREATE UNIQUE INDEX jobs_dedupe_key_live ON jobs (dedupe_key)
    WHERE state IN ('queued', 'running');

-- Releasing a stopping worker's jobs.
CREATE INDEX jobs_worker_running_idx ON jobs (worker) WHERE state = 'running';

-- Retention: settled jobs by when they were settled, for the purge of
-- those settled before a time (finished_at < t matches the predicate).
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE finished_at IS NOT NULL;
