package submissions

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"coursevault/jobs/probe"
)

// BenchmarkIngest sends generated NDJSON bodies (made as they are read, never
// whole in memory) into a course on a real database file and reports lines/s.
// Run it with
//
//	go test ./jobs/submissions -run '^$' -bench Ingest -benchtime 1x
//
// small: 100,000 lines with a score and nothing else; 10000x3tests-4KiB: the
// issue's shape, a build and 3 tests of 4 KiB stdout each per submission.
func BenchmarkIngest(b *testing.B) {
	for _, bc := range []struct {
		name                   string
		lines, tests, stdoutKB int
	}{
		{"100000-small-lines", 100000, 0, 0},
		{"10000x3tests-4KiB", 10000, 3, 4},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newCourse(b)
			b.ReportAllocs()
			var took time.Duration
			for i := 0; b.Loop(); i++ {
				g := generate(bc.lines, bc.tests, bc.stdoutKB<<10)
				g.prefix = fmt.Sprintf("run%d-", i)
				start := time.Now()
				res, err := Ingest(context.Background(), c.d, c.id, g, Options{})
				took += time.Since(start)
				if err != nil || res.Accepted != bc.lines {
					b.Fatalf("accepted %d of %d: %v %v", res.Accepted, bc.lines, err, res.Rejected[:min(3, len(res.Rejected))])
				}
			}
			b.ReportMetric(float64(bc.lines*b.N)/took.Seconds(), "lines/s")
		})
	}
}

// BenchmarkIngestStdout sends a body whose results carry mostly stdout (4
// results of 1 MiB a line) and reports MB/s and the peak heap, which must
// stay flat (a few batches' worth) as the body grows. The 1 GiB size runs with
// INGEST_BENCH_1GIB=1:
//
//	INGEST_BENCH_1GIB=1 go test ./jobs/submissions -run '^$' -bench IngestStdout -benchtime 1x
func BenchmarkIngestStdout(b *testing.B) {
	sizes := []int{64, 256}
	if os.Getenv("INGEST_BENCH_1GIB") != "" {
		sizes = append(sizes, 1024)
	}
	for _, mb := range sizes {
		b.Run(fmt.Sprintf("%dMiB", mb), func(b *testing.B) {
			c := newCourse(b)
			const perResult = 1 << 20
			lines := mb / 4 // a build and 3 tests of 1 MiB each
			var took time.Duration
			var peak uint64
			for i := 0; b.Loop(); i++ {
				g := generate(lines, 3, perResult)
				g.prefix = fmt.Sprintf("run%d-", i)
				stop := probe.HeapPeak()
				start := time.Now()
				res, err := Ingest(context.Background(), c.d, c.id, g, Options{})
				took += time.Since(start)
				peak = max(peak, stop())
				if err != nil || res.Accepted != lines {
					b.Fatalf("accepted %d of %d: %v", res.Accepted, lines, err)
				}
			}
			b.SetBytes(int64(mb) << 20)
			b.ReportMetric(float64(mb*b.N)*(1<<20)/1e6/took.Seconds(), "stdout-MB/s")
			b.ReportMetric(float64(peak)/(1<<20), "heap-peak-MiB")
		})
	}
}
