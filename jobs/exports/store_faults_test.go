package exports

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs"
)

// TestHandler_storeDownOrSlowFailsWithAClearReasonAndRetries makes the
// object store unreachable (connection refused), silent (accepts, never
// answers) or failing (500 to everything) under each export kind: every attempt fails saying the file store
// did not answer, the job's backoff retries it, and no file row is left.
func TestHandler_storeDownOrSlowFailsWithAClearReasonAndRetries(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`)
	}))
	defer failing.Close()
	stores := map[string]string{
		"down":     "127.0.0.1:1",
		"silent":   silent.Addr().String(),
		"erroring": strings.TrimPrefix(failing.URL, "http://"),
	}
	for name, addr := range stores {
		for _, kind := range []string{db.ExportBook, db.ExportArchive} {
			t.Run(name+" "+kind, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				ctx := context.Background()
				cfg, err := files.ParseS3URL("s3://bkt/p?endpoint=http://" + addr + "&path_style=true&access_key=k&secret_key=sekrit&timeout=300ms")
				if err != nil {
					t.Fatal(err)
				}
				s3, err := files.NewS3(cfg)
				if err != nil {
					t.Fatal(err)
				}
				// The demo's files were stored before the store went away.
				fs, err := files.New(f.d, t.TempDir(), files.Options{Blobs: s3})
				if err != nil {
					t.Fatal(err)
				}
				log := slog.New(slog.NewTextHandler(io.Discard, nil))
				runner := jobs.New(f.d, jobs.Options{Logger: log, Backoff: func(int) time.Duration { return 0 }})
				ex := New(f.d, runner, fs, func() time.Time { return testNow }, log)
				ex.Register("test", time.UTC)
				e, _, err := ex.Request(ctx, Request{CourseID: 1, UserID: f.admin, Kind: kind, IncludeStatic: true})
				if err != nil {
					t.Fatal(err)
				}
				if err := runner.Drain(ctx); err != nil {
					t.Fatal(err)
				}
				e, _ = ex.Get(ctx, 1, e.ID)
				if e.Status() != db.ExportFailed || !strings.Contains(e.LastError, "the file store did not answer") {
					t.Fatalf("export is %s saying %q; want failed saying the file store did not answer", e.Status(), e.LastError)
				}
				if e.Attempt != e.MaxAttempts || e.MaxAttempts < 2 {
					t.Errorf("%d of %d attempts ran, want every retry", e.Attempt, e.MaxAttempts)
				}
				if strings.Contains(e.LastError, "sekrit") {
					t.Errorf("the reason shows the secret: %s", e.LastError)
				}
				if list, _ := fs.List(ctx, files.Course(1), kind); len(list) != 0 || e.FileID != 0 {
					t.Errorf("a failed export left file rows %v / %d", list, e.FileID)
				}
			})
		}
	}
}
