-- server_keys: secrets the server signs with, shared by every instance on
-- this database and kept across restarts. Written once, here, never per
-- request. 'csrf' signs the sign-in form's double-submit cookie (web/csrf.go).
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    key  BLOB NOT NULL
);
INSERT INTO server_keys (name, key) VALUES ('csrf', randomblob(32));
