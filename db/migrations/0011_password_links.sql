-- Set-password links: a one-time URL a site admin hands to a person without a
-- password (or who forgot it). Only the sha256 hex of the token is kept, as
-- for access tokens; the URL itself is shown once.
CREATE TABLE password_links (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL, -- NULL: the command line
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    revoked_at DATETIME
);
CREATE INDEX password_links_user ON password_links(user_id, used_at, revoked_at);

-- At most one link per user is pending: a new one revokes the unused ones
-- before it, whoever (web or command line) made it.
CREATE TRIGGER password_links_one_pending AFTER INSERT ON password_links BEGIN
    UPDATE password_links SET revoked_at = NEW.created_at
     WHERE user_id = NEW.user_id AND id <> NEW.id AND used_at IS NULL AND revoked_at IS NULL;
END;
