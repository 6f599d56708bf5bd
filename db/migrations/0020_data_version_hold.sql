-- A bulk write (an ingest batch, a gradebook apply, an import batch) changes
-- thousands of rows of one course in one transaction; each row's trigger used
-- to bump the course's data_version, five updates of the courses row per
-- submission. Inside db.InBulkTx the transaction holds a row here: every
-- data_version trigger stands aside, and InBulkTx moves the held course's
-- version once before it commits. The row never outlives its transaction (it
-- is deleted before commit and a rollback drops it), so no other writer ever
-- sees it. users_touch_u keeps firing: a renamed person moves every course
-- they belong to, not only the held one.
CREATE TABLE data_version_hold (
    course_id INTEGER PRIMARY KEY
);

DROP TRIGGER periods_touch;
CREATE TRIGGER periods_touch AFTER INSERT ON periods
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;

DROP TRIGGER memberships_touch_i;
CREATE TRIGGER memberships_touch_i AFTER INSERT ON memberships
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;

DROP TRIGGER memberships_touch_u;
CREATE TRIGGER memberships_touch_u AFTER UPDATE ON memberships
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;

DROP TRIGGER memberships_touch_d;
CREATE TRIGGER memberships_touch_d AFTER DELETE ON memberships
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = OLD.course_id; END;

DROP TRIGGER assignments_touch_i;
CREATE TRIGGER assignments_touch_i AFTER INSERT ON assignments
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;

DROP TRIGGER assignments_touch_u;
CREATE TRIGGER assignments_touch_u AFTER UPDATE ON assignments
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;

DROP TRIGGER scores_touch_i;
CREATE TRIGGER scores_touch_i AFTER INSERT ON scores
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = NEW.assignment_id); END;

DROP TRIGGER scores_touch_u;
CREATE TRIGGER scores_touch_u AFTER UPDATE ON scores
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = NEW.assignment_id); END;

DROP TRIGGER submissions_touch_i;
CREATE TRIGGER submissions_touch_i AFTER INSERT ON submissions
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = NEW.assignment_id); END;

DROP TRIGGER static_files_touch_i;
CREATE TRIGGER static_files_touch_i AFTER INSERT ON static_files
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;

DROP TRIGGER static_files_touch_d;
CREATE TRIGGER static_files_touch_d AFTER DELETE ON static_files
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = OLD.course_id; END;

DROP TRIGGER build_results_touch_i;
CREATE TRIGGER build_results_touch_i AFTER INSERT ON build_results
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE s.id = NEW.submission_id); END;

DROP TRIGGER build_results_touch_u;
CREATE TRIGGER build_results_touch_u AFTER UPDATE ON build_results
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE s.id = NEW.submission_id); END;

DROP TRIGGER test_results_touch_i;
CREATE TRIGGER test_results_touch_i AFTER INSERT ON test_results
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE s.id = NEW.submission_id); END;

DROP TRIGGER test_results_touch_u;
CREATE TRIGGER test_results_touch_u AFTER UPDATE ON test_results
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE s.id = NEW.submission_id); END;

DROP TRIGGER submissions_touch_u;
CREATE TRIGGER submissions_touch_u AFTER UPDATE ON submissions
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = NEW.assignment_id); END;

DROP TRIGGER submissions_touch_d;
CREATE TRIGGER submissions_touch_d AFTER DELETE ON submissions
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = OLD.assignment_id); END;

DROP TRIGGER scores_touch_d;
CREATE TRIGGER scores_touch_d AFTER DELETE ON scores
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = OLD.assignment_id); END;

DROP TRIGGER assignments_touch_d;
CREATE TRIGGER assignments_touch_d AFTER DELETE ON assignments
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = OLD.course_id; END;

DROP TRIGGER periods_touch_u;
CREATE TRIGGER periods_touch_u AFTER UPDATE ON periods
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;

DROP TRIGGER periods_touch_d;
CREATE TRIGGER periods_touch_d AFTER DELETE ON periods
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = OLD.course_id; END;

DROP TRIGGER courses_touch_u;
CREATE TRIGGER courses_touch_u AFTER UPDATE OF code, name, term ON courses
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.id; END;


DROP TRIGGER static_files_touch_u;
CREATE TRIGGER static_files_touch_u AFTER UPDATE ON static_files
    WHEN NOT EXISTS (SELECT 1 FROM data_version_hold) BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;
