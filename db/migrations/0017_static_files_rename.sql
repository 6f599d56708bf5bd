-- Course files can be renamed (the Files tab, UPDATE of static_files.path):
-- a rename changes what the course's archive carries, so it moves the
-- course's data version like the insert and delete triggers of 0001 do.
CREATE TRIGGER static_files_touch_u AFTER UPDATE ON static_files BEGIN
    UPDATE courses SET data_version = data_version + 1 WHERE id = NEW.course_id; END;
