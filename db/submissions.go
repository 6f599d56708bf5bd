package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// This file holds what the autograder ingest (package jobs/submissions)
// needs: submissions named by the autograder's own id (external_id, unique
// within a course by the writer's choice, not by an index), the course's
// students by email or student id, and one prepared-statement writer per
// batch transaction:
//
//	w, err := tx.PrepareSubmissionWriter(ctx)
//	defer w.Close()
//	found, err := w.Find(ctx, courseID, ids) // the batch's ids
//	for ... { found[id] or w.Insert, else w.Replace; w.Build; w.Test }
//	w.Flush(ctx); w.Score ...

// StudentRef is a course member matched by email or student id.
type StudentRef struct {
	UserID int64
	Email  string
	Role   string
}

// MembersByEmailOrStudentID lists the members of courseID whose email
// (case-insensitively) or student id is ref, email matches first. More than
// one row means the student id is shared; the caller decides.
func (q *Queries) MembersByEmailOrStudentID(ctx context.Context, courseID int64, ref string) ([]StudentRef, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT u.id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
		 WHERE m.course_id = ? AND (u.email = ? OR (m.student_identifier = ? AND m.student_identifier != ''))
		 ORDER BY u.email = ? DESC, u.id LIMIT 5`, courseID, ref, ref, ref)
	if err != nil {
		return nil, fmt.Errorf("db: find member %q of course %d: %w", ref, courseID, err)
	}
	defer rows.Close()
	var out []StudentRef
	for rows.Next() {
		var r StudentRef
		if err := rows.Scan(&r.UserID, &r.Email, &r.Role); err != nil {
			return nil, fmt.Errorf("db: find member %q of course %d: %w", ref, courseID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: find member %q of course %d: %w", ref, courseID, err)
	}
	return out, nil
}

// ExternalSubmission is a submission as an autograder sends it, resolved to
// rows: SubmittedAt becomes created_at, Now updated_at.
type ExternalSubmission struct {
	ExternalID   string
	AssignmentID int64
	UserID       int64
	CommitSHA    string
	State        string
	SubmittedAt  time.Time
	Now          time.Time
}

// SubmissionRef is where an external id already points.
type SubmissionRef struct {
	ID           int64
	AssignmentID int64
	UserID       int64
}

// SubmissionWriter writes autograder submissions with prepared statements,
// reused for every line of one batch transaction.
type SubmissionWriter struct {
	q                                               *Queries
	find, insert, update, delBuild, delTests, score *sql.Stmt
	// The results Build and Test collect, written by Flush with multi-row
	// inserts (InsertBuildResults, InsertTestResults): one statement per
	// row costs as much as the row.
	builds  []BuildResult
	tests   []TestResult
	pending map[int64]bool // the submissions with results collected
}

// PrepareSubmissionWriter prepares the writer's statements; Close it when done.
func (q *Queries) PrepareSubmissionWriter(ctx context.Context) (*SubmissionWriter, error) {
	w := &SubmissionWriter{q: q, pending: map[int64]bool{}}
	for _, s := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		// The ids (a JSON array) lead, each one an index search: the
		// planner would rather scan the course's submissions.
		{&w.find, `SELECT s.external_id, s.id, s.assignment_id, s.user_id
		             FROM json_each(?) j CROSS JOIN submissions s INDEXED BY submissions_external_id CROSS JOIN assignments a
		            WHERE s.external_id = j.value AND a.id = s.assignment_id AND a.course_id = ?
		            ORDER BY s.id`},
		{&w.insert, `INSERT INTO submissions (assignment_id, user_id, commit_sha, state, created_at, updated_at, external_id)
		             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`},
		{&w.update, `UPDATE submissions SET commit_sha = ?, state = ?, created_at = ?, updated_at = ? WHERE id = ?`},
		{&w.delBuild, `DELETE FROM build_results WHERE submission_id = ?`},
		{&w.delTests, `DELETE FROM test_results WHERE submission_id = ?`},
		{&w.score, `INSERT INTO scores (assignment_id, user_id, fraction, status, late, submitted_at, updated_at)
		            VALUES (?, ?, ?, ?, ?, ?, ?)
		            ON CONFLICT (assignment_id, user_id) DO UPDATE SET fraction = excluded.fraction, status = excluded.status,
		              late = excluded.late, submitted_at = excluded.submitted_at, updated_at = excluded.updated_at`},
	} {
		stmt, err := q.q.PrepareContext(ctx, s.query)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("db: prepare submission writer: %w", err)
		}
		*s.stmt = stmt
	}
	return w, nil
}

// Find returns the submissions of courseID that the outside ids name (the
// first of each, as the ingest writes one), by outside id, in one query for
// a batch of lines: ids nothing names are not in the map.
func (w *SubmissionWriter) Find(ctx context.Context, courseID int64, externalIDs []string) (map[string]SubmissionRef, error) {
	ids, err := json.Marshal(externalIDs)
	if err != nil {
		return nil, fmt.Errorf("db: find %d submissions of course %d: %w", len(externalIDs), courseID, err)
	}
	rows, err := w.find.QueryContext(ctx, string(ids), courseID)
	if err != nil {
		return nil, fmt.Errorf("db: find %d submissions of course %d: %w", len(externalIDs), courseID, err)
	}
	defer rows.Close()
	found := make(map[string]SubmissionRef, len(externalIDs))
	for rows.Next() {
		var id string
		var r SubmissionRef
		if err := rows.Scan(&id, &r.ID, &r.AssignmentID, &r.UserID); err != nil {
			return nil, fmt.Errorf("db: find %d submissions of course %d: %w", len(externalIDs), courseID, err)
		}
		if _, ok := found[id]; !ok {
			found[id] = r
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: find %d submissions of course %d: %w", len(externalIDs), courseID, err)
	}
	return found, nil
}

// Insert adds a new submission and returns its id.
func (w *SubmissionWriter) Insert(ctx context.Context, s ExternalSubmission) (int64, error) {
	var id int64
	err := w.insert.QueryRowContext(ctx, s.AssignmentID, s.UserID, s.CommitSHA, s.State, s.SubmittedAt.UTC(), s.Now.UTC(), s.ExternalID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert submission %q of user %d for assignment %d: %w", s.ExternalID, s.UserID, s.AssignmentID, err)
	}
	return id, nil
}

// Replace overwrites submission id with s (commit, state, times) and
// deletes its build and test results, for the caller to write the new ones.
// The submission's update moves the course's data_version (trigger).
func (w *SubmissionWriter) Replace(ctx context.Context, id int64, s ExternalSubmission) error {
	// Results collected for this submission earlier in the batch must be
	// written before they are deleted.
	if w.pending[id] {
		if err := w.Flush(ctx); err != nil {
			return err
		}
	}
	if _, err := w.update.ExecContext(ctx, s.CommitSHA, s.State, s.SubmittedAt.UTC(), s.Now.UTC(), id); err != nil {
		return fmt.Errorf("db: replace submission %d (%q): %w", id, s.ExternalID, err)
	}
	if _, err := w.delBuild.ExecContext(ctx, id); err != nil {
		return fmt.Errorf("db: delete build result of submission %d: %w", id, err)
	}
	if _, err := w.delTests.ExecContext(ctx, id); err != nil {
		return fmt.Errorf("db: delete test results of submission %d: %w", id, err)
	}
	return nil
}

// Build adds a submission's build result, written by the next Flush (or
// Replace).
func (w *SubmissionWriter) Build(b BuildResult) {
	w.builds = append(w.builds, b)
	w.pending[b.SubmissionID] = true
}

// Test adds one of a submission's test results, written by the next Flush
// (or Replace).
func (w *SubmissionWriter) Test(t TestResult) {
	w.tests = append(w.tests, t)
	w.pending[t.SubmissionID] = true
}

// Flush writes the results Build and Test collected; call it before the
// transaction commits.
func (w *SubmissionWriter) Flush(ctx context.Context) error {
	if err := w.q.InsertBuildResults(ctx, w.builds); err != nil {
		return err
	}
	if err := w.q.InsertTestResults(ctx, w.tests); err != nil {
		return err
	}
	clear(w.builds) // the stdout strings
	clear(w.tests)
	w.builds, w.tests = w.builds[:0], w.tests[:0]
	clear(w.pending)
	return nil
}

// Score sets a student's score for an assignment, inserting or replacing it.
func (w *SubmissionWriter) Score(ctx context.Context, s Score) error {
	var fraction sql.NullFloat64
	if s.Fraction != nil {
		fraction = sql.NullFloat64{Float64: *s.Fraction, Valid: true}
	}
	_, err := w.score.ExecContext(ctx, s.AssignmentID, s.UserID, fraction, s.Status, s.Late, nullTime(s.SubmittedAt), s.UpdatedAt.UTC())
	if err != nil {
		return fmt.Errorf("db: set score of user %d for assignment %d: %w", s.UserID, s.AssignmentID, err)
	}
	return nil
}

// Close releases the statements.
func (w *SubmissionWriter) Close() error {
	for _, s := range []*sql.Stmt{w.find, w.insert, w.update, w.delBuild, w.delTests, w.score} {
		if s != nil {
			s.Close()
		}
	}
	return nil
}
