package courses

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/demo"
	"coursevault/db/files"
	"coursevault/jobs/probe"
)

// BenchmarkRemove removes a large course (300 students × 20 assignments × 2
// submissions, 4 KiB of stdout each, as BenchmarkImport imports) while
// another goroutine commits a one-row write every 10 ms, as web requests and
// job heartbeats do, and reports how long those writes waited for the single
// writer (p50, max). "batched" is Remove (an assignment per transaction);
// "one-transaction" deletes the same course in one, for comparison.
//
//	go test ./jobs/courses -run '^$' -bench Remove -benchtime 2x
func BenchmarkRemove(b *testing.B) {
	for _, mode := range []string{"batched", "one-transaction"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			var waits []time.Duration
			for range b.N {
				b.StopTimer()
				dir := b.TempDir()
				d, err := db.Open(ctx, filepath.Join(dir, "coursevault.db"))
				if err != nil {
					b.Fatal(err)
				}
				fs, err := files.New(d, filepath.Join(dir, "attachments"), files.Options{})
				if err != nil {
					b.Fatal(err)
				}
				o := demo.Defaults()
				o.Courses, o.Students, o.Assignments, o.SubmissionsPerStudent, o.StdoutBytes, o.StaticFiles = 1, 300, 20, 2, 4<<10, 0
				if _, err := demo.Generate(ctx, d, o); err != nil {
					b.Fatal(err)
				}
				s := New(d, fs, nil)
				stop := probe.Writes(ctx, d, "bench.write")
				time.Sleep(30 * time.Millisecond)
				b.StartTimer()
				if mode == "batched" {
					_, err = s.Remove(ctx, 1, Actor{})
				} else {
					err = d.InTx(ctx, func(tx *db.Queries) error {
						if err := tx.HideCourseForRemoval(ctx, 1); err != nil {
							return err
						}
						_, err := tx.DeleteRemovedCourse(ctx, 1)
						return err
					})
				}
				b.StopTimer()
				time.Sleep(30 * time.Millisecond)
				w, werr := stop()
				waits = append(waits, w...)
				if n, _ := d.CountCourses(ctx); err != nil || werr != nil || n != 0 {
					b.Fatalf("removal: %v, %d courses left", err, n)
				}
				d.Close()
				b.StartTimer()
			}
			slices.Sort(waits)
			if len(waits) > 0 {
				b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "write-wait-p50-ms")
				b.ReportMetric(float64(waits[len(waits)-1].Microseconds())/1000, "write-wait-max-ms")
			}
		})
	}
}
