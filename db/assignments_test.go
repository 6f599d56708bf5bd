package db

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestDeleteAssignment_leavesNoOrphans removes an assignment with a
// submission, its build and test results, and a score: nothing of it stays,
// the course's other data does, and the data version moves.
func TestDeleteAssignment_leavesNoOrphans(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	courseID, aID, uID := courseDataFixture(t, d)
	at := time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC)
	half := 0.5
	var keep int64
	err := d.InTx(ctx, func(tx *Queries) error {
		var err error
		if keep, err = tx.InsertAssignment(ctx, Assignment{CourseID: courseID, Name: "HW2", Kind: KindHomework, Points: 5}); err != nil {
			return err
		}
		subs, _ := tx.PrepareInsertSubmission(ctx)
		defer subs.Close()
		builds, _ := tx.PrepareInsertBuildResult(ctx)
		defer builds.Close()
		tests, _ := tx.PrepareInsertTestResult(ctx)
		defer tests.Close()
		scores, _ := tx.PrepareInsertScore(ctx)
		defer scores.Close()
		for _, a := range []int64{aID, keep} {
			sid, err := subs.Exec(ctx, Submission{AssignmentID: a, UserID: uID, CommitSHA: "abc", State: SubmissionPassed, CreatedAt: at, UpdatedAt: at})
			if err != nil {
				return err
			}
			if _, err := builds.Exec(ctx, BuildResult{SubmissionID: sid, Passed: true, CreatedAt: at}); err != nil {
				return err
			}
			if _, err := tests.Exec(ctx, TestResult{SubmissionID: sid, Name: "t", Passed: true, CreatedAt: at}); err != nil {
				return err
			}
			if _, err := scores.Exec(ctx, Score{AssignmentID: a, UserID: uID, Fraction: &half, Status: ScoreCompleted, UpdatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	work, err := d.AssignmentsWork(ctx, courseID)
	if err != nil || work[aID] != (AssignmentWork{Submissions: 1, Scores: 1}) {
		t.Fatalf("work before: %+v, %v", work, err)
	}
	before, _ := d.CourseByID(ctx, courseID)
	if err := d.InTx(ctx, func(tx *Queries) error { return tx.DeleteAssignment(ctx, courseID, aID) }); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"assignments": 1, "submissions": 1, "build_results": 1, "test_results": 1, "scores": 1} {
		var n int
		if err := d.q.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != want {
			t.Errorf("%s: %d rows (%v), want %d", table, n, err, want)
		}
	}
	after, _ := d.CourseByID(ctx, courseID)
	if after.DataVersion <= before.DataVersion {
		t.Error("the data version did not move")
	}
	err = d.InTx(ctx, func(tx *Queries) error { return tx.DeleteAssignment(ctx, courseID+1, keep) })
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting through another course: %v", err)
	}
}
