-- PostgreSQL version of ../0020_data_version_hold.sql. Inside db.InBulkTx the
-- transaction holds a row here; the data_version functions then only note
-- that something changed (PostgreSQL has no total_changes()), and InBulkTx
-- moves the held course's version once if so. Other transactions never see
-- the row: it is deleted before commit. touch_courses_of_user keeps firing,
-- as users_touch_u does on SQLite.
CREATE TABLE data_version_hold (
    course_id BIGINT PRIMARY KEY,
    changed   INTEGER NOT NULL DEFAULT 0
);

CREATE FUNCTION data_version_held() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM data_version_hold) THEN
        UPDATE data_version_hold SET changed = 1 WHERE changed = 0;
        RETURN true;
    END IF;
    RETURN false;
END $$;

CREATE OR REPLACE FUNCTION touch_course() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF data_version_held() THEN RETURN NULL; END IF;
    UPDATE courses SET data_version = data_version + 1
     WHERE id = CASE TG_OP WHEN 'DELETE' THEN OLD.course_id ELSE NEW.course_id END;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION touch_course_of_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF data_version_held() THEN RETURN NULL; END IF;
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT course_id FROM assignments
                  WHERE id = CASE TG_OP WHEN 'DELETE' THEN OLD.assignment_id ELSE NEW.assignment_id END);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION touch_course_of_submission() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF data_version_held() THEN RETURN NULL; END IF;
    UPDATE courses SET data_version = data_version + 1
     WHERE id = (SELECT a.course_id FROM submissions s JOIN assignments a ON a.id = s.assignment_id
                  WHERE s.id = NEW.submission_id);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION touch_course_itself() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF data_version_held() THEN RETURN NULL; END IF;
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.id;
    RETURN NULL;
END $$;
