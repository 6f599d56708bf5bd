-- An import writes its course in many short transactions, so web requests and
-- other jobs get the single writer between them. Until the last one commits
-- the course is hidden: restoring_by names the import that owns it (a retry of
-- the same import removes what its killed attempt left) and restoring_until is
-- that import's lease, renewed with each transaction; a course past it was left
-- by an import that died, and is removed with the users that import created.
ALTER TABLE courses ADD COLUMN restoring_by TEXT;
ALTER TABLE courses ADD COLUMN restoring_until DATETIME;
CREATE INDEX courses_restoring ON courses(restoring_until) WHERE restoring_by IS NOT NULL;

CREATE TABLE restore_created_users (
    course_id INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (course_id, user_id)
);
