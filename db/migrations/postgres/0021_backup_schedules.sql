-- PostgreSQL version of ../0021_backup_schedules.sql.
-- Scheduled course archives (issue 19). backup_default is the site-wide
-- schedule (one row); backup_schedules has a row per course the scheduler has
-- seen: its own schedule when override = 1 (else the default's), and the
-- scheduler's state. Times of day are minutes after midnight in the school's
-- time zone (serve --timezone); next_run_at is the instant they name, in UTC.
-- A schedule is server configuration, not course data: no data_version trigger
-- (the scheduler's own writes must not make a course look changed).
CREATE TABLE backup_default (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    frequency      TEXT NOT NULL DEFAULT 'off' CHECK (frequency IN ('off', 'daily', 'weekly')),
    weekday        INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6), -- 0 Sunday, weekly only
    minute         INTEGER NOT NULL DEFAULT 120 CHECK (minute BETWEEN 0 AND 1439),
    include_stdout INTEGER NOT NULL DEFAULT 0,
    include_static INTEGER NOT NULL DEFAULT 1,
    keep           INTEGER NOT NULL DEFAULT 7 CHECK (keep BETWEEN 1 AND 1000),
    updated_by     BIGINT REFERENCES users(id) ON DELETE SET NULL,
    updated_at     TIMESTAMPTZ
);
INSERT INTO backup_default (id) VALUES (1);

CREATE TABLE backup_schedules (
    course_id      BIGINT PRIMARY KEY REFERENCES courses(id) ON DELETE CASCADE,
    override       INTEGER NOT NULL DEFAULT 0, -- 1: the columns below; 0: backup_default's
    frequency      TEXT NOT NULL DEFAULT 'off' CHECK (frequency IN ('off', 'daily', 'weekly')),
    weekday        INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
    minute         INTEGER NOT NULL DEFAULT 120 CHECK (minute BETWEEN 0 AND 1439),
    include_stdout INTEGER NOT NULL DEFAULT 0,
    include_static INTEGER NOT NULL DEFAULT 1,
    keep           INTEGER NOT NULL DEFAULT 7 CHECK (keep BETWEEN 1 AND 1000),
    -- The next run (NULL: not yet computed, or off). A run sets it from the
    -- time it ran, so runs missed while the server was down happen once.
    next_run_at    TIMESTAMPTZ,
    last_run_at    TIMESTAMPTZ,
    updated_by     BIGINT REFERENCES users(id) ON DELETE SET NULL,
    updated_at     TIMESTAMPTZ
);
CREATE INDEX backup_schedules_due ON backup_schedules(next_run_at);

-- scheduled marks archives the scheduler made: shown as Scheduled, and only
-- these are pruned to the schedule's keep. A skipped run is a scheduled row
-- with no job and no file: skipped counts the runs it stands for, and
-- skipped_since is when the archive they found unchanged was made.
ALTER TABLE exports ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exports ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exports ADD COLUMN skipped_since TIMESTAMPTZ;
CREATE INDEX exports_scheduled ON exports(course_id, id) WHERE scheduled = 1;
