package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// This file holds what the autograder ingest (package jobs/submissions)
// needs: submissions named by the autograder's own id (external_id, unique
// within a course by the writer's choice, not by an index), the course's
// students by email or student id, and one prepared-statement writer per
// batch transaction:
//
//	w, err := tx.PrepareSubmissionWriter(ctx, courseID)
//	defer w.Close()
//	err = w.Find(ctx, ids) // the batch's ids
//	for ... { replaced, err := w.Put(submission, build, tests) }
//	err = w.Flush(ctx); w.Score ...

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

// submissionRef is where an external id already points.
type submissionRef struct {
	ID           int64
	AssignmentID int64
	UserID       int64
}

// SubmissionWriter writes one batch of autograder submissions inside a
// transaction. Put collects each submission with its results; Flush writes
// them with multi-row statements (one statement per row costs as much as
// the row), updating the ones sent before and inserting the new ones.
type SubmissionWriter struct {
	q                                       *Queries
	course                                  int64
	find, update, delBuild, delTests, score *sql.Stmt
	found                                   map[string]submissionRef // by outside id: in the database (Find), or Put (ID 0 until Flush)
	pending                                 []*pendingSubmission     // Put since the last Flush, in order
	byID                                    map[string]*pendingSubmission
}

// pendingSubmission is a submission Put collected: id is 0 for a new one.
type pendingSubmission struct {
	id    int64
	s     ExternalSubmission
	build *BuildResult
	tests []TestResult
}

// ErrSubmissionIDTaken is Put's error for an outside id that already names
// another student's or assignment's submission in the course.
var ErrSubmissionIDTaken = errors.New("the id names another student's or assignment's submission")

// PrepareSubmissionWriter prepares a writer for courseID's submissions;
// Close it when done.
func (q *Queries) PrepareSubmissionWriter(ctx context.Context, courseID int64) (*SubmissionWriter, error) {
	w := &SubmissionWriter{q: q, course: courseID, found: map[string]submissionRef{}, byID: map[string]*pendingSubmission{}}
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
		{&w.update, `UPDATE submissions SET commit_sha = ?, state = ?, created_at = ?, updated_at = ? WHERE id = ?`},
		{&w.delBuild, `DELETE FROM build_results WHERE submission_id = ?`},
		{&w.delTests, `DELETE FROM test_results WHERE submission_id = ?`},
		{&w.score, `INSERT INTO scores (assignment_id, user_id, fraction, status, late, submitted_at, updated_at)
		            VALUES (?, ?, ?, ?, ?, ?, ?)
		            ON CONFLICT (assignment_id, user_id) DO UPDATE SET fraction = excluded.fraction, status = excluded.status,
		              late = excluded.late, submitted_at = excluded.submitted_at, updated_at = excluded.updated_at`},
	} {
		stmt, err := q.prepare(ctx, s.query)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("db: prepare submission writer: %w", err)
		}
		*s.stmt = stmt
	}
	return w, nil
}

