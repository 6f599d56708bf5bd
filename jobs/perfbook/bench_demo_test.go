package perfbook

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"coursevault/db"
)

// BenchmarkLoadDemo loads course 1 of the bookbench's 5,000 × 100 demo
// (COURSEVAULT_BOOK_DATA=<data dir>, see bookbench_test.go) in a read
// transaction, as the book page does after the course changed, and reports
// the CPU time of a load (user and system, garbage collection included),
// which a busy machine stretches less than the wall time.
func BenchmarkLoadDemo(b *testing.B) {
	data := os.Getenv("COURSEVAULT_BOOK_DATA")
	if data == "" {
		b.Skip("set COURSEVAULT_BOOK_DATA to the data dir of `coursevault demo --courses 1 --students 5000 --assignments 100 --submissions 1`")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "coursevault.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ReportAllocs()
	start := cpu()
	for b.Loop() {
		err := d.ReadTx(ctx, func(tx *db.Queries) error {
			_, err := Load(ctx, tx, 1)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpu()-start).Milliseconds())/float64(b.N), "ms-cpu/op")
}
