package perfbook

import (
	"context"
	"fmt"
	"io"
	"testing"
)

// Sizes are students × assignments; the targets on a 2-core machine:
// 1000x50 under 0.25 s, 5000x100 under 1.5 s and 128 MiB.
var benchSizes = []struct{ students, assignments int }{{1000, 50}, {5000, 100}}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func BenchmarkLoad(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz.students, sz.assignments), func(b *testing.B) {
			d := openDB(b)
			s := seedCourse(b, d, largeSpec(sz.students, sz.assignments))
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := Load(ctx, d.Queries, s.courseID); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(sz.students)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz.students, sz.assignments), func(b *testing.B) {
			d := openDB(b)
			s := seedCourse(b, d, largeSpec(sz.students, sz.assignments))
			book, err := Load(context.Background(), d.Queries, s.courseID)
			if err != nil {
				b.Fatal(err)
			}
			var w countingWriter
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.n = 0
				if err := Write(&w, book, testMeta); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(sz.students)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(w.n)/(1<<20), "MB-file")
		})
	}
}

var _ io.Writer = (*countingWriter)(nil)
