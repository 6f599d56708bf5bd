-- PostgreSQL version of ../0022_mail_exports.sql.
-- users.mail_exports: whether a user gets mail when an export they asked for
-- is ready or fails, and, as a course admin, when an export nobody asked for
-- (a scheduled one) fails. Set on the Account page; on unless turned off.
-- A preference, not course data: users_touch_u (0007) names the columns that
-- bump data_version, and this is not one of them.
ALTER TABLE users ADD COLUMN mail_exports INTEGER NOT NULL DEFAULT 1;
