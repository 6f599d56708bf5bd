-- PostgreSQL version of ../0010_last_signin.sql.
ALTER TABLE users ADD COLUMN last_signin_at TIMESTAMPTZ;
