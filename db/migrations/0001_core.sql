-- Core schema: people, courses and the course data the exports read, plus the
-- app's own records (sessions, tokens, audit, files). Times are DATETIME text in
-- UTC ("2006-01-02 15:04:05.999999999+00:00"), always written from Go, so they
-- compare correctly as text.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name          TEXT NOT NULL,           -- display name
    given_name    TEXT NOT NULL DEFAULT '',
    family_name   TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL DEFAULT '', -- '' cannot sign in (e.g. imported members)
    site_admin    INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    DATETIME NOT NULL
);

CREATE TABLE courses (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name         TEXT NOT NULL,
    term         TEXT NOT NULL DEFAULT '',
    -- data_version moves whenever the course's data changes (triggers below), so
    -- an export made at version N is up to date while the course is still at N.
    data_version INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL
);

CREATE TABLE periods (
    id        INTEGER PRIMARY KEY,
    course_id INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (course_id, name)
);

CREATE TABLE memberships (
    id         INTEGER PRIMARY KEY,
    course_id  INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'ta', 'student')),
    period_id  INTEGER REFERENCES periods(id) ON DELETE SET NULL,
    student_identifier TEXT NOT NULL DEFAULT '', -- text: leading zeros matter
    created_at DATETIME NOT NULL,
    UNIQUE (course_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE assignments (
    id        INTEGER PRIMARY KEY,
    course_id INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('homework', 'reading', 'project', 'exam')),
    position  INTEGER NOT NULL,
    opens_at  DATETIME,
    due_at    DATETIME,
    points    REAL NOT NULL DEFAULT 100
);
CREATE INDEX assignments_course ON assignments(course_id, position);

CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    commit_sha    TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued', 'building', 'testing', 'passed', 'failed', 'error')),
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
CREATE INDEX submissions_assignment ON submissions(assignment_id, user_id);

CREATE TABLE build_results (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL UNIQUE REFERENCES submissions(id) ON DELETE CASCADE,
    passed        INTEGER NOT NULL,
    stdout        TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL
);

CREATE TABLE test_results (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    passed        INTEGER NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    stdout        TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL
);
CREATE INDEX test_results_submission ON test_results(submission_id);

CREATE TABLE scores (
    id            INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    fraction      REAL,  -- 0..1 of the assignment's points; NULL when not started
    status        TEXT NOT NULL CHECK (status IN ('not_started', 'in_progress', 'completed')),
    late          INTEGER NOT NULL DEFAULT 0,
    submitted_at  DATETIME,
    updated_at    DATETIME NOT NULL,
    UNIQUE (assignment_id, user_id)
);
CREATE INDEX scores_user ON scores(user_id);

-- files: the attachment subsystem's records (package db/files). Bytes live in
-- the attachment directory under a name derived from the token.
CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,      -- 32 lowercase hex, 128 random bits
    owner_type   TEXT NOT NULL,             -- e.g. 'course'
    owner_id     INTEGER NOT NULL,
    category     TEXT NOT NULL,             -- 'course-archive', 'performance-book', 'course-static'
    filename     TEXT NOT NULL,             -- what the browser saves it as
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   DATETIME NOT NULL,
    expires_at   DATETIME,                  -- NULL: kept until deleted (pinned)
    missing      INTEGER NOT NULL DEFAULT 0 -- bytes not found at start-up
);
CREATE INDEX files_owner ON files(owner_type, owner_id, category, created_at);
CREATE INDEX files_expiry ON files(expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE static_files (
    id         INTEGER PRIMARY KEY,
    course_id  INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    path       TEXT NOT NULL,               -- e.g. 'lectures/week1.pdf'
    file_id    INTEGER NOT NULL REFERENCES files(id),
    created_at DATETIME NOT NULL,
    UNIQUE (course_id, path)
);

-- sessions: scs/v2 session store.
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry DATETIME NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expiry);

CREATE TABLE access_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,      -- sha256 hex of the token; the token itself is never stored
    name         TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME
);

CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY,
    at        DATETIME NOT NULL,
    user_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action    TEXT NOT NULL,                -- e.g. 'export.generate', 'file.download', 'signin.failed'
    course_id INTEGER REFERENCES courses(id) ON DELETE SET NULL,
    subject   TEXT NOT NULL DEFAULT '',     -- what was acted on, e.g. a filename
    remote_ip TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_course ON audit_events(course_id, at);

-- data_version: any change to a course's data moves its version.
CREATE TRIGGER periods_touch AFTER INSERT ON periods BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;
CREATE TRIGGER memberships_touch_i AFTER INSERT ON memberships BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;
CREATE TRIGGER memberships_touch_u AFTER UPDATE ON memberships BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;
CREATE TRIGGER memberships_touch_d AFTER DELETE ON memberships BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = OLD.course_id; END;
CREATE TRIGGER assignments_touch_i AFTER INSERT ON assignments BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;
CREATE TRIGGER assignments_touch_u AFTER UPDATE ON assignments BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;
CREATE TRIGGER scores_touch_i AFTER INSERT ON scores BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = NEW.assignment_id); END;
CREATE TRIGGER scores_touch_u AFTER UPDATE ON scores BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = NEW.assignment_id); END;
CREATE TRIGGER submissions_touch_i AFTER INSERT ON submissions BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = NEW.assignment_id); END;
CREATE TRIGGER static_files_touch_i AFTER INSERT ON static_files BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;
CREATE TRIGGER static_files_touch_d AFTER DELETE ON static_files BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = OLD.course_id; END;
