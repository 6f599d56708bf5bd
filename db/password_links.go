package db

import (
	"context"
	"fmt"
	"time"
)

// PasswordLink is a one-time set-password link. The token is never stored;
// TokenHash is its sha256 hex.
type PasswordLink struct {
	ID        int64
	UserID    int64
	TokenHash string
	CreatedBy int64 // 0: the command line
	CreatedAt time.Time
	ExpiresAt time.Time
}

// InsertPasswordLink records a new link. A trigger (migration 0011) revokes
// the user's earlier unused links in the same statement.
func (q *Queries) InsertPasswordLink(ctx context.Context, l PasswordLink) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO password_links (user_id, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		l.UserID, l.TokenHash, nullID(l.CreatedBy), l.CreatedAt.UTC(), l.ExpiresAt.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert password link for user %d: %w", l.UserID, err)
	}
	return id, nil
}

// PendingPasswordLink returns the unused, unrevoked, unexpired link with
// hash and its user. Used, revoked, expired and unknown links are all
// ErrNotFound: the caller answers them alike.
func (q *Queries) PendingPasswordLink(ctx context.Context, hash string, now time.Time) (PasswordLink, User, error) {
	var l PasswordLink
	var u User
	err := q.q.QueryRowContext(ctx, `
		SELECT l.id, l.user_id, l.token_hash, coalesce(l.created_by, 0), l.created_at, l.expires_at,
		       u.id, u.email, u.name, u.given_name, u.family_name, u.password_hash, u.site_admin, u.disabled, u.created_at
		  FROM password_links l JOIN users u ON u.id = l.user_id
		 WHERE l.token_hash = ? AND l.used_at IS NULL AND l.revoked_at IS NULL AND l.expires_at > ?`,
		hash, now.UTC()).Scan(&l.ID, &l.UserID, &l.TokenHash, &l.CreatedBy, &l.CreatedAt, &l.ExpiresAt,
		&u.ID, &u.Email, &u.Name, &u.GivenName, &u.FamilyName, &u.PasswordHash, &u.SiteAdmin, &u.Disabled, &u.CreatedAt)
	if err != nil {
		return PasswordLink{}, User{}, notFound(err, "pending password link")
	}
	return l, u, nil
}

// UsePasswordLink marks link id used, if it is still pending at now; a link
// used, revoked or expired meanwhile is ErrNotFound (two tabs, one wins).
func (q *Queries) UsePasswordLink(ctx context.Context, id int64, now time.Time) error {
	res, err := q.q.ExecContext(ctx, `
		UPDATE password_links SET used_at = ?1
		 WHERE id = ?2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?1`, now.UTC(), id)
	if err != nil {
		return fmt.Errorf("db: use password link %d: %w", id, err)
	}
	return rowAffected(res, fmt.Sprintf("use password link %d", id))
}

// RevokePasswordLinks revokes userID's unused links and says how many there were.
func (q *Queries) RevokePasswordLinks(ctx context.Context, userID int64, now time.Time) (int64, error) {
	res, err := q.q.ExecContext(ctx, `
		UPDATE password_links SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL`, now.UTC(), userID)
	if err != nil {
		return 0, fmt.Errorf("db: revoke password links of user %d: %w", userID, err)
	}
	return res.RowsAffected()
}
