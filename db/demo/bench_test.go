package demo

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkGenerate measures the demo at the size issue 3 asks to finish in
// well under a minute. Run it once:
//
//	go test ./db/demo -run '^$' -bench 'Generate/1000x50x5x4KiB' -benchtime=1x
func BenchmarkGenerate(b *testing.B) {
	sizes := []struct{ students, assignments, submissions, stdout int }{
		{40, 12, 2, 2 << 10},
		{1000, 50, 5, 4 << 10},
	}
	for _, s := range sizes {
		b.Run(fmt.Sprintf("%dx%dx%dx%dKiB", s.students, s.assignments, s.submissions, s.stdout>>10), func(b *testing.B) {
			b.ReportAllocs()
			var rows, seconds float64
			var mb float64
			for b.Loop() {
				b.StopTimer()
				d, _ := openDB(b)
				opts := Defaults()
				opts.Students, opts.Assignments, opts.SubmissionsPerStudent, opts.StdoutBytes = s.students, s.assignments, s.submissions, s.stdout
				b.StartTimer()
				sum, err := Generate(context.Background(), d, opts)
				if err != nil {
					b.Fatal(err)
				}
				rows += float64(sum.Rows())
				seconds += sum.Elapsed.Seconds()
				mb += float64(sum.StdoutBytes) / 1e6
				b.Logf("%s", sum)
			}
			b.ReportMetric(seconds/float64(b.N), "s/op")
			b.ReportMetric(rows/seconds, "rows/s")
			b.ReportMetric(mb/seconds, "MB/s")
		})
	}
}
