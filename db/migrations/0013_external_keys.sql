-- Outside systems (an autograder, a gradebook kept elsewhere) name assignments
-- and submissions by their own keys ("hw1", "ext-123"), so sending the same
-- thing again updates it instead of adding a copy. Rows made by hand or by
-- the demo have none (NULL).
ALTER TABLE assignments ADD COLUMN external_key TEXT;
CREATE UNIQUE INDEX assignments_external_key ON assignments(course_id, external_key) WHERE external_key IS NOT NULL;

-- A submission's key is unique within its course; the course is reached
-- through the assignment, so the index serves the lookup and the writer
-- checks the course.
ALTER TABLE submissions ADD COLUMN external_id TEXT;
CREATE INDEX submissions_external_id ON submissions(external_id) WHERE external_id IS NOT NULL;
