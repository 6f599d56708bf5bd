package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The course archive (package jobs/archive) reads a whole course table by table.
// Every query here streams: rows go to a callback one at a time and are never
// collected, so memory stays flat whatever the course size. Orders follow the
// indexes (assignments by position, then submissions by student, then results
// by submission), which keeps the output stable without SQLite sorting big rows
// (stdout) in a temp b-tree.

// ReadTx runs fn in one read transaction on the reader pool, so every query fn
// makes sees the same snapshot of the database (WAL): an archive never mixes
// rows from before and after a concurrent write. Writes through tx fail
// (the reader pool is query_only).
func (d *DB) ReadTx(ctx context.Context, fn func(tx *Queries) error) error {
	tx, err := d.r.BeginTx(ctx, d.readTxOptions())
	if err != nil {
		return fmt.Errorf("db: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(&Queries{q: tx, dialect: d.dialect})
}

// ArchiveCounts is how many rows of each table an archive of a course holds,
// counted before writing so progress has a total.
type ArchiveCounts struct {
	Periods, Members, Assignments, Submissions int64
	BuildResults, TestResults, Scores          int64
	StaticFiles                                int64
}

// Total is the number of rows of every table together.
func (c ArchiveCounts) Total() int64 {
	return 1 + c.Periods + c.Members + c.Assignments + c.Submissions +
		c.BuildResults + c.TestResults + c.Scores + c.StaticFiles // 1: the course row
}

// CountArchiveRows counts a course's rows in every table the archive exports.
// It reads indexes only, never the stdout columns.
func (q *Queries) CountArchiveRows(ctx context.Context, courseID int64) (ArchiveCounts, error) {
	var c ArchiveCounts
	err := q.q.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM periods WHERE course_id = ?1),
		       (SELECT count(*) FROM memberships WHERE course_id = ?1),
		       (SELECT count(*) FROM assignments WHERE course_id = ?1),
		       (SELECT count(*) FROM submissions s JOIN assignments a ON a.id = s.assignment_id
		         WHERE a.course_id = ?1),
		       (SELECT count(*) FROM build_results b JOIN submissions s ON s.id = b.submission_id
		          JOIN assignments a ON a.id = s.assignment_id WHERE a.course_id = ?1),
		       (SELECT count(*) FROM test_results t JOIN submissions s ON s.id = t.submission_id
		          JOIN assignments a ON a.id = s.assignment_id WHERE a.course_id = ?1),
		       (SELECT count(*) FROM scores sc JOIN assignments a ON a.id = sc.assignment_id
		         WHERE a.course_id = ?1),
		       (SELECT count(*) FROM static_files WHERE course_id = ?1)`, courseID).
		Scan(&c.Periods, &c.Members, &c.Assignments, &c.Submissions,
			&c.BuildResults, &c.TestResults, &c.Scores, &c.StaticFiles)
	if err != nil {
		return ArchiveCounts{}, fmt.Errorf("db: count archive rows of course %d: %w", courseID, err)
	}
	return c, nil
}

// StdoutTotals returns how many build and test results of a course carry
// stdout and how many bytes of it they hold: what "include stdout" adds to an
// archive before compression. One pass over each table; octet_length takes
// the size from the record header without decoding the text, but the pages
// are still read (about 0.3 s for 150,000 results on the 2-core machine).
func (q *Queries) StdoutTotals(ctx context.Context, courseID int64) (outputs, bytes int64, err error) {
	err = q.q.QueryRowContext(ctx, `
		SELECT count(*) FILTER (WHERE n > 0), coalesce(sum(n), 0)
		  FROM (SELECT octet_length(b.stdout) AS n
		          FROM assignments a
		          JOIN submissions s ON s.assignment_id = a.id
		          JOIN build_results b ON b.submission_id = s.id
		         WHERE a.course_id = ?1
		        UNION ALL
		        SELECT octet_length(t.stdout)
		          FROM assignments a
		          JOIN submissions s ON s.assignment_id = a.id
		          JOIN test_results t ON t.submission_id = s.id
		         WHERE a.course_id = ?1) AS o`, courseID).Scan(&outputs, &bytes)
	if err != nil {
		return 0, 0, fmt.Errorf("db: sum stdout of course %d: %w", courseID, err)
	}
	return outputs, bytes, nil
}

// EachPeriod calls fn with each period of a course, by position and name.
func (q *Queries) EachPeriod(ctx context.Context, courseID int64, fn func(Period) error) error {
	rows, err := q.q.QueryContext(ctx, `
		SELECT id, course_id, name, position FROM periods
		 WHERE course_id = ? ORDER BY position, name`, courseID)
	if err != nil {
		return fmt.Errorf("db: stream periods of course %d: %w", courseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Period
		if err := rows.Scan(&p.ID, &p.CourseID, &p.Name, &p.Position); err != nil {
			return fmt.Errorf("db: stream periods of course %d: %w", courseID, err)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: stream periods of course %d: %w", courseID, err)
	}
	return nil
}

// MemberRow is a membership with the user fields a course admin may see.
// It deliberately has no password hash, site-admin or disabled flag.
type MemberRow struct {
	ID                int64 // membership id
	UserID            int64
	Email             string
	Name              string
	GivenName         string
	FamilyName        string
	Role              string
	PeriodID          int64  // 0: none
	PeriodName        string // "": none
	StudentIdentifier string
	CreatedAt         time.Time
}

// memberColumns and memberFrom select a course's MemberRows (scanMemberRow).
const (
	memberColumns = `m.id, u.id, u.email, u.name, u.given_name, u.family_name, m.role,
		       m.period_id, coalesce(p.name, ''), m.student_identifier, m.created_at`
	memberFrom = `
		  FROM memberships m
		  JOIN users u ON u.id = m.user_id
		  LEFT JOIN periods p ON p.id = m.period_id
		 WHERE m.course_id = ?`
)

// scanMemberRow reads memberColumns, then extra.
func scanMemberRow(s interface{ Scan(...any) error }, extra ...any) (MemberRow, error) {
	var m MemberRow
	var period sql.NullInt64
	err := s.Scan(append([]any{&m.ID, &m.UserID, &m.Email, &m.Name, &m.GivenName, &m.FamilyName, &m.Role,
		&period, &m.PeriodName, &m.StudentIdentifier, &m.CreatedAt}, extra...)...)
	m.PeriodID = period.Int64
	m.CreatedAt = m.CreatedAt.UTC()
	return m, err
}

// EachMember calls fn with each member of a course, by membership id.
func (q *Queries) EachMember(ctx context.Context, courseID int64, fn func(MemberRow) error) error {
	rows, err := q.q.QueryContext(ctx, `SELECT `+memberColumns+memberFrom+` ORDER BY m.id`, courseID)
	if err != nil {
		return fmt.Errorf("db: stream members of course %d: %w", courseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMemberRow(rows)
		if err != nil {
			return fmt.Errorf("db: stream members of course %d: %w", courseID, err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: stream members of course %d: %w", courseID, err)
	}
	return nil
}

// EachAssignment calls fn with each assignment of a course, in course order.
func (q *Queries) EachAssignment(ctx context.Context, courseID int64, fn func(Assignment) error) error {
	rows, err := q.q.QueryContext(ctx, `SELECT `+assignmentColumns+` FROM assignments WHERE course_id = ? ORDER BY position, id`, courseID)
	if err != nil {
		return fmt.Errorf("db: stream assignments of course %d: %w", courseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return fmt.Errorf("db: stream assignments of course %d: %w", courseID, err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: stream assignments of course %d: %w", courseID, err)
	}
	return nil
}

// EachSubmission calls fn with each submission of a course, by assignment
// (course order), student and id.
func (q *Queries) EachSubmission(ctx context.Context, courseID int64, fn func(Submission) error) error {
	return q.eachSubmission(ctx, courseID, firstKey, fn, nil)
}

// keyedQuery runs a query whose first column is the position of the row's
// assignment, the arguments after courseID being the parts of after; keys
// filter rows from after on. Each query's first WHERE terms skip earlier
// assignments and submissions early (at their level of the join), so a
// chunk that resumes deep in a course does not scan what came before.
func (q *Queries) keyedQuery(ctx context.Context, query string, courseID int64, after archiveKey, extra ...any) (*sql.Rows, error) {
	args := append([]any{courseID, after.Position, after.AssignmentID, after.UserID, after.SubmissionID, after.ID}, extra...)
	return q.q.QueryContext(ctx, query, args...)
}

// resume calls next (if any) with a delivered row's key.
func resume(next func(archiveKey) error, k archiveKey) error {
	if next == nil {
		return nil
	}
	return next(k)
}

// eachSubmission streams submissions from after on; next gets each
// delivered row's key and may stop the stream (CourseReader's chunks).
func (q *Queries) eachSubmission(ctx context.Context, courseID int64, after archiveKey, fn func(Submission) error, next func(archiveKey) error) error {
	rows, err := q.keyedQuery(ctx, `
		SELECT a.position, s.id, s.assignment_id, s.user_id, s.commit_sha, s.state, s.created_at, s.updated_at, coalesce(s.external_id, '')
		  FROM assignments a
		  JOIN submissions s ON s.assignment_id = a.id
		 WHERE a.course_id = ?1
		   AND (a.position, a.id) >= (?2, ?3)
		   AND (a.position, a.id, s.user_id, s.id) > (?2, ?3, ?4, ?5)
		 ORDER BY a.position, a.id, s.user_id, s.id`, courseID, after)
	if err != nil {
		return fmt.Errorf("db: stream submissions of course %d: %w", courseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s Submission
		var pos int64
		if err := rows.Scan(&pos, &s.ID, &s.AssignmentID, &s.UserID, &s.CommitSHA, &s.State, &s.CreatedAt, &s.UpdatedAt, &s.ExternalID); err != nil {
			return fmt.Errorf("db: stream submissions of course %d: %w", courseID, err)
		}
		s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
		if err := fn(s); err != nil {
			return err
		}
		if err := resume(next, archiveKey{Position: pos, AssignmentID: s.AssignmentID, UserID: s.UserID, SubmissionID: s.ID}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: stream submissions of course %d: %w", courseID, err)
	}
	return nil
}

// BuildResultRow is the build outcome of a submission. StdoutBytes is always
// set; Stdout only when asked for.
type BuildResultRow struct {
	BuildResult
	StdoutBytes int64
}

// EachBuildResult calls fn with each build result of a course, in submission
// order. withStdout false leaves Stdout empty and never reads the text.
func (q *Queries) EachBuildResult(ctx context.Context, courseID int64, withStdout bool, fn func(BuildResultRow) error) error {
	return q.eachBuildResult(ctx, courseID, withStdout, firstKey, fn, nil)
}

// eachBuildResult streams build results from after on (see eachSubmission).
func (q *Queries) eachBuildResult(ctx context.Context, courseID int64, withStdout bool, after archiveKey, fn func(BuildResultRow) error, next func(archiveKey) error) error {
	rows, err := q.keyedQuery(ctx, `
		SELECT a.position, a.id, s.user_id, b.id, b.submission_id, b.passed,
		       CASE WHEN ?7 = 1 THEN b.stdout ELSE '' END, octet_length(b.stdout), b.created_at
		  FROM assignments a
		  JOIN submissions s ON s.assignment_id = a.id
		  JOIN build_results b ON b.submission_id = s.id
		 WHERE a.course_id = ?1
		   AND (a.position, a.id) >= (?2, ?3)
		   AND (a.position, a.id, s.user_id, s.id) > (?2, ?3, ?4, ?5)
		 ORDER BY a.position, a.id, s.user_id, s.id`, courseID, after, withStdout)
	if err != nil {
		return fmt.Errorf("db: stream build results of course %d: %w", courseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r BuildResultRow
		var k archiveKey
		if err := rows.Scan(&k.Position, &k.AssignmentID, &k.UserID, &r.ID, &r.SubmissionID, &r.Passed, &r.Stdout, &r.StdoutBytes, &r.CreatedAt); err != nil {
			return fmt.Errorf("db: stream build results of course %d: %w", courseID, err)
		}
		r.CreatedAt = r.CreatedAt.UTC()
		if err := fn(r); err != nil {
			return err
		}
		k.SubmissionID = r.SubmissionID
		if err := resume(next, k); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: stream build results of course %d: %w", courseID, err)
	}
	return nil
}

// TestResultRow is one test's outcome for a submission. StdoutBytes is always
// set; Stdout only when asked for.
type TestResultRow struct {
	TestResult
	StdoutBytes int64
}

// EachTestResult calls fn with each test result of a course, in submission
// order then id. withStdout false leaves Stdout empty and never reads the text.
func (q *Queries) EachTestResult(ctx context.Context, courseID int64, withStdout bool, fn func(TestResultRow) error) error {
	return q.eachTestResult(ctx, courseID, withStdout, firstKey, fn, nil)
}

// eachTestResult streams test results from after on (see eachSubmission).
func (q *Queries) eachTestResult(ctx context.Context, courseID int64, withStdout bool, after archiveKey, fn func(TestResultRow) error, next func(archiveKey) error) error {
	rows, err := q.keyedQuery(ctx, `
		SELECT a.position, a.id, s.user_id, t.id, t.submission_id, t.name, t.passed, t.message,
		       CASE WHEN ?7 = 1 THEN t.stdout ELSE '' END, octet_length(t.stdout), t.created_at
		  FROM assignments a
		  JOIN submissions s ON s.assignment_id = a.id
		  JOIN test_results t ON t.submission_id = s.id
		 WHERE a.course_id = ?1
		   AND (a.position, a.id) >= (?2, ?3)
		   AND (a.position, a.id, s.user_id, s.id) >= (?2, ?3, ?4, ?5)
		   AND (a.position, a.id, s.user_id, s.id, t.id) > (?2, ?3, ?4, ?5, ?6)
		 ORDER BY a.position, a.id, s.user_id, s.id, t.id`, courseID, after, withStdout)
	if err != nil {
		return fmt.Errorf("db: stream test results of course %d: %w", courseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r TestResultRow
		var k archiveKey
		if err := rows.Scan(&k.Position, &k.AssignmentID, &k.UserID, &r.ID, &r.SubmissionID, &r.Name, &r.Passed, &r.Message, &r.Stdout, &r.StdoutBytes, &r.CreatedAt); err != nil {
			return fmt.Errorf("db: stream test results of course %d: %w", courseID, err)
		}
		r.CreatedAt = r.CreatedAt.UTC()
		if err := fn(r); err != nil {
			return err
		}
		k.SubmissionID, k.ID = r.SubmissionID, r.ID
		if err := resume(next, k); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: stream test results of course %d: %w", courseID, err)
	}
	return nil
}

// EachScore calls fn with each score of a course, by assignment (course
// order) and student.
func (q *Queries) EachScore(ctx context.Context, courseID int64, fn func(Score) error) error {
	return q.eachScore(ctx, courseID, firstKey, fn, nil)
}

// eachScore streams scores from after on (see eachSubmission); a score is
// one per assignment and student.
func (q *Queries) eachScore(ctx context.Context, courseID int64, after archiveKey, fn func(Score) error, next func(archiveKey) error) error {
	rows, err := q.keyedQuery(ctx, `
		SELECT a.position, sc.id, sc.assignment_id, sc.user_id, sc.fraction, sc.status, sc.late, sc.submitted_at, sc.updated_at
		  FROM assignments a
		  JOIN scores sc ON sc.assignment_id = a.id
		 WHERE a.course_id = ?1
		   AND (a.position, a.id) >= (?2, ?3)
		   AND (a.position, a.id, sc.user_id) > (?2, ?3, ?4)
		 ORDER BY a.position, a.id, sc.user_id`, courseID, after)
	if err != nil {
		return fmt.Errorf("db: stream scores of course %d: %w", courseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s Score
		var fraction sql.NullFloat64
		var submitted sql.NullTime
		var pos int64
		if err := rows.Scan(&pos, &s.ID, &s.AssignmentID, &s.UserID, &fraction, &s.Status, &s.Late, &submitted, &s.UpdatedAt); err != nil {
			return fmt.Errorf("db: stream scores of course %d: %w", courseID, err)
		}
		if fraction.Valid {
			f := fraction.Float64
			s.Fraction = &f
		}
		s.SubmittedAt = timePtr(submitted)
		s.UpdatedAt = s.UpdatedAt.UTC()
		if err := fn(s); err != nil {
			return err
		}
		if err := resume(next, archiveKey{Position: pos, AssignmentID: s.AssignmentID, UserID: s.UserID}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: stream scores of course %d: %w", courseID, err)
	}
	return nil
}
