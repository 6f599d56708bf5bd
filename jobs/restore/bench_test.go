package restore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"coursevault/jobs/probe"
)

// BenchmarkImport imports a large course (300 students × 20 assignments × 2
// submissions, 4 KiB of stdout each, as in the load test) while another
// goroutine commits a one-row write every 10 ms, as web requests and job
// heartbeats do. It reports the import's rows/s and how long those writes
// waited for the single writer connection (p50, max).
//
//	go test ./jobs/restore -run '^$' -bench Import -benchtime 3x
func BenchmarkImport(b *testing.B) {
	o := tinyDemo()
	o.Students, o.Assignments, o.SubmissionsPerStudent, o.StdoutBytes = 300, 20, 2, 4<<10
	archive := demoInstance(b, o).export(b, coursePeriods)
	ctx := context.Background()
	var rows int64
	var waits []time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		dst := freshInstance(b)
		stop := probe.Writes(ctx, dst.d, "bench.write")
		b.StartTimer()
		res, err := dst.importArchive(archive, Options{Code: fmt.Sprint("BENCH", i)})
		b.StopTimer()
		w, werr := stop()
		waits = append(waits, w...)
		if err != nil || werr != nil {
			b.Fatal(err, werr)
		}
		rows += res.Submissions + res.BuildResults + res.TestResults + res.Scores + res.Members
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	slices.Sort(waits)
	if len(waits) > 0 {
		b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "write-wait-p50-ms")
		b.ReportMetric(float64(waits[len(waits)-1].Microseconds())/1000, "write-wait-max-ms")
	}
}
