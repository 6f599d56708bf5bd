package archive

import (
	"archive/zip"
	"compress/flate"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/demo"
	"coursevault/jobs/probe"
)

// benchDB returns a demo database of one course with students × assignments
// × 2 submissions and 4 KiB of stdout per submission. It is generated once
// and kept in the temp dir (ARCHIVE_BENCH_DIR to choose), since the demo
// takes longer to write than the archive to read.
func benchDB(b *testing.B, students, assignments int) *db.DB {
	b.Helper()
	dir := os.Getenv("ARCHIVE_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "coursevault-archive-bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("demo-%dx%d.db", students, assignments))
	ctx := context.Background()
	_, statErr := os.Stat(path)
	d, err := db.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	if statErr != nil {
		o := demo.Defaults()
		o.Courses, o.Students, o.Assignments, o.SubmissionsPerStudent, o.StdoutBytes, o.StaticFiles = 1, students, assignments, 2, 4<<10, 0
		start := time.Now()
		sum, err := demo.Generate(ctx, d, o)
		if err != nil {
			os.Remove(path)
			b.Fatal(err)
		}
		b.Logf("generated %s in %v: %s", path, time.Since(start).Round(time.Second), sum)
	}
	return d
}

// countWriter counts the archive's bytes and drops them.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkWrite archives a large course. MB/s is uncompressed content (what
// the manifest lists) per second; heap-peak-MiB must stay flat as the course
// grows four times. Run with:
//
//	go test ./jobs/archive -run '^$' -bench Write -benchtime 1x
func BenchmarkWrite(b *testing.B) {
	for _, size := range []struct{ students, assignments int }{{250, 20}, {1000, 20}} {
		d := benchDB(b, size.students, size.assignments)
		for _, mode := range []struct {
			name   string
			stdout bool
			method uint16
			level  int
		}{
			{"stdout/store", true, zip.Store, 0},
			{"stdout/deflate-1", true, zip.Deflate, flate.BestSpeed},
			{"stdout/deflate-6", true, zip.Deflate, flate.DefaultCompression},
			{"nostdout/deflate-1", false, zip.Deflate, flate.BestSpeed},
		} {
			b.Run(fmt.Sprintf("%dx%dx2/%s", size.students, size.assignments, mode.name), func(b *testing.B) {
				dataMethod, compressLevel = mode.method, mode.level
				defer func() { dataMethod, compressLevel = zip.Deflate, flate.BestSpeed }()
				b.ReportAllocs()
				ctx := context.Background()
				var content, archived, rows int64
				stop := probe.HeapPeak()
				start, cpuStart := time.Now(), probe.CPUTime()
				for b.Loop() {
					var cw countWriter
					err := d.ReadTx(ctx, func(tx *db.Queries) error {
						m, err := Write(ctx, &cw, Source{Q: tx, CourseID: 1}, Options{IncludeStdout: mode.stdout}, nil)
						content, rows = 0, 0
						for _, e := range m.Entries {
							content += e.Bytes
							rows += e.Rows
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
					archived = cw.n
				}
				elapsed := time.Since(start).Seconds() / float64(b.N)
				cpu := (probe.CPUTime() - cpuStart).Seconds() / float64(b.N)
				peak := stop()
				b.ReportMetric(float64(content)/1e6/cpu, "MB/cpu-s")
				b.ReportMetric(float64(content)/1e6/elapsed, "MB/s")
				b.ReportMetric(float64(rows)/elapsed, "rows/s")
				b.ReportMetric(float64(archived)/1e6, "zip-MB")
				b.ReportMetric(float64(content)/1e6, "content-MB")
				b.ReportMetric(float64(peak)/(1<<20), "heap-peak-MiB")
			})
		}
	}
}

// BenchmarkEstimate is the Exports tab's page-load cost on a large course.
func BenchmarkEstimate(b *testing.B) {
	d := benchDB(b, 1000, 20)
	ctx := context.Background()
	b.ReportAllocs()
	var e SizeEstimate
	for b.Loop() {
		var err error
		if e, err = Estimate(ctx, d.Queries, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(e.Outputs), "outputs")
	b.ReportMetric(float64(e.StdoutBytes)/1e6, "stdout-MB")
}

// BenchmarkVerify reads back a large archive with stdout.
func BenchmarkVerify(b *testing.B) {
	d := benchDB(b, 1000, 20)
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "a.zip")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	var m Manifest
	if err := d.ReadTx(ctx, func(tx *db.Queries) error {
		m, err = Write(ctx, f, Source{Q: tx, CourseID: 1}, Options{IncludeStdout: true}, nil)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	f.Close()
	var content int64
	for _, e := range m.Entries {
		content += e.Bytes
	}
	b.ReportAllocs()
	stop := probe.HeapPeak()
	start := time.Now()
	for b.Loop() {
		if _, err := VerifyFile(path); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(float64(content)/1e6/elapsed, "MB/s")
	b.ReportMetric(float64(stop())/(1<<20), "heap-peak-MiB")
}
