package main

// The load scenario: our load test (TestLoad_pollersWhileExportsRun) has
// 200 clients poll an export's row every 2 s for 30 s while two archives run.
// Here 200 goroutines poll a River job's row (JobGet, what a page showing
// its progress would read) on the same rhythm while two jobs burn a core
// each, hashing, as an archive's compression does.

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

var (
	pollers  = flag.Int("pollers", 200, "load scenario: clients polling a job's row")
	pollFor  = flag.Duration("poll-for", 30*time.Second, "load scenario: how long they poll")
	pollEach = flag.Duration("poll-pause", 2*time.Second, "load scenario: each client's pause between polls")
)

// burn stands in for an archive: CPU-bound until its time is up.
type burn struct {
	Seconds float64 `json:"seconds"`
}

func (burn) Kind() string { return "burn" }

type burnWorker struct{ river.WorkerDefaults[burn] }

func (burnWorker) Work(ctx context.Context, j *river.Job[burn]) error {
	buf := make([]byte, 1<<20)
	end := time.Now().Add(time.Duration(j.Args.Seconds * float64(time.Second)))
	for time.Now().Before(end) && ctx.Err() == nil {
		sum := sha256.Sum256(buf)
		buf[0] = sum[0]
	}
	return ctx.Err()
}

func load[TTx any](ctx context.Context, name string, drv riverdriver.Driver[TTx]) {
	ws := river.NewWorkers()
	river.AddWorker(ws, burnWorker{})
	c, err := river.NewClient(drv, &river.Config{
		Queues:        map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		FetchCooldown: *cooldown,
		JobTimeout:    -1,
		Workers:       ws,
	})
	check(err)
	check(c.Start(ctx))
	var ids []int64
	for range 2 {
		res, err := c.Insert(ctx, burn{Seconds: (*pollFor + 5*time.Second).Seconds()}, nil)
		check(err)
		ids = append(ids, res.Job.ID)
	}
	time.Sleep(time.Second) // both under way

	var mu sync.Mutex
	var lat []time.Duration
	var failed int
	var wg sync.WaitGroup
	end := time.Now().Add(*pollFor)
	for i := range *pollers {
		wg.Go(func() {
			// Spread the clients over the pause, as the load test does.
			time.Sleep(time.Duration(i) * *pollEach / time.Duration(*pollers))
			var mine []time.Duration
			bad := 0
			for time.Now().Before(end) {
				t := time.Now()
				if _, err := c.JobGet(ctx, ids[i%len(ids)]); err != nil {
					bad++
				} else {
					mine = append(mine, time.Since(t))
				}
				time.Sleep(*pollEach)
			}
			mu.Lock()
			lat, failed = append(lat, mine...), failed+bad
			mu.Unlock()
		})
	}
	wg.Wait()
	check(c.StopAndCancel(ctx))
	slices.Sort(lat)
	q := func(p float64) float64 { return ms(lat[min(len(lat)-1, int(p*float64(len(lat))))]) }
	fmt.Printf("%s load: %d clients polling a job row every %s for %s while 2 jobs burn CPU: n=%d p50=%.2f ms p90=%.2f ms p99=%.2f ms max=%.2f ms, %d failed\n",
		name, *pollers, *pollEach, *pollFor, len(lat), q(0.5), q(0.9), q(0.99), ms(lat[len(lat)-1]), failed)
}
