-- PostgreSQL version of ../0019_server_keys.sql. gen_random_uuid (core since
-- PostgreSQL 13) draws from the server's strong random source; two of them
-- give the 32 bytes (244 random bits) without the pgcrypto extension.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    key  BYTEA NOT NULL
);
INSERT INTO server_keys (name, key)
VALUES ('csrf', decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
