package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/demo"
	"coursevault/db/files"
)

// BenchmarkPerformancePage renders the whole book of a large course through
// the real router, as a teacher's browser asks for it.
func BenchmarkPerformancePage(b *testing.B) {
	for _, size := range []struct{ students, assignments int }{{100, 10}, {1000, 50}} {
		b.Run(fmt.Sprintf("%dx%d", size.students, size.assignments), func(b *testing.B) {
			ctx := context.Background()
			d, err := db.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			if _, err := demo.Generate(ctx, d, demo.Options{Seed: 1, Courses: 1, Students: size.students, Assignments: size.assignments,
				SubmissionsPerStudent: 0, PasswordHash: passwordHash(b)}); err != nil {
				b.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			fs, err := files.New(d, filepath.Join(b.TempDir(), "attachments"), files.Options{})
			if err != nil {
				b.Fatal(err)
			}
			deps, _ := newDeps(d, fs, log)
			srv := New(d, deps, log, Config{Timezone: time.UTC})
			h := srv.Handler()
			u, err := d.UserByEmail(ctx, "teacher@demo.test")
			if err != nil {
				b.Fatal(err)
			}
			// A signed-in session, made once.
			var cookie string
			h2 := srv.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				srv.sessions.Put(r.Context(), sessUserID, u.ID)
			}))
			rec := httptest.NewRecorder()
			h2.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			cookie = rec.Result().Cookies()[0].String()

			b.ReportAllocs()
			b.ResetTimer()
			var bytes int
			for b.Loop() {
				req := httptest.NewRequest("GET", "/courses/1/performance", nil)
				req.Header.Set("Cookie", cookie)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %.200s", rec.Code, rec.Body.String())
				}
				bytes = rec.Body.Len()
			}
			b.ReportMetric(float64(bytes)/1e6, "MB/page")
		})
	}
}
