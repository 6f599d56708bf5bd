package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coursevault/db"
)

func TestRunner_outcomeOfOneAttempt(t *testing.T) {
	tests := []struct {
		name        string
		handler     Handler
		maxAttempts int
		wantState   string
		wantError   string // substring of LastError; "" means empty
		wantAttempt int
	}{
		{"success", func(context.Context, *Job) error { return nil }, 3, db.JobSucceeded, "", 1},
		{"errorIsRetried", func(context.Context, *Job) error { return errors.New("mail server busy") }, 3, db.JobQueued, "mail server busy", 1},
		{"errorOnLastAttemptFails", func(context.Context, *Job) error { return errors.New("mail server busy") }, 1, db.JobFailed, "mail server busy", 1},
		{"permanentErrorFailsAtOnce", func(context.Context, *Job) error {
			return Permanent(fmt.Errorf("export: %w", errors.New("the course was deleted")))
		}, 5, db.JobFailed, "export: the course was deleted", 1},
		{"panicIsAFailedAttemptInWords", func(context.Context, *Job) error {
			var m map[string]int
			m["x"]++
			return nil
		}, 3, db.JobQueued, "the job stopped on an internal error (assignment to entry in nil map)", 1},
		{"badArgumentsFailAtOnce", func(_ context.Context, j *Job) error {
			var v struct{ CourseID int64 }
			return j.Decode(&v)
		}, 5, db.JobFailed, "the job's arguments are not valid", 1},
		{"multiLineErrorKeepsFirstLine", func(context.Context, *Job) error {
			return Permanent(errors.New("zip: disk full\ngoroutine 1 [running]:\nmain.main()"))
		}, 3, db.JobFailed, "zip: disk full", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := openTest(t)
			r, _ := newRunner(t, d, Options{Retention: -1})
			r.Handle("k", tt.handler)
			args := any(map[string]any{"CourseID": 7})
			if tt.name == "badArgumentsFailAtOnce" {
				args = map[string]any{"CourseID": "seven"}
			}
			j := enqueue(t, r, "k", args, EnqueueOptions{MaxAttempts: tt.maxAttempts})
			ran, err := r.RunOnce(context.Background())
			if err != nil || !ran {
				t.Fatalf("RunOnce = %v, %v", ran, err)
			}
			got := getJob(t, d, j.ID)
			if got.State != tt.wantState || got.Attempt != tt.wantAttempt {
				t.Fatalf("state %s attempt %d, want %s attempt %d (error %q)", got.State, got.Attempt, tt.wantState, tt.wantAttempt, got.LastError)
			}
			if tt.wantError == "" && got.LastError != "" || !strings.Contains(got.LastError, tt.wantError) {
				t.Fatalf("LastError = %q, want %q", got.LastError, tt.wantError)
			}
			if strings.Contains(got.LastError, "goroutine") || strings.Contains(got.LastError, ".go:") {
				t.Fatalf("LastError carries a stack: %q", got.LastError)
			}
			if got.Finished() != (got.FinishedAt != nil) {
				t.Fatalf("state %s with finished_at %v", got.State, got.FinishedAt)
			}
		})
	}
}

func TestRunner_retriesWithExponentialBackoffThenFails(t *testing.T) {
	d, _ := openTest(t)
	clock := NewFakeClock(t0)
	r, _ := newRunner(t, d, Options{Clock: clock, Retention: -1})
	var calls atomic.Int32
	r.Handle("flaky", func(context.Context, *Job) error {
		return fmt.Errorf("attempt %d failed", calls.Add(1))
	})
	j := enqueue(t, r, "flaky", nil, EnqueueOptions{MaxAttempts: 4})

	// After failed attempt n the job waits 10 s * 2^(n-1), give or take 20 %.
	for attempt := 1; attempt <= 3; attempt++ {
		drain(t, r)
		got := getJob(t, d, j.ID)
		if got.State != db.JobQueued || got.Attempt != attempt || got.LastError != fmt.Sprintf("attempt %d failed", attempt) {
			t.Fatalf("after attempt %d: %+v", attempt, got)
		}
		wait := got.RunAt.Sub(clock.Now())
		base := BackoffBase << (attempt - 1)
		if wait < base*8/10 || wait > base*12/10 {
			t.Fatalf("after attempt %d the retry waits %v, want %v ±20%%", attempt, wait, base)
		}
		clock.Advance(wait - time.Millisecond)
		if ran, _ := r.RunOnce(context.Background()); ran {
			t.Fatalf("attempt %d ran before its backoff", attempt+1)
		}
		clock.Advance(time.Millisecond)
	}
	drain(t, r)
	got := getJob(t, d, j.ID)
	if got.State != db.JobFailed || got.Attempt != 4 || got.LastError != "attempt 4 failed" || calls.Load() != 4 {
		t.Fatalf("after the last attempt: %+v, %d calls", got, calls.Load())
	}
}

