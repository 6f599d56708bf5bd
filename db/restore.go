package db

import (
	"context"
	"fmt"
	"time"
)

// The restore (package jobs/restore) writes a course in many short
// transactions. The course row comes first, hidden (restoring_by set): every
// lookup that pages and jobs use skips it, so nobody sees a half-written course.
// FinishRestore shows it. A restore that fails removes its course with
// DeleteRestore; one that dies leaves it, hidden, until its lease
// (restoring_until) passes or the same owner tries again (AbandonedRestores).
//
// Static file bytes are stored before the course row, because storing takes
// the writer connection itself. They are first owned by a placeholder owner
// with an expiry, so a killed import leaves nothing that outlives the janitor;
// ClaimImportedFile hands one to its new course in the last transaction.

// InsertRestoringCourse creates the hidden course of a restore owned by
// owner, leased until until. A taken code fails with a unique violation, even
// when the course holding it is hidden.
func (q *Queries) InsertRestoringCourse(ctx context.Context, c Course, owner string, until time.Time) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO courses (code, name, term, created_at, restoring_by, restoring_until) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Code, c.Name, c.Term, c.CreatedAt.UTC(), owner, until.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert course %s: %w", c.Code, err)
	}
	return id, nil
}

// NoteRestoreCreatedUser records that the restore of courseID created
// userID, so a restore that dies takes the user away with its course.
func (q *Queries) NoteRestoreCreatedUser(ctx context.Context, courseID, userID int64) error {
	if _, err := q.q.ExecContext(ctx, `INSERT INTO restore_created_users (course_id, user_id) VALUES (?, ?)`, courseID, userID); err != nil {
		return fmt.Errorf("db: note user %d created by the restore of course %d: %w", userID, courseID, err)
	}
	return nil
}

// RenewRestore extends the lease of a hidden course. ErrNotFound means the
// course is gone: its lease ran out and it was removed as abandoned.
func (q *Queries) RenewRestore(ctx context.Context, courseID int64, until time.Time) error {
	return q.restoring(ctx, courseID, "renew", `UPDATE courses SET restoring_until = ? WHERE id = ? AND restoring_by IS NOT NULL`, until.UTC(), courseID)
}

// FinishRestore shows a hidden course: from now on it is an ordinary course.
func (q *Queries) FinishRestore(ctx context.Context, courseID int64) error {
	if _, err := q.q.ExecContext(ctx, `DELETE FROM restore_created_users WHERE course_id = ?`, courseID); err != nil {
		return fmt.Errorf("db: finish the restore of course %d: %w", courseID, err)
	}
	return q.restoring(ctx, courseID, "finish", `UPDATE courses SET restoring_by = NULL, restoring_until = NULL WHERE id = ? AND restoring_by IS NOT NULL`, courseID)
}

func (q *Queries) restoring(ctx context.Context, courseID int64, what, query string, args ...any) error {
	what = fmt.Sprintf("%s the restore of course %d", what, courseID)
	res, err := q.q.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what)
}

// AbandonedRestores lists the hidden courses whose lease ran out before now,
// and those owned by owner (a new attempt of the same restore; "" for none).
func (q *Queries) AbandonedRestores(ctx context.Context, now time.Time, owner string) ([]int64, error) {
	return q.ids(ctx, "list abandoned restores", `
		SELECT id FROM courses
		 WHERE restoring_by IS NOT NULL AND (restoring_until < ? OR restoring_by = ?)`, now.UTC(), owner)
}

// RestoreAssignments lists the assignment ids of a hidden course, so
// DeleteRestore's caller can remove them one transaction each.
func (q *Queries) RestoreAssignments(ctx context.Context, courseID int64) ([]int64, error) {
	return q.ids(ctx, fmt.Sprintf("list assignments of the restore of course %d", courseID), `
		SELECT a.id FROM assignments a JOIN courses c ON c.id = a.course_id
		 WHERE a.course_id = ? AND c.restoring_by IS NOT NULL`, courseID)
}

// ids runs a query of one integer column.
func (q *Queries) ids(ctx context.Context, what, query string, args ...any) ([]int64, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: %s: %w", what, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("db: %s: %w", what, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: %s: %w", what, err)
	}
	return ids, nil
}

// DeleteRestoreAssignment removes one assignment of a hidden course with its
// submissions, results and scores.
func (q *Queries) DeleteRestoreAssignment(ctx context.Context, courseID, assignmentID int64) error {
	_, err := q.q.ExecContext(ctx, `
		DELETE FROM assignments WHERE id = ? AND course_id IN (SELECT id FROM courses WHERE id = ? AND restoring_by IS NOT NULL)`,
		assignmentID, courseID)
	if err != nil {
		return fmt.Errorf("db: delete assignment %d of the restore of course %d: %w", assignmentID, courseID, err)
	}
	return nil
}

// DeleteRestore removes a hidden course with everything in it, and the users
// its restore created that are still as it made them (disabled, no password)
// and belong to no other course. A course that is not hidden is left alone.
func (q *Queries) DeleteRestore(ctx context.Context, courseID int64) error {
	if _, err := q.q.ExecContext(ctx, `
		DELETE FROM users WHERE id IN (
			SELECT r.user_id FROM restore_created_users r JOIN courses c ON c.id = r.course_id
			 WHERE r.course_id = ? AND c.restoring_by IS NOT NULL)
		   AND disabled = 1 AND password_hash = ''
		   AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.course_id != ?)`,
		courseID, courseID); err != nil {
		return fmt.Errorf("db: delete users created by the restore of course %d: %w", courseID, err)
	}
	if _, err := q.q.ExecContext(ctx, `DELETE FROM courses WHERE id = ? AND restoring_by IS NOT NULL`, courseID); err != nil {
		return fmt.Errorf("db: delete the restore of course %d: %w", courseID, err)
	}
	return nil
}

// ClaimImportedFile makes a file stored by an import, still owned by
// (pendingOwnerType, any id), the course's own: owner course courseID and
// pinned (no expiry). A file that is not pending any more (expired and deleted
// by the janitor meanwhile, or claimed twice) is ErrNotFound.
func (q *Queries) ClaimImportedFile(ctx context.Context, fileID int64, pendingOwnerType string, courseID int64) error {
	what := fmt.Sprintf("claim imported file %d for course %d", fileID, courseID)
	res, err := q.q.ExecContext(ctx, `
		UPDATE files SET owner_type = 'course', owner_id = ?, expires_at = NULL
		 WHERE id = ? AND owner_type = ?`, courseID, fileID, pendingOwnerType)
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what)
}
