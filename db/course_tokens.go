package db

import (
	"context"
	"fmt"
	"time"
)

// MaxCourseTokenName is the longest name a course token may have, in characters.
const MaxCourseTokenName = 100

// CourseToken is a token that acts on one course as its admin would, within
// the routes web allows course tokens. Only its hash is stored.
type CourseToken struct {
	ID          int64
	CourseID    int64
	Name        string
	CreatedBy   int64  // 0: made by the CLI, or the person was removed
	CreatorName string // filled in by CourseTokens
	CreatedAt   time.Time
	LastUsedAt  *time.Time
	RevokedAt   *time.Time
}

// InsertCourseToken records a new course token by its hash.
func (q *Queries) InsertCourseToken(ctx context.Context, t CourseToken, hash string) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO course_tokens (course_id, name, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		t.CourseID, t.Name, hash, nullID(t.CreatedBy), t.CreatedAt.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert token %q of course %d: %w", t.Name, t.CourseID, err)
	}
	return id, nil
}

// CourseTokenByHash returns the unrevoked token with hash whose course exists
// and is not being restored.
func (q *Queries) CourseTokenByHash(ctx context.Context, hash string) (CourseToken, error) {
	var t CourseToken
	err := q.q.QueryRowContext(ctx, `
		SELECT t.id, t.course_id, t.name, coalesce(t.created_by, 0), t.created_at, t.last_used_at, t.revoked_at
		  FROM course_tokens t JOIN courses c ON c.id = t.course_id
		 WHERE t.token_hash = ? AND t.revoked_at IS NULL AND c.restoring_by IS NULL`, hash).
		Scan(&t.ID, &t.CourseID, &t.Name, &t.CreatedBy, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	if err != nil {
		return CourseToken{}, notFound(err, "course token")
	}
	return t, nil
}

// CourseTokens lists a course's tokens, revoked ones included, newest first.
func (q *Queries) CourseTokens(ctx context.Context, courseID int64) ([]CourseToken, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT t.id, t.course_id, t.name, coalesce(t.created_by, 0), coalesce(u.name, ''), t.created_at, t.last_used_at, t.revoked_at
		  FROM course_tokens t LEFT JOIN users u ON u.id = t.created_by
		 WHERE t.course_id = ?
		 ORDER BY t.id DESC`, courseID)
	if err != nil {
		return nil, fmt.Errorf("db: list tokens of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []CourseToken
	for rows.Next() {
		var t CourseToken
		if err := rows.Scan(&t.ID, &t.CourseID, &t.Name, &t.CreatedBy, &t.CreatorName, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt); err != nil {
			return nil, fmt.Errorf("db: list tokens of course %d: %w", courseID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeCourseToken revokes token id of courseID and returns its name;
// revoking it again keeps the first time. A token of another course is
// ErrNotFound.
func (q *Queries) RevokeCourseToken(ctx context.Context, courseID, id int64, now time.Time) (string, error) {
	var name string
	err := q.q.QueryRowContext(ctx, `
		UPDATE course_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND course_id = ?
		RETURNING name`, now.UTC(), id, courseID).Scan(&name)
	if err != nil {
		return "", notFound(err, fmt.Sprintf("revoke token %d of course %d", id, courseID))
	}
	return name, nil
}

// TouchCourseToken sets a token's last use to now unless it was set after
// since: callers pass now minus the granularity they keep, so a busy token
// costs one write a minute, not one per request.
func (q *Queries) TouchCourseToken(ctx context.Context, id int64, now, since time.Time) error {
	_, err := q.q.ExecContext(ctx, `
		UPDATE course_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
		now.UTC(), id, since.UTC())
	if err != nil {
		return fmt.Errorf("db: note use of token %d: %w", id, err)
	}
	return nil
}
