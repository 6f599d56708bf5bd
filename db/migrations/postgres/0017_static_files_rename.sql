-- PostgreSQL version of ../0017_static_files_rename.sql.
CREATE TRIGGER static_files_touch_u AFTER UPDATE ON static_files
    FOR EACH ROW EXECUTE FUNCTION touch_course();