func TestDefaultBackoff_growsAndIsCapped(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		base    time.Duration
	}{{1, 10 * time.Second}, {2, 20 * time.Second}, {5, 160 * time.Second}, {30, time.Hour}} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := DefaultBackoff(tt.attempt)
			if d < tt.base*8/10 || d >= tt.base*12/10 {
				t.Fatalf("DefaultBackoff(%d) = %v, want %v ±20%%", tt.attempt, d, tt.base)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Fatalf("DefaultBackoff(%d) has no jitter: %v", tt.attempt, seen)
		}
	}
}

func TestEnqueue_uniqueKeyReturnsThePendingJob(t *testing.T) {
	d, _ := openTest(t)
	r, _ := newRunner(t, d, Options{Retention: -1})
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	r.Handle("archive", func(ctx context.Context, j *Job) error {
		started <- struct{}{}
		<-release
		return nil
	})
	opts := EnqueueOptions{UniqueKey: "archive:course=7"}
	first := enqueue(t, r, "archive", map[string]int{"course": 7}, opts)

	same := func() (db.Job, bool) {
		var j db.Job
		var existing bool
		err := d.InTx(context.Background(), func(tx *db.Queries) error {
			var err error
			j, existing, err = r.Enqueue(context.Background(), tx, "archive", map[string]int{"course": 7}, opts)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return j, existing
	}
	if j, existing := same(); !existing || j.ID != first.ID {
		t.Fatalf("while queued: got job %d existing=%v, want job %d", j.ID, existing, first.ID)
	}
	other := enqueue(t, r, "archive", map[string]int{"course": 8}, EnqueueOptions{UniqueKey: "archive:course=8"})
	if other.ID == first.ID {
		t.Fatal("a different key returned the same job")
	}

	done := make(chan error, 1)
	go func() { _, err := r.RunOnce(context.Background()); done <- err }()
	recv(t, started, "the handler to start")
	if j, existing := same(); !existing || j.ID != first.ID || j.State != db.JobRunning {
		t.Fatalf("while running: got job %d (%s) existing=%v, want job %d", j.ID, j.State, existing, first.ID)
	}
	close(release)
	if err := recv(t, done, "RunOnce"); err != nil {
		t.Fatal(err)
	}
	if j, existing := same(); existing || j.ID == first.ID {
		t.Fatalf("after it finished: got job %d existing=%v, want a new job", j.ID, existing)
	}
}

func TestRunner_cancelReachesTheRunningHandler(t *testing.T) {
	for _, tt := range []struct {
		name      string
		fromOther bool // cancel through another process's handle: seen at the next heartbeat
	}{{"sameProcess", false}, {"otherProcess", true}} {
		t.Run(tt.name, func(t *testing.T) {
			d, path := openTest(t)
			r, _ := newRunner(t, d, Options{Lease: 300 * time.Millisecond, Retention: -1})
			tmp := filepath.Join(t.TempDir(), "part.zip")
			started := make(chan struct{})
			cause := make(chan error, 1)
			r.Handle("archive", func(ctx context.Context, j *Job) error {
				f, err := os.Create(tmp)
				if err != nil {
					return err
				}
				defer os.Remove(tmp)
				defer f.Close()
				close(started)
				<-ctx.Done()
				cause <- context.Cause(ctx)
				return ctx.Err()
			})
			j := enqueue(t, r, "archive", nil, EnqueueOptions{})
			done := make(chan error, 1)
			go func() { _, err := r.RunOnce(context.Background()); done <- err }()
			<-started

			canceller := r
			if tt.fromOther {
				canceller, _ = newRunner(t, reopen(t, path), Options{Retention: -1})
			}
			asked := time.Now()
			if got, err := canceller.Cancel(context.Background(), j.ID); err != nil || !got.CancelRequested {
				t.Fatalf("Cancel = %+v, %v", got, err)
			}
			if c := recv(t, cause, "the handler's ctx to be cancelled"); !errors.Is(c, ErrCancelled) {
				t.Fatalf("cause = %v, want ErrCancelled", c)
			}
			// Within one heartbeat (Lease/3 = 100 ms), with slack for a loaded machine.
			if waited := time.Since(asked); waited > time.Second {
				t.Fatalf("cancel took %v to reach the handler", waited)
			}
			if err := recv(t, done, "RunOnce"); err != nil {
				t.Fatal(err)
			}
			got := getJob(t, d, j.ID)
			if got.State != db.JobCancelled || got.FinishedAt == nil {
				t.Fatalf("job = %s, want cancelled", got.State)
			}
			if _, err := os.Stat(tmp); !os.IsNotExist(err) {
				t.Fatalf("temp file left behind: %v", err)
			}
		})
	}
}

func TestRunner_cancelledQueuedJobNeverRunsAndCanBeRetried(t *testing.T) {
	d, _ := openTest(t)
	r, _ := newRunner(t, d, Options{Retention: -1})
	var runs atomic.Int32
	r.Handle("k", func(context.Context, *Job) error { runs.Add(1); return nil })
	j := enqueue(t, r, "k", nil, EnqueueOptions{UniqueKey: "k1"})
	if got, err := r.Cancel(context.Background(), j.ID); err != nil || got.State != db.JobCancelled {
		t.Fatalf("Cancel = %s, %v", got.State, err)
	}
	drain(t, r)
	if runs.Load() != 0 {
		t.Fatal("a cancelled job ran")
	}
	got, err := r.Retry(context.Background(), j.ID)
	if err != nil || got.State != db.JobQueued || got.Attempt != 0 || got.CancelRequested {
		t.Fatalf("Retry = %+v, %v", got, err)
	}
	// While the retried job is pending, a new identical one is not added...
	if _, existing, _ := enqueueExisting(t, r, "k", "k1"); !existing {
		t.Fatal("the retried job does not hold its unique key")
	}
	drain(t, r)
	if got := getJob(t, d, j.ID); got.State != db.JobSucceeded || runs.Load() != 1 {
		t.Fatalf("after retry: %s, %d runs", got.State, runs.Load())
	}
	// ...and a finished job whose key is held again cannot be retried into a duplicate.
	r.Cancel(context.Background(), j.ID) // no effect on a finished job
	second := enqueue(t, r, "k", nil, EnqueueOptions{UniqueKey: "k1"})
	r.Cancel(context.Background(), second.ID)
	third := enqueue(t, r, "k", nil, EnqueueOptions{UniqueKey: "k1"})
	if _, err := r.Retry(context.Background(), second.ID); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("Retry while job %d holds the key: err = %v, want ErrDuplicate", third.ID, err)
	}
}

func enqueueExisting(t *testing.T, r *Runner, kind, key string) (db.Job, bool, error) {
	var j db.Job
	var existing bool
	err := r.d.InTx(context.Background(), func(tx *db.Queries) error {
		var err error
		j, existing, err = r.Enqueue(context.Background(), tx, kind, nil, EnqueueOptions{UniqueKey: key})
		return err
	})
	return j, existing, err
}

func TestRunner_shutdownLetsJobsFinishWithinGraceThenReleasesThem(t *testing.T) {
	d, _ := openTest(t)
	// Computing: 2, so both handlers run at once although neither calls Progress.
	r, _ := newRunner(t, d, Options{ShutdownGrace: 200 * time.Millisecond, Retention: -1, PollInterval: time.Hour, Computing: 2})
	started := make(chan string, 2)
	quickDone := make(chan struct{})
	r.Handle("quick", func(ctx context.Context, j *Job) error {
		started <- "quick"
		<-quickDone
		return nil
	})
	r.Handle("slow", func(ctx context.Context, j *Job) error {
		started <- "slow"
		<-ctx.Done()
		return context.Cause(ctx)
	})
	quick := enqueue(t, r, "quick", nil, EnqueueOptions{})
	slow := enqueue(t, r, "slow", nil, EnqueueOptions{})
	r.Start(context.Background())
	recv(t, started, "a job to start")
	recv(t, started, "both jobs to start")

	shut := make(chan error, 1)
	go func() { shut <- r.Shutdown(context.Background()) }()
	close(quickDone) // finishes inside the grace period
	if err := recv(t, shut, "Shutdown"); err != nil {
		t.Fatal(err)
	}
	if got := getJob(t, d, quick.ID); got.State != db.JobSucceeded {
		t.Fatalf("quick job = %s, want succeeded", got.State)
	}
	got := getJob(t, d, slow.ID)
	if got.State != db.JobQueued || got.Attempt != 0 || got.LockedUntil != nil {
		t.Fatalf("slow job after shutdown = %s attempt %d locked %v; want queued, attempt not counted", got.State, got.Attempt, got.LockedUntil)
	}

	next, _ := newRunner(t, d, Options{Retention: -1})
	next.Handle("slow", func(context.Context, *Job) error { return nil })
	drain(t, next)
	if got := getJob(t, d, slow.ID); got.State != db.JobSucceeded || got.Attempt != 1 {
		t.Fatalf("slow job on the next run = %s attempt %d", got.State, got.Attempt)
	}
}

func TestRunner_abandonedJobWithoutAttemptsLeftFails(t *testing.T) {
	d, _ := openTest(t)
	clock := NewFakeClock(t0)
	dead, _ := newRunner(t, d, Options{Clock: clock, Retention: -1})
	dead.Handle("k", func(context.Context, *Job) error { return nil })
	j := enqueue(t, dead, "k", nil, EnqueueOptions{MaxAttempts: 1})
	// A worker claims it and dies (we claim without running).
	if _, ok := dead.claim(context.Background()); !ok {
		t.Fatal("nothing claimed")
	}
	clock.Advance(dead.opts.Lease + time.Second)
	r, _ := newRunner(t, d, Options{Clock: clock, Retention: -1})
	r.Handle("k", func(context.Context, *Job) error { t.Error("ran a job with no attempts left"); return nil })
	drain(t, r)
	got := getJob(t, d, j.ID)
	if got.State != db.JobFailed || !strings.Contains(got.LastError, "worker stopped") {
		t.Fatalf("job = %s %q", got.State, got.LastError)
	}
}

func TestRunner_progressIsWrittenWhileTheJobRuns(t *testing.T) {
	d, _ := openTest(t)
	r, _ := newRunner(t, d, Options{ProgressEvery: 20 * time.Millisecond, Retention: -1})
	release := make(chan struct{})
	r.Handle("k", func(ctx context.Context, j *Job) error {
		for i := range int64(1000) {
			j.Progress(i+1, 2000, "writing scores.json") // a tight loop: throttled
		}
		<-release
		j.Progress(2000, 2000, "done")
		return nil
	})
	j := enqueue(t, r, "k", nil, EnqueueOptions{})
	done := make(chan error, 1)
	go func() { _, err := r.RunOnce(context.Background()); done <- err }()
	waitFor(t, "progress on the row", func() bool {
		got := getJob(t, d, j.ID)
		return got.Done == 1000 && got.Total == 2000 && got.Note == "writing scores.json"
	})
	close(release)
	recv(t, done, "RunOnce")
	if got := getJob(t, d, j.ID); got.Done != 2000 || got.Note != "done" || got.State != db.JobSucceeded {
		t.Fatalf("final progress %d/%d %q %s", got.Done, got.Total, got.Note, got.State)
	}
}

func TestRunner_wakeUpStartsAJobWithoutWaitingForTheTick(t *testing.T) {
	d, _ := openTest(t)
	r, _ := newRunner(t, d, Options{PollInterval: time.Hour, Clock: systemClock{}, Retention: -1})
	started := make(chan struct{}, 1)
	r.Handle("k", func(context.Context, *Job) error { started <- struct{}{}; return nil })
	r.Start(context.Background())
	enqueue(t, r, "k", nil, EnqueueOptions{})
	recv(t, started, "the job to start with the poll interval at an hour")
}

func TestEvery_runsOncePerIntervalAcrossRestartsAndProcesses(t *testing.T) {
	d, path := openTest(t)
	clock := NewFakeClock(t0)
	var runs atomic.Int32
	sweep := func(context.Context) error { runs.Add(1); return nil }
	start := func(d *db.DB) *Runner {
		r, _ := newRunner(t, d, Options{Clock: clock})
		r.Every("sweep", time.Hour, sweep)
		return r
	}

	drain(t, start(d))
	if runs.Load() != 1 {
		t.Fatalf("first start: %d runs, want 1", runs.Load())
	}
	// Restarts and a second process within the hour do not run it again.
	clock.Advance(40 * time.Minute)
	drain(t, start(d))
	drain(t, start(reopen(t, path)))
	if runs.Load() != 1 {
		t.Fatalf("after restarts within the hour: %d runs, want 1", runs.Load())
	}
	// Once the hour is over, two processes ticking at once run it once.
	clock.Advance(21 * time.Minute)
	a, b := start(d), start(reopen(t, path))
	var wg sync.WaitGroup
	for _, r := range []*Runner{a, b} {
		wg.Go(func() { drain(t, r) })
	}
	wg.Wait()
	if runs.Load() != 2 {
		t.Fatalf("next hour with two processes: %d runs, want 2", runs.Load())
	}
	js, err := d.ListJobs(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range js {
		if j.Kind == periodicPrefix+"sweep" && j.State != db.JobSucceeded {
			t.Fatalf("periodic run %d is %s", j.ID, j.State)
		}
	}
}

func TestEvery_prunesFinishedJobsOlderThanRetention(t *testing.T) {
	d, _ := openTest(t)
	clock := NewFakeClock(t0)
	r, _ := newRunner(t, d, Options{Clock: clock, Retention: 48 * time.Hour})
	r.Handle("k", func(context.Context, *Job) error { return nil })
	old := enqueue(t, r, "k", nil, EnqueueOptions{})
	pending := enqueue(t, r, "k", nil, EnqueueOptions{RunAt: t0.Add(100 * time.Hour)})
	drain(t, r)
	clock.Advance(49 * time.Hour)
	recent := enqueue(t, r, "k", nil, EnqueueOptions{})
	drain(t, r) // runs "recent" and the hourly prune
	if _, err := d.GetJob(context.Background(), old.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("job finished 49 h ago: err = %v, want it pruned", err)
	}
	for _, id := range []int64{pending.ID, recent.ID} {
		getJob(t, d, id) // still there
	}
}

func TestWriteList_showsJobsOfAState(t *testing.T) {
	d, _ := openTest(t)
	r, _ := newRunner(t, d, Options{Retention: -1})
	r.Handle("archive", func(_ context.Context, j *Job) error {
		j.Progress(3, 4, "static files")
		return Permanent(errors.New("the course was deleted"))
	})
	r.Handle("perfbook", func(context.Context, *Job) error { return nil })
	failed := enqueue(t, r, "archive", nil, EnqueueOptions{})
	drain(t, r)
	enqueue(t, r, "perfbook", nil, EnqueueOptions{RunAt: t0.Add(time.Hour)})

	var all, onlyFailed strings.Builder
	if err := WriteList(context.Background(), &all, d, ""); err != nil {
		t.Fatal(err)
	}
	if err := WriteList(context.Background(), &onlyFailed, d, "failed"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ID", "KIND", fmt.Sprint(failed.ID), "archive", "failed", "1/5", "3/4 (75%) static files", "the course was deleted", "2025-03-03 08:00:00Z"} {
		if !strings.Contains(onlyFailed.String(), want) {
			t.Errorf("list --state failed lacks %q:\n%s", want, onlyFailed.String())
		}
	}
	if strings.Contains(onlyFailed.String(), "perfbook") || !strings.Contains(all.String(), "perfbook") {
		t.Errorf("state filter wrong:\nall:\n%s\nfailed:\n%s", all.String(), onlyFailed.String())
	}
	if err := WriteList(context.Background(), &all, d, "stuck"); err == nil {
		t.Error("an unknown state was accepted")
	}
}
