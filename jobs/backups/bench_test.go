package backups

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/demo"
	"coursevault/db/files"
	"coursevault/jobs"
	"coursevault/jobs/exports"
)

// drained is what drainMany measured.
type drained struct {
	queued     int           // archives the tick queued
	tick       time.Duration // the tick that queued them
	drain      time.Duration // from the tick's start until every archive was final
	maxRunning int           // most jobs seen running at once
	ready      int
}

// drainMany makes n courses (a demo: 4 students, 3 assignments each), gives
// them all the default schedule daily at 02:00, and at 02:00 lets one tick
// queue every archive, which a started runner with workers workers (and the
// default computing limit) then runs; it samples how many run at once.
func drainMany(tb testing.TB, n, workers int) drained {
	tb.Helper()
	ctx := context.Background()
	d := dbtest.Open(tb)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := demo.Generate(ctx, d, demo.Options{Seed: 9, Courses: n, Students: 4 * n, Assignments: 3,
		SubmissionsPerStudent: 1, StdoutBytes: 512}); err != nil {
		tb.Fatal(err)
	}
	fs, err := files.New(d, filepath.Join(tb.TempDir(), "attachments"), files.Options{Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	clock := jobs.NewFakeClock(at(2026, 11, 2, 1, 0))
	runner := jobs.New(d, jobs.Options{Workers: workers, Clock: clock, Logger: log, PollInterval: 100 * time.Millisecond, Retention: -1})
	ex := exports.New(d, runner, fs, clock.Now, log)
	ex.Register("bench", berlin)
	svc := New(d, ex, berlin, clock.Now, log)
	def, _ := Parse(Form{Frequency: "daily", Time: "02:00", Keep: "7", IncludeStatic: true})
	if err := svc.SetDefault(ctx, def, Actor{Name: "bench"}); err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.Tick(ctx); err != nil { // 01:00: next runs computed, nothing due
		tb.Fatal(err)
	}
	runner.Start(ctx)
	defer runner.Shutdown(context.Background())

	clock.Set(at(2026, 11, 2, 2, 0))
	start := time.Now()
	res, err := svc.Tick(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	out := drained{queued: res.Queued, tick: time.Since(start)}
	for {
		running, pending := 0, 0
		for _, state := range []string{db.JobRunning, db.JobQueued} {
			list, err := d.ListJobs(ctx, state, 10*n)
			if err != nil {
				tb.Fatal(err)
			}
			for _, j := range list {
				if j.Kind == db.ExportArchive {
					pending++
					if state == db.JobRunning {
						running++
					}
				}
			}
		}
		out.maxRunning = max(out.maxRunning, running)
		if pending == 0 {
			break
		}
		if time.Since(start) > 10*time.Minute {
			tb.Fatalf("not drained after 10 minutes: %d archives pending", pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
	out.drain = time.Since(start)
	rows, err := svc.Overview(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for _, r := range rows {
		if r.LastArchive != nil && r.LastArchive.Status() == db.ExportReady {
			out.ready++
		}
	}
	return out
}

// Thirty courses due at once queue on the job table and run two at a time.
func TestManyDue_queueOnTheJobTableAndRunWithinTheWorkers(t *testing.T) {
	r := drainMany(t, 30, 2)
	if r.queued != 30 || r.ready != 30 {
		t.Errorf("queued %d, ready %d; want 30 and 30", r.queued, r.ready)
	}
	if r.maxRunning > 2 {
		t.Errorf("%d archives ran at once with --workers 2", r.maxRunning)
	}
	t.Logf("30 courses: tick %s, drained in %s, at most %d running", r.tick, r.drain, r.maxRunning)
}

// BenchmarkDrain300 is "300 courses due at 02:00: time to drain" with the
// default --workers 2: run it once,
//
//	go test ./jobs/backups -run '^$' -bench Drain300 -benchtime 1x
func BenchmarkDrain300(b *testing.B) {
	for range b.N {
		b.StopTimer()
		r := drainMany(b, 300, 2)
		if r.ready != 300 || r.maxRunning > 2 {
			b.Fatalf("ready %d of 300, at most %d running", r.ready, r.maxRunning)
		}
		b.ReportMetric(r.drain.Seconds(), "s-to-drain")
		b.ReportMetric(float64(r.tick.Milliseconds()), "ms-tick")
		b.ReportMetric(300/r.drain.Seconds(), "archives/s")
		b.ReportMetric(float64(r.maxRunning), "max-running")
	}
}
