-- Course tokens let a script (an autograder, a roster sync) act on one course
-- without a person's account. Like access_tokens only the sha256 hex of the
-- token is kept. Tokens are not course data (archives leave them out), so
-- creating or revoking one does not move the course's data_version.
CREATE TABLE course_tokens (
    id           INTEGER PRIMARY KEY,
    course_id    INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL, -- NULL: made by the CLI, or the person is gone
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME
);
CREATE INDEX course_tokens_course ON course_tokens(course_id);

-- actor names who acted when it was not a person: a course token's writes are
-- audited with user_id NULL and actor 'course token "Autograder" (#3)'.
ALTER TABLE audit_events ADD COLUMN actor TEXT NOT NULL DEFAULT '';
