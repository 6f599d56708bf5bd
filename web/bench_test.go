package web

import (
	"bytes"
	"context"
	"crypto/rand"
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
	"coursevault/db/files/filestest"
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

// BenchmarkDownload100MiB downloads a 100 MiB course file through the app
// (router, access check, http.ServeContent) from each store:
//
//	go test ./web -run '^$' -bench 'Download100MiB/dir' -benchtime 5x
//	. .ci/s3; go test ./web -run '^$' -bench 'Download100MiB/s3' -benchtime 5x
func BenchmarkDownload100MiB(b *testing.B) {
	stores := map[string]func(b *testing.B) files.Blobs{
		"dir": func(b *testing.B) files.Blobs { return nil },
		"s3":  func(b *testing.B) files.Blobs { return filestest.S3(b) },
	}
	for name, open := range stores {
		b.Run(name, func(b *testing.B) {
			blobs := open(b)
			f := newFixture(b, func(o *files.Options) { o.Blobs = blobs })
			const size = 100 << 20
			block := make([]byte, 1<<20)
			rand.Read(block)
			st, err := f.files.AddStatic(context.Background(), f.course, "big.bin", io.LimitReader(repeatReader(block), size))
			if err != nil {
				b.Fatal(err)
			}
			hc := &http.Client{}
			b.SetBytes(size)
			for b.Loop() {
				res, err := hc.Get(f.http.URL + st.URL())
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil || n != size || res.StatusCode != http.StatusOK {
					b.Fatalf("%d: %d bytes, %v", res.StatusCode, n, err)
				}
			}
		})
	}
}

// repeatReader reads block over and over.
func repeatReader(block []byte) io.Reader {
	rs := make([]io.Reader, 0, 128)
	for range 128 {
		rs = append(rs, bytes.NewReader(block))
	}
	return io.MultiReader(rs...)
}
