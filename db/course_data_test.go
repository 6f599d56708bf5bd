package db

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

// courseDataFixture makes a course with one assignment and one student.
func courseDataFixture(t *testing.T, d *DB) (courseID, assignmentID, userID int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	err := d.InTx(ctx, func(tx *Queries) error {
		var err error
		if courseID, err = tx.InsertCourse(ctx, Course{Code: "CS1", Name: "Intro", CreatedAt: now}); err != nil {
			return err
		}
		if userID, err = tx.InsertUser(ctx, User{Email: "s@x.test", Name: "S", CreatedAt: now}); err != nil {
			return err
		}
		assignmentID, err = tx.InsertAssignment(ctx, Assignment{CourseID: courseID, Name: "HW1", Kind: KindHomework, Position: 1, Points: 10})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return courseID, assignmentID, userID
}

func TestCourseData_insertsRoundTrip(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	courseID, aID, uID := courseDataFixture(t, d)
	before, err := d.CourseByID(ctx, courseID)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 2, 10, 30, 0, 123000000, time.FixedZone("CET", 3600))
	stdout := "\x1b[31mFAIL\x1b[0m naïve ✓ 日本語\nline 2\n"
	half := 0.5
	err = d.InTx(ctx, func(tx *Queries) error {
		subs, err := tx.PrepareInsertSubmission(ctx)
		if err != nil {
			return err
		}
		defer subs.Close()
		builds, err := tx.PrepareInsertBuildResult(ctx)
		if err != nil {
			return err
		}
		defer builds.Close()
		tests, err := tx.PrepareInsertTestResult(ctx)
		if err != nil {
			return err
		}
		defer tests.Close()
		scores, err := tx.PrepareInsertScore(ctx)
		if err != nil {
			return err
		}
		defer scores.Close()
		for i := range 2 {
			sid, err := subs.Exec(ctx, Submission{AssignmentID: aID, UserID: uID, CommitSHA: strings.Repeat("ab", 20), State: SubmissionFailed, CreatedAt: at, UpdatedAt: at.Add(time.Minute)})
			if err != nil {
				return err
			}
			if _, err := builds.Exec(ctx, BuildResult{SubmissionID: sid, Passed: i == 1, Stdout: stdout, CreatedAt: at}); err != nil {
				return err
			}
			for _, name := range []string{"test_a", "test_b"} {
				if _, err := tests.Exec(ctx, TestResult{SubmissionID: sid, Name: name, Passed: true, Message: "ok", Stdout: stdout, CreatedAt: at}); err != nil {
					return err
				}
			}
		}
		if _, err := scores.Exec(ctx, Score{AssignmentID: aID, UserID: uID, Fraction: &half, Status: ScoreCompleted, Late: true, SubmittedAt: &at, UpdatedAt: at}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var n int
	if err := d.q.QueryRowContext(ctx, `SELECT count(*) FROM test_results`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("test_results: %d rows, %v; want 4", n, err)
	}
	var gotStdout string
	var createdAt time.Time
	if err := d.q.QueryRowContext(ctx, `SELECT stdout, created_at FROM build_results ORDER BY id LIMIT 1`).Scan(&gotStdout, &createdAt); err != nil {
		t.Fatal(err)
	}
	if gotStdout != stdout || !createdAt.Equal(at) {
		t.Errorf("build result = %q at %v; want %q at %v", gotStdout, createdAt, stdout, at)
	}
	var fraction sql.NullFloat64
	var late bool
	var submitted sql.NullTime
	if err := d.q.QueryRowContext(ctx, `SELECT fraction, late, submitted_at FROM scores`).Scan(&fraction, &late, &submitted); err != nil {
		t.Fatal(err)
	}
	if !fraction.Valid || fraction.Float64 != 0.5 || !late || !submitted.Time.Equal(at) {
		t.Errorf("score = %v late=%v submitted=%v", fraction, late, submitted)
	}
	after, err := d.CourseByID(ctx, courseID)
	if err != nil {
		t.Fatal(err)
	}
	if after.DataVersion <= before.DataVersion {
		t.Errorf("data_version %d -> %d; want it to move", before.DataVersion, after.DataVersion)
	}
}

func TestCourseData_notStartedScoreIsNull(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	_, aID, uID := courseDataFixture(t, d)
	now := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	err := d.InTx(ctx, func(tx *Queries) error {
		scores, err := tx.PrepareInsertScore(ctx)
		if err != nil {
			return err
		}
		defer scores.Close()
		_, err = scores.Exec(ctx, Score{AssignmentID: aID, UserID: uID, Status: ScoreNotStarted, UpdatedAt: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var fraction sql.NullFloat64
	var submitted sql.NullTime
	if err := d.q.QueryRowContext(ctx, `SELECT fraction, submitted_at FROM scores`).Scan(&fraction, &submitted); err != nil {
		t.Fatal(err)
	}
	if fraction.Valid || submitted.Valid {
		t.Errorf("fraction=%v submitted=%v; want both NULL", fraction, submitted)
	}
}

func TestCourseData_badRowsFailWithContext(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	_, aID, uID := courseDataFixture(t, d)
	now := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		want string
		run  func(tx *Queries) error
	}{
		{"duplicate score is a unique violation", "insert score", func(tx *Queries) error {
			scores, err := tx.PrepareInsertScore(ctx)
			if err != nil {
				return err
			}
			defer scores.Close()
			for range 2 {
				if _, err := scores.Exec(ctx, Score{AssignmentID: aID, UserID: uID, Status: ScoreNotStarted, UpdatedAt: now}); err != nil {
					if !IsUniqueViolation(err) {
						t.Errorf("err = %v; want a unique violation", err)
					}
					return err
				}
			}
			return nil
		}},
		{"build result of a missing submission", "insert build result of submission 999", func(tx *Queries) error {
			builds, err := tx.PrepareInsertBuildResult(ctx)
			if err != nil {
				return err
			}
			defer builds.Close()
			_, err = builds.Exec(ctx, BuildResult{SubmissionID: 999, CreatedAt: now})
			return err
		}},
		{"unknown submission state", "insert submission", func(tx *Queries) error {
			subs, err := tx.PrepareInsertSubmission(ctx)
			if err != nil {
				return err
			}
			defer subs.Close()
			_, err = subs.Exec(ctx, Submission{AssignmentID: aID, UserID: uID, State: "lost", CreatedAt: now, UpdatedAt: now})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.InTx(ctx, tt.run)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want one mentioning %q", err, tt.want)
			}
		})
	}
}
