package jobs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"coursevault/db"
)

// BenchmarkEnqueueToStart measures the time from the start of the enqueueing
// transaction to the handler starting: with the in-process wake-up
// (Runner.Enqueue), and with the ticker alone (package Enqueue, as the CLI
// does), at the default 1 s poll interval.
func BenchmarkEnqueueToStart(b *testing.B) {
	for _, mode := range []string{"wake", "ticker"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			d, _ := openTest(b)
			r, _ := newRunner(b, d, Options{Clock: systemClock{}, Retention: -1})
			started := make(chan time.Time, 1)
			r.Handle("noop", func(context.Context, *Job) error { started <- time.Now(); return nil })
			r.Start(context.Background())
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				if mode == "ticker" {
					// Enqueue at a random phase of the ticker, as a CLI would.
					b.StopTimer()
					time.Sleep(rand.N(r.opts.PollInterval))
					b.StartTimer()
				}
				t := time.Now()
				err := d.InTx(ctx, func(tx *db.Queries) error {
					var err error
					if mode == "wake" {
						_, _, err = r.Enqueue(ctx, tx, "noop", nil, EnqueueOptions{})
					} else {
						_, _, err = Enqueue(ctx, tx, "noop", nil, EnqueueOptions{})
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, (<-started).Sub(t))
			}
			b.StopTimer()
			slices.Sort(lat)
			ms := func(q float64) float64 {
				return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

// BenchmarkNoopThroughput measures jobs run per second, from queued to
// recorded as succeeded, with the shipped durability (WAL, synchronous=NORMAL).
func BenchmarkNoopThroughput(b *testing.B) {
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			d, _ := openTest(b)
			r, _ := newRunner(b, d, Options{Workers: workers, Clock: systemClock{}, Retention: -1})
			var ran atomic.Int64
			all := make(chan struct{})
			n := int64(b.N)
			r.Handle("noop", func(context.Context, *Job) error {
				if ran.Add(1) == n {
					close(all)
				}
				return nil
			})
			ctx := context.Background()
			for i := 0; i < b.N; i += 1000 {
				err := d.InTx(ctx, func(tx *db.Queries) error {
					for range min(1000, b.N-i) {
						if _, _, err := Enqueue(ctx, tx, "noop", nil, EnqueueOptions{}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			r.Start(ctx)
			<-all
			if err := r.Shutdown(ctx); err != nil { // waits for the last outcomes to be written
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "jobs/s")
			b.StopTimer()
			if js, err := d.ListJobs(ctx, db.JobSucceeded, b.N+1); err != nil || len(js) != b.N {
				b.Fatalf("%d succeeded, %v; want %d", len(js), err, b.N)
			}
		})
	}
}
