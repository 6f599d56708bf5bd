package db

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// The multi-row inserts write what the one-row ones write, over more rows
// than one statement takes, and InsertSubmissions returns each row's id.
func TestCourseDataBulk_insertsEveryRowWithItsID(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	courseID, aID, uID := courseDataFixture(t, d)
	at := time.Date(2025, 3, 2, 10, 30, 0, 0, time.UTC)
	half := 0.5
	const n = 2*bulkRows + 3
	var subs []Submission
	for i := range n {
		subs = append(subs, Submission{AssignmentID: aID, UserID: uID, CommitSHA: fmt.Sprint("sha", i), State: SubmissionPassed,
			CreatedAt: at, UpdatedAt: at, ExternalID: fmt.Sprint("ext-", i)})
	}
	var ids []int64
	err := d.InBulkTx(ctx, courseID, func(tx *Queries) error {
		// One inserted the usual way first: the ids follow it.
		first, err := tx.PrepareInsertSubmission(ctx)
		if err != nil {
			return err
		}
		defer first.Close()
		if _, err := first.Exec(ctx, Submission{AssignmentID: aID, UserID: uID, CommitSHA: "first", State: SubmissionQueued, CreatedAt: at, UpdatedAt: at}); err != nil {
			return err
		}
		if ids, err = tx.InsertSubmissions(ctx, subs); err != nil {
			return err
		}
		var builds []BuildResult
		var tests []TestResult
		for i, id := range ids {
			builds = append(builds, BuildResult{SubmissionID: id, Passed: i%2 == 0, Stdout: fmt.Sprint("build ", i), CreatedAt: at})
			tests = append(tests, TestResult{SubmissionID: id, Name: "t", Passed: true, Message: "ok", Stdout: fmt.Sprint("test ", i), CreatedAt: at})
		}
		if err := tx.InsertBuildResults(ctx, builds); err != nil {
			return err
		}
		if err := tx.InsertTestResults(ctx, tests); err != nil {
			return err
		}
		return tx.InsertScores(ctx, []Score{{AssignmentID: aID, UserID: uID, Fraction: &half, Status: ScoreCompleted, SubmittedAt: &at, UpdatedAt: at}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != n {
		t.Fatalf("%d ids, want %d", len(ids), n)
	}
	for i, id := range ids {
		var sha, ext, build, test string
		err := d.q.QueryRowContext(ctx, `
			SELECT s.commit_sha, s.external_id, b.stdout, r.stdout FROM submissions s
			JOIN build_results b ON b.submission_id = s.id JOIN test_results r ON r.submission_id = s.id
			WHERE s.id = ?`, id).Scan(&sha, &ext, &build, &test)
		if err != nil || sha != fmt.Sprint("sha", i) || ext != fmt.Sprint("ext-", i) || build != fmt.Sprint("build ", i) || test != fmt.Sprint("test ", i) {
			t.Fatalf("submission %d (id %d): %q %q %q %q, %v", i, id, sha, ext, build, test, err)
		}
	}
	var fraction sql.NullFloat64
	var submitted sql.NullTime
	if err := d.q.QueryRowContext(ctx, `SELECT fraction, submitted_at FROM scores`).Scan(&fraction, &submitted); err != nil {
		t.Fatal(err)
	}
	if fraction.Float64 != 0.5 || !submitted.Time.Equal(at) {
		t.Errorf("score fraction %v submitted %v", fraction, submitted)
	}
	// A submission added the usual way afterwards gets an id of its own
	// (on PostgreSQL the identity sequence must have moved past the ids).
	err = d.InTx(ctx, func(tx *Queries) error {
		ins, err := tx.PrepareInsertSubmission(ctx)
		if err != nil {
			return err
		}
		defer ins.Close()
		_, err = ins.Exec(ctx, Submission{AssignmentID: aID, UserID: uID, CommitSHA: "after", State: SubmissionQueued, CreatedAt: at, UpdatedAt: at})
		return err
	})
	if err != nil {
		t.Fatalf("a submission after the bulk insert: %v", err)
	}
}

// The bulk inserts' statements are compiled once and then reused from the
// writer's cache by later transactions: rows go in as before, a rolled-back
// transaction leaves none, and the next one works again.
func TestCourseDataBulk_laterTransactionsReuseTheStatements(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	courseID, aID, uID := courseDataFixture(t, d)
	at := time.Date(2025, 3, 2, 10, 30, 0, 0, time.UTC)
	insert := func(batch string, fail bool) error {
		return d.InBulkTx(ctx, courseID, func(tx *Queries) error {
			subs := make([]Submission, bulkRows+3) // the 64-row statement, then 2 and 1
			for i := range subs {
				subs[i] = Submission{AssignmentID: aID, UserID: uID, CommitSHA: batch, State: SubmissionPassed, CreatedAt: at, UpdatedAt: at}
			}
			ids, err := tx.InsertSubmissions(ctx, subs)
			if err != nil {
				return err
			}
			tests := make([]TestResult, len(ids))
			for i, id := range ids {
				tests[i] = TestResult{SubmissionID: id, Name: batch, Passed: true, Stdout: fmt.Sprint(batch, i), CreatedAt: at}
			}
			if err := tx.InsertTestResults(ctx, tests); err != nil {
				return err
			}
			if fail {
				return fmt.Errorf("batch %s fails", batch)
			}
			return nil
		})
	}
	if err := insert("one", false); err != nil {
		t.Fatal(err)
	}
	cached := func() int {
		d.stmts.mu.Lock()
		defer d.stmts.mu.Unlock()
		return len(d.stmts.stmts)
	}
	if n := cached(); n < 6 {
		t.Fatalf("%d statements cached after the first transaction, want the 64-, 2- and 1-row inserts of both tables", n)
	}
	if err := insert("two", true); err == nil {
		t.Fatal("the failing batch did not fail")
	}
	if err := insert("three", false); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	rows, err := d.q.QueryContext(ctx, `SELECT name, COUNT(*) FROM test_results GROUP BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		counts[name] = n
	}
	if want := map[string]int{"one": bulkRows + 3, "three": bulkRows + 3}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("test results by batch %v, want %v", counts, want)
	}
}

// On SQLite the bulk inserts write a time as the text the driver writes
// for it (timeArg formats it once for many rows), so that it reads back,
// compares and sorts like every other.
func TestCourseDataBulk_timesAreTheDriversText(t *testing.T) {
	d := openTest(t)
	skipOnPostgres(t, d, "times are text only on SQLite")
	ctx := context.Background()
	courseID, aID, uID := courseDataFixture(t, d)
	at := time.Date(2025, 3, 2, 10, 30, 0, 123456789, time.FixedZone("CET", 3600))
	err := d.InBulkTx(ctx, courseID, func(tx *Queries) error {
		ids, err := tx.InsertSubmissions(ctx, []Submission{{AssignmentID: aID, UserID: uID, State: SubmissionPassed, CreatedAt: at, UpdatedAt: at}})
		if err != nil {
			return err
		}
		return tx.InsertTestResults(ctx, []TestResult{{SubmissionID: ids[0], Name: "t", CreatedAt: at}, {SubmissionID: ids[0], Name: "u", CreatedAt: at.Add(time.Second)}})
	})
	if err != nil {
		t.Fatal(err)
	}
	var want, got string
	if err := d.q.QueryRowContext(ctx, `SELECT CAST(? AS TEXT)`, at.UTC()).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if err := d.q.QueryRowContext(ctx, `SELECT CAST(created_at AS TEXT) FROM test_results WHERE name = 't'`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("created_at stored as %q, the driver writes %q", got, want)
	}
	var later time.Time
	if err := d.q.QueryRowContext(ctx, `SELECT created_at FROM test_results WHERE name = 'u'`).Scan(&later); err != nil || !later.Equal(at.Add(time.Second)) {
		t.Errorf("the second row's time %v, %v; want %v", later, err, at.Add(time.Second))
	}
}
