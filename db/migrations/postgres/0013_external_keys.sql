-- PostgreSQL version of ../0013_external_keys.sql.
ALTER TABLE assignments ADD COLUMN external_key TEXT;
CREATE UNIQUE INDEX assignments_external_key ON assignments(course_id, external_key) WHERE external_key IS NOT NULL;

ALTER TABLE submissions ADD COLUMN external_id TEXT;
CREATE INDEX submissions_external_id ON submissions(external_id) WHERE external_id IS NOT NULL;
