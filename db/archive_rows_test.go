package db

import (
	"context"
	"strings"
	"testing"
	"time"
)

// archiveFixture fills two courses; the second one must never show up in the
// first one's streams. Returns the first course's id.
func archiveFixture(t *testing.T, d *DB) (courseID, otherID int64) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := d.InTx(ctx, func(tx *Queries) error {
		uid, err := tx.InsertUser(ctx, User{Email: "zoë@example.edu", Name: "Zoë", PasswordHash: "secret-hash", CreatedAt: now})
		if err != nil {
			return err
		}
		for i, code := range []string{"CS101", "CS102"} {
			cid, err := tx.InsertCourse(ctx, Course{Code: code, Name: "Course", Term: "Fall", CreatedAt: now})
			if err != nil {
				return err
			}
			if i == 0 {
				courseID = cid
			} else {
				otherID = cid
			}
			pid, err := tx.InsertPeriod(ctx, Period{CourseID: cid, Name: "P1"})
			if err != nil {
				return err
			}
			if _, err := tx.InsertMembership(ctx, Membership{CourseID: cid, UserID: uid, Role: RoleStudent, PeriodID: pid, StudentIdentifier: "007", CreatedAt: now}); err != nil {
				return err
			}
			aid, err := tx.InsertAssignment(ctx, Assignment{CourseID: cid, Name: "HW1", Kind: KindHomework, Points: 10})
			if err != nil {
				return err
			}
			subs, _ := tx.PrepareInsertSubmission(ctx)
			builds, _ := tx.PrepareInsertBuildResult(ctx)
			tests, _ := tx.PrepareInsertTestResult(ctx)
			scores, _ := tx.PrepareInsertScore(ctx)
			defer subs.Close()
			defer builds.Close()
			defer tests.Close()
			defer scores.Close()
			sid, err := subs.Exec(ctx, Submission{AssignmentID: aid, UserID: uid, CommitSHA: "abc", State: SubmissionPassed, CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return err
			}
			if _, err := builds.Exec(ctx, BuildResult{SubmissionID: sid, Passed: true, Stdout: "ok ✓", CreatedAt: now}); err != nil {
				return err
			}
			for _, name := range []string{"t1", "t2"} {
				if _, err := tests.Exec(ctx, TestResult{SubmissionID: sid, Name: name, Passed: true, Stdout: strings.Repeat("é", 1000), CreatedAt: now}); err != nil {
					return err
				}
			}
			if _, err := scores.Exec(ctx, Score{AssignmentID: aid, UserID: uid, Status: ScoreNotStarted, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return courseID, otherID
}

func TestArchiveRows_streamOnlyTheCourseAndCountBytes(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	cid, _ := archiveFixture(t, d)

	counts, err := d.CountArchiveRows(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	want := ArchiveCounts{Periods: 1, Members: 1, Assignments: 1, Submissions: 1, BuildResults: 1, TestResults: 2, Scores: 1}
	if counts != want {
		t.Fatalf("counts = %+v, want %+v", counts, want)
	}

	outputs, bytes, err := d.StdoutTotals(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	// "ok ✓" is 6 bytes; each "é" is 2 bytes: bytes, not characters.
	if outputs != 3 || bytes != 6+2*2000 {
		t.Fatalf("stdout totals = %d outputs, %d bytes; want 3, %d", outputs, bytes, 6+2*2000)
	}

	for _, withStdout := range []bool{false, true} {
		var n int
		err := d.EachTestResult(ctx, cid, withStdout, func(r TestResultRow) error {
			n++
			if r.StdoutBytes != 2000 {
				t.Errorf("StdoutBytes = %d, want 2000", r.StdoutBytes)
			}
			if got := r.Stdout != ""; got != withStdout {
				t.Errorf("withStdout=%v but stdout present=%v", withStdout, got)
			}
			return nil
		})
		if err != nil || n != 2 {
			t.Fatalf("EachTestResult: %d rows, err %v", n, err)
		}
	}
	var members []MemberRow
	if err := d.EachMember(ctx, cid, func(m MemberRow) error { members = append(members, m); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0].StudentIdentifier != "007" || members[0].PeriodName != "P1" || members[0].Email != "zoë@example.edu" {
		t.Fatalf("members = %+v", members)
	}
}

func TestArchiveRows_readTxSeesOneSnapshot(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	cid, _ := archiveFixture(t, d)
	err := d.ReadTx(ctx, func(tx *Queries) error {
		before, err := tx.CountArchiveRows(ctx, cid)
		if err != nil {
			return err
		}
		if err := d.InTx(ctx, func(w *Queries) error {
			_, err := w.InsertPeriod(ctx, Period{CourseID: cid, Name: "P2"})
			return err
		}); err != nil {
			return err
		}
		after, err := tx.CountArchiveRows(ctx, cid)
		if err != nil {
			return err
		}
		if after != before {
			t.Errorf("snapshot moved: before %+v, after %+v", before, after)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := d.CountArchiveRows(ctx, cid); c.Periods != 2 {
		t.Fatalf("after the read transaction periods = %d, want 2", c.Periods)
	}
}

// The streams must follow the indexes: a temp b-tree would make SQLite sort
// every row (stdout included) before the first one arrives.
func TestArchiveRows_streamsNeedNoSort(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	skipOnPostgres(t, d, "checks SQLite's query plans (EXPLAIN QUERY PLAN)")
	for name, query := range map[string]string{
		"submissions": `SELECT s.id FROM assignments a JOIN submissions s ON s.assignment_id = a.id
			WHERE a.course_id = 1 ORDER BY a.position, a.id, s.user_id, s.id`,
		"build_results": `SELECT b.stdout FROM assignments a JOIN submissions s ON s.assignment_id = a.id
			JOIN build_results b ON b.submission_id = s.id WHERE a.course_id = 1 ORDER BY a.position, a.id, s.user_id, s.id`,
		"test_results": `SELECT t.stdout FROM assignments a JOIN submissions s ON s.assignment_id = a.id
			JOIN test_results t ON t.submission_id = s.id WHERE a.course_id = 1 ORDER BY a.position, a.id, s.user_id, s.id, t.id`,
		"scores": `SELECT sc.id FROM assignments a JOIN scores sc ON sc.assignment_id = a.id
			WHERE a.course_id = 1 ORDER BY a.position, a.id, sc.user_id`,
	} {
		rows, err := d.q.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: plan sorts: %s", name, p)
		}
	}
}
