package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
)

func TestMain(m *testing.M) {
	// The crash-recovery test re-executes this binary as a worker process.
	if path := os.Getenv(childDBEnv); path != "" {
		runChildWorker(path)
		return
	}
	os.Exit(m.Run())
}

// t0 is where fake clocks start.
var t0 = time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)

// openTest opens a fresh database: a file in a temp dir, or a throwaway
// PostgreSQL database with COURSEVAULT_TEST_DATABASE=postgres. The URL
// opens more handles on it.
func openTest(t testing.TB) (*db.DB, string) {
	t.Helper()
	url := dbtest.URL(t)
	return reopen(t, url), url
}

// reopen opens another handle on the database at url, as another process would.
func reopen(t testing.TB, url string) *db.DB {
	t.Helper()
	d, err := db.OpenURL(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// newRunner returns a runner with a fake clock at t0 unless opts has a clock,
// logging into the returned recorder.
func newRunner(t testing.TB, d *db.DB, opts Options) (*Runner, *logRecorder) {
	t.Helper()
	rec := &logRecorder{}
	if opts.Clock == nil {
		opts.Clock = NewFakeClock(t0)
	}
	opts.Logger = slog.New(rec)
	r := New(d, opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	})
	return r, rec
}

// enqueue adds a job in its own transaction through the runner.
func enqueue(t testing.TB, r *Runner, kind string, args any, opts EnqueueOptions) db.Job {
	t.Helper()
	var j db.Job
	err := r.d.InTx(context.Background(), func(tx *db.Queries) error {
		var err error
		j, _, err = r.Enqueue(context.Background(), tx, kind, args, opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func getJob(t testing.TB, d *db.DB, id int64) db.Job {
	t.Helper()
	j, err := d.GetJob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func drain(t testing.TB, r *Runner) {
	t.Helper()
	if err := r.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond (for effects of another goroutine or process that no
// synchronous call can give) and fails after 30 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// recv waits for a value on ch, failing after 30 s (a guard, not a timing).
func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// logRecorder is a slog.Handler keeping warnings and errors, so tests can
// assert what the runner complained about.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l *logRecorder) WithGroup(string) slog.Handler                 { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "stack" {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		}
		return true
	})
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}

func (l *logRecorder) errors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []string
	for _, s := range l.lines {
		if strings.HasPrefix(s, "ERROR") {
			errs = append(errs, s)
		}
	}
	return errs
}
