package db

import (
	"context"
	"fmt"
	"time"
)

// InsertAccessToken records the sha256 hash of a new personal access token.
func (q *Queries) InsertAccessToken(ctx context.Context, userID int64, hash, name string, now time.Time) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO access_tokens (user_id, token_hash, name, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		userID, hash, name, now.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert access token for user %d: %w", userID, err)
	}
	return id, nil
}

// UserByTokenHash returns the enabled user owning an unrevoked token with hash.
func (q *Queries) UserByTokenHash(ctx context.Context, hash string) (User, error) {
	u, err := scanUser(q.q.QueryRowContext(ctx, `
		SELECT u.id, u.email, u.name, u.given_name, u.family_name, u.password_hash, u.site_admin, u.disabled, u.created_at
		  FROM access_tokens t JOIN users u ON u.id = t.user_id
		 WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = 0`, hash))
	if err != nil {
		return User{}, notFound(err, "access token")
	}
	return u, nil
}

// RevokeAccessTokens revokes every token of userID.
func (q *Queries) RevokeAccessTokens(ctx context.Context, userID int64, now time.Time) error {
	_, err := q.q.ExecContext(ctx, `UPDATE access_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, now.UTC(), userID)
	if err != nil {
		return fmt.Errorf("db: revoke tokens of user %d: %w", userID, err)
	}
	return nil
}
