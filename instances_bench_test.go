package main

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"
)

// BenchmarkInstances_exportsFinishedIn60s counts the course archives that
// finish in 60 s with one instance (serve: web and worker) and with two (serve
// and a `coursevault worker`) on one database and store (PostgreSQL and S3
// when the test environment names them, see databaseOf and sharedStore), while a client
// keeps four archives asked for (two courses, with stdout, with and without
// files: each finished one is asked for again). It reports exports/60s and
// logs the time from asking to ready. Minutes long: COURSEVAULT_INSTANCES_BENCH=1
// runs it, e.g.
//
//	. .ci/pg; . .ci/s3; COURSEVAULT_INSTANCES_BENCH=1 COURSEVAULT_TEST_DATABASE=postgres \
//	  COURSEVAULT_TEST_STORE=s3 go test -run '^$' -bench 'Instances_exports' -benchtime 1x .
func BenchmarkInstances_exportsFinishedIn60s(b *testing.B) {
	if os.Getenv("COURSEVAULT_INSTANCES_BENCH") == "" {
		b.Skip("minutes long: set COURSEVAULT_INSTANCES_BENCH=1")
	}
	for _, instances := range []int{1, 2} {
		b.Run(fmt.Sprintf("instances=%d", instances), func(b *testing.B) {
			dir := b.TempDir()
			store := sharedStore(b)
			token := vaultDemoOn(b, dir, store, "--courses", "2", "--students", "200",
				"--assignments", "15", "--submissions", "2", "--stdout-bytes", "8000")
			web := startVault(b, dir, append([]string{"--poll-interval", "200ms"}, store...)...)
			if instances == 2 {
				startWorker(b, dir, append([]string{"--poll-interval", "200ms"}, store...)...)
			}
			api := newVaultAPI(b, web.base, token)
			asks := []string{`{"include_stdout":true}`, `{"include_stdout":true,"include_files":false}`}
			type pending struct {
				path, body string
				asked      time.Time
			}
			var open []pending
			ask := func(course int, body string) {
				var ex vaultExport
				path := fmt.Sprintf("/api/courses/%d/exports", course)
				if code := api.do("POST", path, body, &ex); code != http.StatusAccepted {
					b.Fatalf("request archive of course %d: %d", course, code)
				}
				open = append(open, pending{fmt.Sprintf("%s/%d", path, ex.ID), body, time.Now()})
			}
			for course := 1; course <= 2; course++ {
				for _, body := range asks {
					ask(course, body)
				}
			}
			var took latencies
			start := time.Now()
			for time.Since(start) < 60*time.Second {
				for i := 0; i < len(open); i++ {
					var ex vaultExport
					if code := api.do("GET", open[i].path, "", &ex); code != http.StatusOK {
						b.Fatalf("poll %s: %d", open[i].path, code)
					}
					if ex.Status == "failed" {
						b.Fatalf("%s failed: %s", open[i].path, ex.Error)
					}
					if ex.Status != "ready" {
						continue
					}
					took.add([]time.Duration{time.Since(open[i].asked)})
					p := open[i]
					open = append(open[:i], open[i+1:]...)
					i--
					var course int
					fmt.Sscanf(p.path, "/api/courses/%d/", &course)
					ask(course, p.body)
				}
				time.Sleep(100 * time.Millisecond)
			}
			summary, _ := took.summary()
			b.ReportMetric(float64(len(took.d)), "exports/60s")
			b.Logf("%d instance(s): %d archives finished in 60 s; asked → ready: %s", instances, len(took.d), summary)
		})
	}
}
