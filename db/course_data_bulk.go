package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Multi-row inserts of a course's autograded work, for a bulk write (an
// archive import's batch): one statement per bulkRows rows instead of one per
// row. Each INSERT statement runs in a statement transaction of its own, with
// its cursors opened and closed, and goes through database/sql and the driver
// once; for rows of a few hundred bytes to a few KiB that overhead is as large
// as the insert itself. Use them inside InBulkTx.

// bulkRows is the most rows one statement inserts (7 columns × 64 rows stays
// far below SQLite's 32766 parameters), a power of two.
const bulkRows = 64

// insertRows inserts n rows with `head VALUES (?, ...), ...`, bulkRows rows a
// statement; row appends row i's cols values to args.
func (q *Queries) insertRows(ctx context.Context, what, head string, cols, n int, row func(args []any, i int) []any) error {
	return q.insertReturning(ctx, what, head, "", cols, n, row, nil)
}

// insertReturning is insertRows with tail (a RETURNING clause) after the
// values, and scan called on each row it returns.
func (q *Queries) insertReturning(ctx context.Context, what, head, tail string, cols, n int, row func(args []any, i int) []any, scan func(*sql.Rows) error) error {
	var stmt *sql.Stmt // for stmtRows rows
	var stmtRows int
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	args := make([]any, 0, cols*min(n, bulkRows))
	for start := 0; start < n; {
		// Statements of 64, 32, ... 1 rows, so that a few are enough for
		// any n and come from the writer's cache (Queries.prepare).
		k := bulkRows
		for k > n-start {
			k /= 2
		}
		if k != stmtRows {
			if stmt != nil {
				stmt.Close()
			}
			one := "(?" + strings.Repeat(", ?", cols-1) + ")"
			var err error
			if stmt, err = q.prepare(ctx, head+" VALUES "+one+strings.Repeat(", "+one, k-1)+" "+tail); err != nil {
				return fmt.Errorf("db: prepare insert of %s: %w", what, err)
			}
			stmtRows = k
		}
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(args, i)
		}
		if err := execOrScan(ctx, stmt, args, scan); err != nil {
			return fmt.Errorf("db: insert %d %s: %w", k, what, err)
		}
		start += k
	}
	return nil
}

// execOrScan runs stmt, reading the rows it returns with scan if not nil.
func execOrScan(ctx context.Context, stmt *sql.Stmt, args []any, scan func(*sql.Rows) error) error {
	if scan == nil {
		_, err := stmt.ExecContext(ctx, args...)
		return err
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// sqliteTime is how the SQLite driver writes a time (_time_format=sqlite).
const sqliteTime = "2006-01-02 15:04:05.999999999-07:00"

// timeArg is t as an argument of a bulk insert. On SQLite it is the text
// the driver would write, remembered for the next rows: a batch's rows
// mostly share one or two times (when it was written, when it was
// submitted), and formatting each row's was a twentieth of the ingest
// writer's time. Only inside a transaction (one goroutine).
func (q *Queries) timeArg(t time.Time) any {
	t = t.UTC()
	if q.dialect == dialectPostgres {
		return t
	}
	for i := range q.times.t {
		if q.times.s[i] != "" && q.times.t[i].Equal(t) {
			return q.times.s[i]
		}
	}
	i := q.times.next
	q.times.t[i], q.times.s[i] = t, t.Format(sqliteTime)
	q.times.next = (i + 1) % len(q.times.t)
	return q.times.s[i]
}

// InsertSubmissions inserts rows (their ID ignored) and returns their new
// ids, in order. The ids follow the table's largest, as SQLite would choose
// them one by one; the write transaction makes them this one's.
func (q *Queries) InsertSubmissions(ctx context.Context, rows []Submission) ([]int64, error) {
	var last int64
	if err := q.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM submissions`).Scan(&last); err != nil {
		return nil, fmt.Errorf("db: largest submission id: %w", err)
	}
	ids := make([]int64, len(rows))
	for i := range ids {
		ids[i] = last + 1 + int64(i)
	}
	err := q.insertRows(ctx, "submissions", `
		INSERT INTO submissions (id, assignment_id, user_id, commit_sha, state, created_at, updated_at, external_id)`, 8, len(rows),
		func(args []any, i int) []any {
			s := rows[i]
			return append(args, ids[i], s.AssignmentID, s.UserID, s.CommitSHA, s.State, s.CreatedAt.UTC(), s.UpdatedAt.UTC(), nullKey(s.ExternalID))
		})
	if err != nil {
		return nil, err
	}
	if q.dialect == dialectPostgres && len(ids) > 0 {
		// Ids given explicitly leave PostgreSQL's identity sequence behind;
		// it must not hand them out again.
		if _, err := q.q.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('submissions', 'id'), ?)`, ids[len(ids)-1]); err != nil {
			return nil, fmt.Errorf("db: move the submission id sequence: %w", err)
		}
	}
	return ids, nil
}

// InsertBuildResults inserts rows (their ID ignored).
func (q *Queries) InsertBuildResults(ctx context.Context, rows []BuildResult) error {
	return q.insertRows(ctx, "build results", `
		INSERT INTO build_results (submission_id, passed, stdout, created_at)`, 4, len(rows),
		func(args []any, i int) []any {
			b := rows[i]
			return append(args, b.SubmissionID, b.Passed, b.Stdout, q.timeArg(b.CreatedAt))
		})
}

// InsertTestResults inserts rows (their ID ignored).
func (q *Queries) InsertTestResults(ctx context.Context, rows []TestResult) error {
	return q.insertRows(ctx, "test results", `
		INSERT INTO test_results (submission_id, name, passed, message, stdout, created_at)`, 6, len(rows),
		func(args []any, i int) []any {
			t := rows[i]
			return append(args, t.SubmissionID, t.Name, t.Passed, t.Message, t.Stdout, q.timeArg(t.CreatedAt))
		})
}

// InsertScores inserts rows (their ID ignored). A second score for the same
// student and assignment fails with a unique violation.
func (q *Queries) InsertScores(ctx context.Context, rows []Score) error {
	return q.insertRows(ctx, "scores", `
		INSERT INTO scores (assignment_id, user_id, fraction, status, late, submitted_at, updated_at)`, 7, len(rows),
		func(args []any, i int) []any {
			s := rows[i]
			var fraction any
			if s.Fraction != nil {
				fraction = *s.Fraction
			}
			return append(args, s.AssignmentID, s.UserID, fraction, s.Status, s.Late, nullTime(s.SubmittedAt), s.UpdatedAt.UTC())
		})
}
