package backups

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/demo"
	"coursevault/db/files"
	"coursevault/db/files/filestest"
	"coursevault/jobs"
	"coursevault/jobs/exports"
)

// berlin is the school's zone in these tests: it changes to summer time on
// 2026-03-29 (02:00 → 03:00) and back on 2026-10-25 (03:00 → 02:00).
var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// fixture is the scheduler as serve wires it, on a small demo (courses 1 and
// 2 have data), with every clock a FakeClock and a runner driven by Drain.
type fixture struct {
	d      *db.DB
	files  *files.Service
	clock  *jobs.FakeClock
	runner *jobs.Runner
	ex     *exports.Service
	svc    *Service
	log    *slog.Logger
	dir    string
	blobs  files.Blobs
	quota  int64 // the course quota of the next start; 0 none
}

func newFixture(t testing.TB, start time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t)
	dir, blobs := filepath.Join(t.TempDir(), "attachments"), filestest.Blobs(t)
	fs, err := files.New(d, dir, files.Options{Blobs: blobs})
	if err != nil {
		t.Fatal(err)
	}
	_, err = demo.Generate(ctx, d, demo.Options{Seed: 5, Courses: 2, Students: 6, Assignments: 2, SubmissionsPerStudent: 1,
		StdoutBytes: 128, StaticFiles: 1, Static: func(ctx context.Context, courseID int64, path string, content []byte) error {
			_, err := fs.AddStatic(ctx, courseID, path, bytes.NewReader(content))
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{d: d, files: fs, clock: jobs.NewFakeClock(start), log: slog.New(slog.NewTextHandler(io.Discard, nil)), dir: dir, blobs: blobs}
	f.start(t)
	return f
}

// start builds the runner and services afresh over the same database: a
// (re)started server.
func (f *fixture) start(t testing.TB) {
	t.Helper()
	fs, err := files.New(f.d, f.dir, files.Options{Blobs: f.blobs, CourseQuota: f.quota})
	if err != nil {
		t.Fatal(err)
	}
	f.files = fs
	f.runner = jobs.New(f.d, jobs.Options{Clock: f.clock, Logger: f.log, Retention: -1})
	f.ex = exports.New(f.d, f.runner, f.files, f.clock.Now, f.log)
	f.ex.Register("test", berlin)
	f.svc = New(f.d, f.ex, berlin, f.clock.Now, f.log)
	f.svc.Register(f.runner)
}

// at is a wall-clock time in Berlin.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, berlin)
}

// run moves the clock by step until it has moved by total, doing at each
// step what the worker does at a tick: due periodic jobs (the scheduler
// among them), then every queued job.
func (f *fixture) run(t testing.TB, total, step time.Duration) {
	t.Helper()
	for moved := time.Duration(0); moved < total; moved += step {
		f.clock.Advance(step)
		if err := f.runner.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) setCourse(t testing.TB, courseID int64, form Form) {
	t.Helper()
	s, err := Parse(form)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetCourse(context.Background(), courseID, false, s, Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
}

// change moves a course's data version, as any edit does.
func (f *fixture) change(t testing.TB, courseID int64) {
	t.Helper()
	err := f.d.InTx(context.Background(), func(tx *db.Queries) error {
		_, err := tx.InsertPeriod(context.Background(), db.Period{CourseID: courseID, Name: fmt.Sprintf("P%d", time.Now().UnixNano())})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// scheduled lists a course's scheduled rows, oldest first, as "ready",
// "skipped x2", ...
func (f *fixture) scheduled(t testing.TB, courseID int64) []string {
	t.Helper()
	list, err := f.d.Exports(context.Background(), courseID, db.ExportArchive, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		if !e.Scheduled {
			continue
		}
		s := e.Status()
		if e.Skipped > 1 {
			s += fmt.Sprintf(" x%d", e.Skipped)
		}
		out = append(out, s)
	}
	return out
}

// audited counts the audit events of action.
func (f *fixture) audited(t testing.TB, action string) int {
	t.Helper()
	events, err := f.d.AuditEvents(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Action == action {
			n++
		}
	}
	return n
}
