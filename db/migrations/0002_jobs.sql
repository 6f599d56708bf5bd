-- Background jobs (package jobs): the queue and the schedule of periodic jobs.
-- Times are DATETIME text in UTC written from Go (see 0001), so they compare as
-- text; the claim and the lease checks below rely on that.

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,              -- the handler that runs it, e.g. 'archive'
    state            TEXT NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    args             TEXT NOT NULL DEFAULT '{}', -- JSON given to the handler
    unique_key       TEXT,                       -- NULL: no uniqueness
    attempt          INTEGER NOT NULL DEFAULT 0, -- attempts started so far
    max_attempts     INTEGER NOT NULL DEFAULT 5,
    run_at           DATETIME NOT NULL,          -- not claimed before this time
    locked_until     DATETIME,                   -- lease of a running job; past it, the job is claimed again
    locked_by        TEXT NOT NULL DEFAULT '',   -- worker holding the lease (host:pid:random)
    done             INTEGER NOT NULL DEFAULT 0, -- progress: done of total, and a short note
    total            INTEGER NOT NULL DEFAULT 0,
    note             TEXT NOT NULL DEFAULT '',
    last_error       TEXT NOT NULL DEFAULT '',   -- in words a user can read
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       DATETIME NOT NULL,
    started_at       DATETIME,                   -- start of the latest attempt
    finished_at      DATETIME                    -- set in the three final states
);

-- At most one queued or running job per unique key: a second identical request
-- finds the first instead of adding another.
CREATE UNIQUE INDEX jobs_unique_active ON jobs(unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
-- The claim looks for queued jobs due by run_at and running jobs whose lease ran out.
CREATE INDEX jobs_state_run_at ON jobs(state, run_at);
CREATE INDEX jobs_state_locked_until ON jobs(state, locked_until);
-- Pruning finished jobs and listing by state, newest first.
CREATE INDEX jobs_finished_at ON jobs(finished_at) WHERE finished_at IS NOT NULL;

-- periodic: when each periodic job (janitor tasks) is next due. Several
-- processes share the file: the one whose UPDATE moves next_run_at enqueues
-- the run, so a period runs once however many workers or restarts there are.
CREATE TABLE periodic (
    name        TEXT PRIMARY KEY,
    interval_ms INTEGER NOT NULL,
    next_run_at DATETIME NOT NULL
);
