-- imports: a site admin's upload of a course archive and the job restoring it.
-- Status is derived from the job, like exports; course_id is set when done.
CREATE TABLE imports (
    id           INTEGER PRIMARY KEY,
    file_id      INTEGER REFERENCES files(id) ON DELETE SET NULL, -- the uploaded archive, removed when done
    filename     TEXT NOT NULL,
    code         TEXT NOT NULL DEFAULT '', -- requested course code; '' keeps the archive's
    requested_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    job_id       INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    course_id    INTEGER REFERENCES courses(id) ON DELETE SET NULL,
    created_at   DATETIME NOT NULL
);
CREATE INDEX imports_job ON imports(job_id);
