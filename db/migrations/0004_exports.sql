-- exports: what a user asked for and sees in an exports table. An export's
-- status is derived from its job and its file (see db.ExportView.Status): a
-- queued/running/failed/cancelled job, a ready file, or an expired one whose
-- file the janitor removed (file_id set NULL by the foreign key).
CREATE TABLE exports (
    id             INTEGER PRIMARY KEY,
    course_id      INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('course-archive', 'performance-book')),
    include_stdout INTEGER NOT NULL DEFAULT 0,
    include_static INTEGER NOT NULL DEFAULT 0,
    requested_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    job_id         INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    file_id        INTEGER REFERENCES files(id) ON DELETE SET NULL,
    data_version   INTEGER NOT NULL DEFAULT 0, -- the course's data_version the file was made from
    created_at     DATETIME NOT NULL,
    finished_at    DATETIME
);
CREATE INDEX exports_course ON exports(course_id, kind, id);
CREATE INDEX exports_job ON exports(job_id);
CREATE INDEX exports_file ON exports(file_id);
