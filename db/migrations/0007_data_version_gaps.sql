-- More changes that move a course's data_version, so "Up to date" never
-- claims an export is current when its content would differ: results that
-- arrive after their submission, edits and deletes, renames.
CREATE TRIGGER build_results_touch_i AFTER INSERT ON build_results BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE s.id = NEW.submission_id); END;
CREATE TRIGGER build_results_touch_u AFTER UPDATE ON build_results BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE s.id = NEW.submission_id); END;
CREATE TRIGGER test_results_touch_i AFTER INSERT ON test_results BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE s.id = NEW.submission_id); END;
CREATE TRIGGER test_results_touch_u AFTER UPDATE ON test_results BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id WHERE s.id = NEW.submission_id); END;
CREATE TRIGGER submissions_touch_u AFTER UPDATE ON submissions BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = NEW.assignment_id); END;
CREATE TRIGGER submissions_touch_d AFTER DELETE ON submissions BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = OLD.assignment_id); END;
CREATE TRIGGER scores_touch_d AFTER DELETE ON scores BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments WHERE id = OLD.assignment_id); END;
CREATE TRIGGER assignments_touch_d AFTER DELETE ON assignments BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = OLD.course_id; END;
CREATE TRIGGER periods_touch_u AFTER UPDATE ON periods BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;
CREATE TRIGGER periods_touch_d AFTER DELETE ON periods BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = OLD.course_id; END;
CREATE TRIGGER courses_touch_u AFTER UPDATE OF code, name, term ON courses BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.id; END;
CREATE TRIGGER users_touch_u AFTER UPDATE OF email, name, given_name, family_name ON users BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id IN (SELECT course_id FROM memberships WHERE user_id = NEW.id); END;
