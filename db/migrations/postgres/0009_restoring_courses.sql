-- PostgreSQL version of ../0009_restoring_courses.sql.
ALTER TABLE courses ADD COLUMN restoring_by TEXT;
ALTER TABLE courses ADD COLUMN restoring_until TIMESTAMPTZ;
CREATE INDEX courses_restoring ON courses(restoring_until) WHERE restoring_by IS NOT NULL;

CREATE TABLE restore_created_users (
    course_id BIGINT NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (course_id, user_id)
);
