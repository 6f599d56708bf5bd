package db_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/demo"
)

// readerDemo fills two courses with submissions, results and scores.
func readerDemo(t *testing.T) *db.DB {
	t.Helper()
	d := dbtest.Open(t)
	_, err := demo.Generate(context.Background(), d, demo.Options{Seed: 5, Courses: 2, Students: 12, Assignments: 4,
		SubmissionsPerStudent: 2, StdoutBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// dumpCourse reads every archive table of a course through r into strings.
func dumpCourse(t *testing.T, r interface {
	CourseByID(context.Context, int64) (db.Course, error)
	CountArchiveRows(context.Context, int64) (db.ArchiveCounts, error)
	EachPeriod(context.Context, int64, func(db.Period) error) error
	EachMember(context.Context, int64, func(db.MemberRow) error) error
	EachAssignment(context.Context, int64, func(db.Assignment) error) error
	EachSubmission(context.Context, int64, func(db.Submission) error) error
	EachBuildResult(context.Context, int64, bool, func(db.BuildResultRow) error) error
	EachTestResult(context.Context, int64, bool, func(db.TestResultRow) error) error
	EachScore(context.Context, int64, func(db.Score) error) error
	ListStaticFiles(context.Context, int64) ([]db.StaticFile, error)
}, id int64) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	add := func(v any) error {
		b, err := json.Marshal(v)
		out = append(out, fmt.Sprintf("%T %s", v, b))
		return err
	}
	c, err := r.CourseByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	add(c)
	n, err := r.CountArchiveRows(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	add(n)
	for _, err := range []error{
		r.EachPeriod(ctx, id, func(v db.Period) error { return add(v) }),
		r.EachMember(ctx, id, func(v db.MemberRow) error { return add(v) }),
		r.EachAssignment(ctx, id, func(v db.Assignment) error { return add(v) }),
		r.EachSubmission(ctx, id, func(v db.Submission) error { return add(v) }),
		r.EachBuildResult(ctx, id, true, func(v db.BuildResultRow) error { return add(v) }),
		r.EachTestResult(ctx, id, true, func(v db.TestResultRow) error { return add(v) }),
		r.EachScore(ctx, id, func(v db.Score) error { return add(v) }),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	sf, err := r.ListStaticFiles(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	add(sf)
	return out
}

func TestCourseReader_chunksReadWhatOneTransactionReads(t *testing.T) {
	d := readerDemo(t)
	ctx := context.Background()
	var want []string
	if err := d.ReadTx(ctx, func(tx *db.Queries) error { want = dumpCourse(t, tx, 1); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []time.Duration{time.Nanosecond, time.Millisecond, db.DefaultChunk} {
		t.Run(chunk.String(), func(t *testing.T) {
			r := d.CourseReader(1, chunk)
			got := dumpCourse(t, r, 1)
			if !reflect.DeepEqual(got, want) {
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("row %d differs:\ngot  %s\nwant %s", i, got[i], want[i])
					}
				}
				t.Fatalf("rows differ: got %d rows, want %d", len(got), len(want))
			}
			if chunk == time.Nanosecond && r.Reads() < len(want)/2 {
				t.Errorf("%d read transactions for %d rows: the big tables were not read in chunks", r.Reads(), len(want))
			}
		})
	}
}

func TestCourseReader_aWriteToTheCourseStopsIt(t *testing.T) {
	d := readerDemo(t)
	ctx := context.Background()
	r := d.CourseReader(1, time.Nanosecond)
	c, err := r.CourseByID(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	err = r.EachTestResult(ctx, 1, false, func(db.TestResultRow) error {
		rows++
		if rows == 3 { // mid-table, between two chunks
			return d.InTx(ctx, func(tx *db.Queries) error {
				c.Name += " (renamed)"
				return tx.UpdateCourse(ctx, c)
			})
		}
		return nil
	})
	if !errors.Is(err, db.ErrCourseChanged) {
		t.Fatalf("a write to the course during the read: %v, want ErrCourseChanged", err)
	}
	if rows != 3 {
		t.Errorf("%d rows delivered after the write, want none", rows-3)
	}
}

func TestCourseReader_writesElsewhereDoNotStopIt(t *testing.T) {
	d := readerDemo(t)
	ctx := context.Background()
	r := d.CourseReader(1, time.Nanosecond)
	if _, err := r.CourseByID(ctx, 1); err != nil {
		t.Fatal(err)
	}
	other, err := d.CourseByID(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = r.EachTestResult(ctx, 1, false, func(db.TestResultRow) error {
		n++
		return d.InTx(ctx, func(tx *db.Queries) error { // another course's data
			other.Name = fmt.Sprintf("Other %d", n)
			return tx.UpdateCourse(ctx, other)
		})
	})
	if err != nil {
		t.Fatalf("writes to another course stopped the read: %v", err)
	}
}
