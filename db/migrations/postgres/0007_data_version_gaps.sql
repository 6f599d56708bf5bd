-- PostgreSQL version of ../0007_data_version_gaps.sql.
CREATE FUNCTION touch_course_of_submission() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id
                  WHERE s.id = NEW.submission_id);
    RETURN NULL;
END $$;

CREATE FUNCTION touch_course_itself() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.id;
    RETURN NULL;
END $$;

CREATE FUNCTION touch_courses_of_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE courses SET data_version = data_version + 1
     WHERE id IN (SELECT course_id FROM memberships WHERE user_id = NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER build_results_touch_i AFTER INSERT ON build_results
    FOR EACH ROW EXECUTE FUNCTION touch_course_of_submission();
CREATE TRIGGER build_results_touch_u AFTER UPDATE ON build_results
    FOR EACH ROW EXECUTE FUNCTION touch_course_of_submission();
CREATE TRIGGER test_results_touch_i AFTER INSERT ON test_results
    FOR EACH ROW EXECUTE FUNCTION touch_course_of_submission();
CREATE TRIGGER test_results_touch_u AFTER UPDATE ON test_results
    FOR EACH ROW EXECUTE FUNCTION touch_course_of_submission();
CREATE TRIGGER submissions_touch_u AFTER UPDATE ON submissions
    FOR EACH ROW EXECUTE FUNCTION touch_course_of_assignment();
CREATE TRIGGER submissions_touch_d AFTER DELETE ON submissions
    FOR EACH ROW EXECUTE FUNCTION touch_course_of_assignment();
CREATE TRIGGER scores_touch_d AFTER DELETE ON scores
    FOR EACH ROW EXECUTE FUNCTION touch_course_of_assignment();
CREATE TRIGGER assignments_touch_d AFTER DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION touch_course();
CREATE TRIGGER periods_touch_u AFTER UPDATE ON periods
    FOR EACH ROW EXECUTE FUNCTION touch_course();
CREATE TRIGGER periods_touch_d AFTER DELETE ON periods
    FOR EACH ROW EXECUTE FUNCTION touch_course();
CREATE TRIGGER courses_touch_u AFTER UPDATE OF code, name, term ON courses
    FOR EACH ROW EXECUTE FUNCTION touch_course_itself();
CREATE TRIGGER users_touch_u AFTER UPDATE OF email, name, given_name, family_name ON users
    FOR EACH ROW EXECUTE FUNCTION touch_courses_of_user();
