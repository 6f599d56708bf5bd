package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// This file writes a course's autograded work and performance-book cells:
// submissions, build_results, test_results and scores. These tables get
// thousands of rows per course at once (the demo, an archive import), so each
// insert is a prepared statement reused inside one transaction:
//
//	ins, err := tx.PrepareInsertSubmission(ctx)
//	defer ins.Close()
//	for ... { id, err := ins.Exec(ctx, s) }

// Submission states.
const (
	SubmissionQueued   = "queued"
	SubmissionBuilding = "building"
	SubmissionTesting  = "testing"
	SubmissionPassed   = "passed"
	SubmissionFailed   = "failed"
	SubmissionError    = "error"
)

// Score statuses.
const (
	ScoreNotStarted = "not_started"
	ScoreInProgress = "in_progress"
	ScoreCompleted  = "completed"
)

// Submission is one autograded attempt of a student at an assignment.
type Submission struct {
	ID           int64
	AssignmentID int64
	UserID       int64
	CommitSHA    string
	State        string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ExternalID   string // the autograder's id ("ext-123"); "" for none
}

// BuildResult is the outcome of building a submission; at most one each.
type BuildResult struct {
	ID           int64
	SubmissionID int64
	Passed       bool
	Stdout       string
	CreatedAt    time.Time
}

// TestResult is the outcome of one test run against a submission.
type TestResult struct {
	ID           int64
	SubmissionID int64
	Name         string
	Passed       bool
	Message      string
	Stdout       string
	CreatedAt    time.Time
}

// Score is one performance-book cell: a student's result on an assignment.
type Score struct {
	ID           int64
	AssignmentID int64
	UserID       int64
	Fraction     *float64 // 0..1 of the assignment's points; nil when not started
	Status       string
	Late         bool
	SubmittedAt  *time.Time
	UpdatedAt    time.Time
}

// SubmissionInsert inserts submissions with one prepared statement.
type SubmissionInsert struct{ stmt *sql.Stmt }

// PrepareInsertSubmission prepares the submission insert; Close it when done.
func (q *Queries) PrepareInsertSubmission(ctx context.Context) (*SubmissionInsert, error) {
	stmt, err := q.q.PrepareContext(ctx, `
		INSERT INTO submissions (assignment_id, user_id, commit_sha, state, created_at, updated_at, external_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING id`)
	if err != nil {
		return nil, fmt.Errorf("db: prepare insert submission: %w", err)
	}
	return &SubmissionInsert{stmt}, nil
}

// Exec inserts s and returns its id.
func (p *SubmissionInsert) Exec(ctx context.Context, s Submission) (int64, error) {
	var id int64
	err := p.stmt.QueryRowContext(ctx, s.AssignmentID, s.UserID, s.CommitSHA, s.State, s.CreatedAt.UTC(), s.UpdatedAt.UTC(), nullKey(s.ExternalID)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert submission of user %d for assignment %d: %w", s.UserID, s.AssignmentID, err)
	}
	return id, nil
}

// Close releases the statement.
func (p *SubmissionInsert) Close() error { return p.stmt.Close() }

// BuildResultInsert inserts build results with one prepared statement.
type BuildResultInsert struct{ stmt *sql.Stmt }

// PrepareInsertBuildResult prepares the build result insert; Close it when done.
func (q *Queries) PrepareInsertBuildResult(ctx context.Context) (*BuildResultInsert, error) {
	stmt, err := q.q.PrepareContext(ctx, `
		INSERT INTO build_results (submission_id, passed, stdout, created_at)
		VALUES (?, ?, ?, ?)
		RETURNING id`)
	if err != nil {
		return nil, fmt.Errorf("db: prepare insert build result: %w", err)
	}
	return &BuildResultInsert{stmt}, nil
}

// Exec inserts b and returns its id.
func (p *BuildResultInsert) Exec(ctx context.Context, b BuildResult) (int64, error) {
	var id int64
	err := p.stmt.QueryRowContext(ctx, b.SubmissionID, b.Passed, b.Stdout, b.CreatedAt.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert build result of submission %d: %w", b.SubmissionID, err)
	}
	return id, nil
}

// Close releases the statement.
func (p *BuildResultInsert) Close() error { return p.stmt.Close() }

// TestResultInsert inserts test results with one prepared statement.
type TestResultInsert struct{ stmt *sql.Stmt }

// PrepareInsertTestResult prepares the test result insert; Close it when done.
func (q *Queries) PrepareInsertTestResult(ctx context.Context) (*TestResultInsert, error) {
	stmt, err := q.q.PrepareContext(ctx, `
		INSERT INTO test_results (submission_id, name, passed, message, stdout, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		RETURNING id`)
	if err != nil {
		return nil, fmt.Errorf("db: prepare insert test result: %w", err)
	}
	return &TestResultInsert{stmt}, nil
}

// Exec inserts t and returns its id.
func (p *TestResultInsert) Exec(ctx context.Context, t TestResult) (int64, error) {
	var id int64
	err := p.stmt.QueryRowContext(ctx, t.SubmissionID, t.Name, t.Passed, t.Message, t.Stdout, t.CreatedAt.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert test result %q of submission %d: %w", t.Name, t.SubmissionID, err)
	}
	return id, nil
}

// Close releases the statement.
func (p *TestResultInsert) Close() error { return p.stmt.Close() }

// ScoreInsert inserts scores with one prepared statement.
type ScoreInsert struct{ stmt *sql.Stmt }

// PrepareInsertScore prepares the score insert; Close it when done.
func (q *Queries) PrepareInsertScore(ctx context.Context) (*ScoreInsert, error) {
	stmt, err := q.q.PrepareContext(ctx, `
		INSERT INTO scores (assignment_id, user_id, fraction, status, late, submitted_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING id`)
	if err != nil {
		return nil, fmt.Errorf("db: prepare insert score: %w", err)
	}
	return &ScoreInsert{stmt}, nil
}

// Exec inserts s and returns its id. A second score for the same student and
// assignment fails with a unique violation.
func (p *ScoreInsert) Exec(ctx context.Context, s Score) (int64, error) {
	var fraction sql.NullFloat64
	if s.Fraction != nil {
		fraction = sql.NullFloat64{Float64: *s.Fraction, Valid: true}
	}
	var id int64
	err := p.stmt.QueryRowContext(ctx, s.AssignmentID, s.UserID, fraction, s.Status, s.Late, nullTime(s.SubmittedAt), s.UpdatedAt.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert score of user %d for assignment %d: %w", s.UserID, s.AssignmentID, err)
	}
	return id, nil
}

// Close releases the statement.
func (p *ScoreInsert) Close() error { return p.stmt.Close() }
