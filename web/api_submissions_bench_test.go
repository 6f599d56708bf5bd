package web

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"coursevault/jobs/probe"
)

// BenchmarkIngestAPI posts autograder results through the real router and
// a real HTTP connection with a course token, as an autograder would: n
// submissions with a build and 3 tests of 4 KiB stdout each, generated while
// they are sent. It reports submissions/s, the Go heap's peak and the
// process's peak RSS (VmHWM, so each size reports the peak so far): it rises
// while SQLite's page cache fills (cache_size, 64 MiB) and then stays, however
// large the body. cpu-µs/submission is the process's user+sys time per
// submission (server and client). Run it with
//
//	go test ./web -run '^$' -bench IngestAPI -benchtime 1x
func BenchmarkIngestAPI(b *testing.B) {
	f := newFixture(b)
	f.withAssignments()
	token, _ := f.courseToken(f.course, "bench")
	url := fmt.Sprintf("%s/api/courses/%d/submissions", f.http.URL, f.course)
	stdout := strconv.Quote(strings.Repeat("x", 4<<10))
	for _, n := range []int{2500, 10000, 30000} {
		b.Run(fmt.Sprintf("%dx3tests-4KiB", n), func(b *testing.B) {
			var took, cpu time.Duration
			var heap uint64
			for i := 0; b.Loop(); i++ {
				pr, pw := io.Pipe()
				go func() {
					w := bufio.NewWriterSize(pw, 64<<10)
					for j := range n {
						fmt.Fprintf(w, `{"id":"b%d-%d-%d","assignment":"hw%d","student":%q,"commit":"abc","state":"passed","submitted_at":"2026-11-01T10:00:00Z","build":{"passed":true,"stdout":%s},"tests":[`,
							n, i, j, 1+j%2, asStudent, stdout)
						for t := range 3 {
							if t > 0 {
								w.WriteByte(',')
							}
							fmt.Fprintf(w, `{"name":"test_%d","passed":true,"message":"","stdout":%s}`, t, stdout)
						}
						w.WriteString("],\"score\":0.5}\n")
					}
					pw.CloseWithError(w.Flush())
				}()
				req, _ := http.NewRequest("POST", url, pr)
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/x-ndjson")
				stop := probe.HeapPeak()
				cpu0 := cpuTime()
				start := time.Now()
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				took += time.Since(start)
				cpu += cpuTime() - cpu0
				heap = max(heap, stop())
				if res.StatusCode != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf(`"accepted":%d,`, n)) {
					b.Fatalf("%d %.300s", res.StatusCode, body)
				}
			}
			b.ReportMetric(float64(n*b.N)/took.Seconds(), "submissions/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "cpu-µs/submission")
			b.ReportMetric(float64(heap)/(1<<20), "heap-peak-MiB")
			b.ReportMetric(peakRSS()/(1<<20), "rss-peak-MiB")
		})
	}
}

// cpuTime is the CPU time (user+sys) the process has used so far: per
// submission it is the figure that holds on a machine shared with other work,
// where wall time does not. It counts the client generating the body too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's peak resident set (VmHWM) in bytes; 0 where
// /proc is missing.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb * 1024
		}
	}
	return 0
}
