package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"coursevault/db"
	"coursevault/jobs/exports"
	"coursevault/jobs/probe"
)

// BenchmarkCompression serves, in process, an export row's poll fragment
// (queued: what polling fetches every 2 s; ready: the last poll) and a
// small course's book page, plain and gzipped, so the CPU a request costs
// (µs-cpu/op: the process's user+system time, which other work on the
// machine does not inflate as it does ns/op) can be set against the bytes
// it saves:
//
//	go test ./web -run '^$' -bench Compression -benchtime 2000x
func BenchmarkCompression(b *testing.B) {
	f := newFixture(b)
	ready := f.readyBook(demoWithPeriods)
	queued, _, err := f.srv.exports.Request(context.Background(), exports.Request{CourseID: demoWithoutPeriods, UserID: f.users[asTeacher], Kind: db.ExportBook})
	if err != nil {
		b.Fatal(err)
	}
	c := f.as(demoTeacher)
	u, _ := url.Parse(f.http.URL)
	cookies := c.hc.Jar.Cookies(u)
	inner := f.srv.sessions.LoadAndSave(f.srv.echo)
	for _, target := range []struct{ name, path string }{
		{"queued-row", fmt.Sprintf("/courses/%d/performance/exports/%d", demoWithoutPeriods, queued.ID)},
		{"ready-row", fmt.Sprintf("/courses/%d/performance/exports/%d", demoWithPeriods, ready.ID)},
		{"book-page", fmt.Sprintf("/courses/%d/performance", demoWithPeriods)},
	} {
		for _, v := range []struct {
			name string
			h    http.Handler
		}{{"plain", inner}, {"gzip", compressAbove(inner, 0)}} {
			b.Run(target.name+"/"+v.name, func(b *testing.B) {
				var size int
				b.ReportAllocs()
				cpu := probe.CPUTime()
				for b.Loop() {
					req := httptest.NewRequest(http.MethodGet, target.path, nil)
					req.Header.Set("Accept-Encoding", "gzip")
					req.Header.Set("HX-Request", "true")
					for _, ck := range cookies {
						req.AddCookie(ck)
					}
					rec := httptest.NewRecorder()
					v.h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d", rec.Code)
					}
					size = rec.Body.Len()
				}
				b.ReportMetric(float64(size), "B-body")
				b.ReportMetric(float64((probe.CPUTime()-cpu).Microseconds())/float64(b.N), "µs-cpu/op")
			})
		}
	}
}