// Find looks up, in one query for a batch of lines, the submissions of the
// course that the outside ids already name (the first of each, as the
// ingest writes one), for Put to replace.
func (w *SubmissionWriter) Find(ctx context.Context, externalIDs []string) error {
	ids, err := json.Marshal(externalIDs)
	if err != nil {
		return fmt.Errorf("db: find %d submissions of course %d: %w", len(externalIDs), w.course, err)
	}
	rows, err := w.find.QueryContext(ctx, string(ids), w.course)
	if err != nil {
		return fmt.Errorf("db: find %d submissions of course %d: %w", len(externalIDs), w.course, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var r submissionRef
		if err := rows.Scan(&id, &r.ID, &r.AssignmentID, &r.UserID); err != nil {
			return fmt.Errorf("db: find %d submissions of course %d: %w", len(externalIDs), w.course, err)
		}
		if _, ok := w.found[id]; !ok {
			w.found[id] = r
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: find %d submissions of course %d: %w", len(externalIDs), w.course, err)
	}
	return nil
}

// Put collects submission s with its build result (nil for none) and test
// results, their SubmissionID left for Flush to fill in. An outside id
// sent before (found by Find, or Put earlier in the batch) replaces that
// submission with its results: replaced is true. An outside id of another
// student's or assignment's submission is ErrSubmissionIDTaken, and nothing
// is collected.
func (w *SubmissionWriter) Put(s ExternalSubmission, build *BuildResult, tests []TestResult) (replaced bool, err error) {
	ref, seen := w.found[s.ExternalID]
	if seen && (ref.AssignmentID != s.AssignmentID || ref.UserID != s.UserID) {
		return false, ErrSubmissionIDTaken
	}
	if p := w.byID[s.ExternalID]; p != nil { // earlier in the batch: not written yet
		p.s, p.build, p.tests = s, build, tests
		return true, nil
	}
	if !seen {
		w.found[s.ExternalID] = submissionRef{AssignmentID: s.AssignmentID, UserID: s.UserID} // its ID comes with Flush
	}
	p := &pendingSubmission{id: ref.ID, s: s, build: build, tests: tests}
	w.pending = append(w.pending, p)
	w.byID[s.ExternalID] = p
	return seen, nil
}

// Flush writes what Put collected; call it before the transaction commits.
// A replaced submission is updated and its old results deleted; the new
// ones are inserted, and then every result. The updates move the course's
// data_version (trigger).
func (w *SubmissionWriter) Flush(ctx context.Context) error {
	var inserts []*pendingSubmission
	for _, p := range w.pending {
		if p.id == 0 {
			inserts = append(inserts, p)
			continue
		}
		if err := w.replace(ctx, p); err != nil {
			return err
		}
	}
	err := w.q.insertReturning(ctx, "submissions", `
		INSERT INTO submissions (assignment_id, user_id, commit_sha, state, created_at, updated_at, external_id)`,
		`RETURNING id, external_id`, 7, len(inserts),
		func(args []any, i int) []any {
			s := inserts[i].s
			return append(args, s.AssignmentID, s.UserID, s.CommitSHA, s.State, w.q.timeArg(s.SubmittedAt), w.q.timeArg(s.Now), s.ExternalID)
		},
		func(rows *sql.Rows) error {
			var id int64
			var ext string
			if err := rows.Scan(&id, &ext); err != nil {
				return err
			}
			w.byID[ext].id = id
			ref := w.found[ext]
			ref.ID = id
			w.found[ext] = ref
			return nil
		})
	if err != nil {
		return err
	}
	var builds []BuildResult
	var tests []TestResult
	for _, p := range w.pending {
		if p.build != nil {
			b := *p.build
			b.SubmissionID = p.id
			builds = append(builds, b)
		}
		for _, t := range p.tests {
			t.SubmissionID = p.id
			tests = append(tests, t)
		}
	}
	if err := w.q.InsertBuildResults(ctx, builds); err != nil {
		return err
	}
	if err := w.q.InsertTestResults(ctx, tests); err != nil {
		return err
	}
	clear(w.pending) // the stdout strings
	w.pending = w.pending[:0]
	clear(w.byID)
	return nil
}

// replace overwrites submission p.id with p.s (commit, state, times) and
// deletes its build and test results, for Flush to insert the new ones.
func (w *SubmissionWriter) replace(ctx context.Context, p *pendingSubmission) error {
	s := p.s
	if _, err := w.update.ExecContext(ctx, s.CommitSHA, s.State, w.q.timeArg(s.SubmittedAt), w.q.timeArg(s.Now), p.id); err != nil {
		return fmt.Errorf("db: replace submission %d (%q): %w", p.id, s.ExternalID, err)
	}
	if _, err := w.delBuild.ExecContext(ctx, p.id); err != nil {
		return fmt.Errorf("db: delete build result of submission %d: %w", p.id, err)
	}
	if _, err := w.delTests.ExecContext(ctx, p.id); err != nil {
		return fmt.Errorf("db: delete test results of submission %d: %w", p.id, err)
	}
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
	for _, s := range []*sql.Stmt{w.find, w.update, w.delBuild, w.delTests, w.score} {
		if s != nil {
			s.Close()
		}
	}
	return nil
}
