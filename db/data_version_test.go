package db

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestDataVersion_movesOnEveryChangeOfCourseData: an export is "up to date"
// only while its course's data_version stands still, so every change to what
// an export holds must move it.
func TestDataVersion_movesOnEveryChangeOfCourseData(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var course, user, assignment, submission int64
	err := d.InTx(ctx, func(tx *Queries) (err error) {
		if course, err = tx.InsertCourse(ctx, Course{Code: "C1", Name: "One", CreatedAt: now}); err != nil {
			return err
		}
		if user, err = tx.InsertUser(ctx, User{Email: "s@x.edu", Name: "S", CreatedAt: now}); err != nil {
			return err
		}
		if _, err = tx.InsertMembership(ctx, Membership{CourseID: course, UserID: user, Role: RoleStudent, CreatedAt: now}); err != nil {
			return err
		}
		if assignment, err = tx.InsertAssignment(ctx, Assignment{CourseID: course, Name: "A", Kind: KindHomework, Position: 1, Points: 10}); err != nil {
			return err
		}
		if err := tx.q.QueryRowContext(ctx, `INSERT INTO submissions (assignment_id, user_id, commit_sha, state, created_at, updated_at) VALUES (?, ?, 'abc', 'passed', ?, ?) RETURNING id`, assignment, user, now, now).Scan(&submission); err != nil {
			return err
		}
		_, err = tx.InsertFile(ctx, FileRow{Token: "0123456789abcdef0123456789abcdef", OwnerType: "course", OwnerID: course,
			Category: "course-static", Filename: "a.pdf", ContentType: "application/pdf", SHA256: "00", CreatedAt: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	changes := []struct{ name, sql string }{
		{"build result arrives", `INSERT INTO build_results (submission_id, passed, stdout, created_at) VALUES (?2, 1, 'ok', '2026-01-02 03:04:05+00:00')`},
		{"test result arrives", `INSERT INTO test_results (submission_id, name, passed, created_at) VALUES (?2, 't', 1, '2026-01-02 03:04:05+00:00')`},
		{"submission changes state", `UPDATE submissions SET state = 'failed' WHERE id = ?2`},
		{"score added", `INSERT INTO scores (assignment_id, user_id, fraction, status, updated_at) VALUES (?3, ?4, 0.5, 'completed', '2026-01-02 03:04:05+00:00')`},
		{"score deleted", `DELETE FROM scores WHERE assignment_id = ?3`},
		{"student renamed", `UPDATE users SET name = 'Renamed' WHERE id = ?4`},
		{"course renamed", `UPDATE courses SET name = 'Uno' WHERE id = ?1`},
		{"static file added", `INSERT INTO static_files (course_id, path, file_id, created_at) VALUES (?1, 'a.pdf', (SELECT id FROM files), '2026-01-02 03:04:05+00:00')`},
		{"static file renamed", `UPDATE static_files SET path = 'b.pdf' WHERE course_id = ?1`},
		{"static file deleted", `DELETE FROM static_files WHERE course_id = ?1`},
		{"submission deleted", `DELETE FROM submissions WHERE id = ?2`},
		{"assignment deleted", `DELETE FROM assignments WHERE id = ?3`},
	}
	version := func() int64 {
		c, err := d.CourseByID(ctx, course)
		if err != nil {
			t.Fatal(err)
		}
		return c.DataVersion
	}
	for _, ch := range changes {
		before := version()
		err := d.InTx(ctx, func(tx *Queries) error {
			_, err := tx.q.ExecContext(ctx, ch.sql, course, submission, assignment, user)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", ch.name, err)
		}
		if after := version(); after <= before {
			t.Errorf("%s: data_version stayed at %d", ch.name, before)
		}
	}
}

// TestInBulkTx_movesTheVersionOnce: a bulk write moves its course's version
// exactly once however many rows it writes, not at all when it writes
// nothing or fails, and leaves the per-row triggers working afterwards.
func TestInBulkTx_movesTheVersionOnce(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var course, assignment int64
	var users []int64
	err := d.InTx(ctx, func(tx *Queries) (err error) {
		if course, err = tx.InsertCourse(ctx, Course{Code: "C1", Name: "One", CreatedAt: now}); err != nil {
			return err
		}
		if assignment, err = tx.InsertAssignment(ctx, Assignment{CourseID: course, Name: "A", Kind: KindHomework, Position: 1, Points: 10}); err != nil {
			return err
		}
		for _, e := range []string{"a@x.edu", "b@x.edu", "c@x.edu"} {
			u, err := tx.InsertUser(ctx, User{Email: e, Name: e, CreatedAt: now})
			if err != nil {
				return err
			}
			users = append(users, u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	version := func() int64 {
		c, err := d.CourseByID(ctx, course)
		if err != nil {
			t.Fatal(err)
		}
		return c.DataVersion
	}
	score := `INSERT INTO scores (assignment_id, user_id, fraction, status, updated_at) VALUES (?, ?, 0.5, 'completed', '2026-01-02 03:04:05+00:00')`

	before := version()
	err = d.InBulkTx(ctx, course, func(tx *Queries) error {
		for _, u := range users {
			if _, err := tx.q.ExecContext(ctx, score, assignment, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := version(); got != before+1 {
		t.Errorf("three scores in one bulk write: version %d → %d, want one step", before, got)
	}

	before = version()
	if err := d.InBulkTx(ctx, course, func(tx *Queries) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := version(); got != before {
		t.Errorf("a bulk write that changed nothing moved the version %d → %d", before, got)
	}

	boom := errors.New("boom")
	err = d.InBulkTx(ctx, course, func(tx *Queries) error {
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM scores`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed bulk write: %v, want its own error", err)
	}
	if got := version(); got != before {
		t.Errorf("a failed bulk write moved the version %d → %d", before, got)
	}

	err = d.InTx(ctx, func(tx *Queries) error {
		_, err := tx.q.ExecContext(ctx, `DELETE FROM scores WHERE user_id = ?`, users[0])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := version(); got <= before {
		t.Errorf("an ordinary write after bulk writes left the version at %d: the triggers are still held", got)
	}
}
