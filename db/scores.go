package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ScoreSet writes scores a gradebook file gives, with one prepared statement.
type ScoreSet struct{ stmt *sql.Stmt }

// PrepareSetScore prepares the score upsert; Close it when done.
func (q *Queries) PrepareSetScore(ctx context.Context) (*ScoreSet, error) {
	stmt, err := q.q.PrepareContext(ctx, `
		INSERT INTO scores (assignment_id, user_id, fraction, status, late, submitted_at, updated_at)
		VALUES (?, ?, ?, 'completed', 0, NULL, ?)
		ON CONFLICT (assignment_id, user_id) DO UPDATE
		   SET fraction = excluded.fraction, status = 'completed', updated_at = excluded.updated_at`)
	if err != nil {
		return nil, fmt.Errorf("db: prepare set score: %w", err)
	}
	return &ScoreSet{stmt}, nil
}

// Exec sets a student's score for an assignment (a fraction of its points)
// and marks it completed; a score that exists keeps its late flag and
// submission time.
func (p *ScoreSet) Exec(ctx context.Context, assignmentID, userID int64, fraction float64, now time.Time) error {
	if _, err := p.stmt.ExecContext(ctx, assignmentID, userID, fraction, now.UTC()); err != nil {
		return fmt.Errorf("db: set score of user %d for assignment %d: %w", userID, assignmentID, err)
	}
	return nil
}

// Close releases the statement.
func (p *ScoreSet) Close() error { return p.stmt.Close() }
