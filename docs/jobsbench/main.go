// Command jobsbench measures River (riverqueue) on PostgreSQL and on SQLite
// with the two figures coursevault's own queue reports (jobs/bench_test.go):
// enqueue → start latency of one job at a time, and no-op jobs per second
// from queued to completed with 1, 2 and 4 workers.
//
//	cd docs/jobsbench && go run . -cooldown 1ms -pg postgres://…/db -sqlite /tmp/river.db -n 2000 -lat 200
//
// With -scenario lifecycle it runs the kill, live-long-job and shutdown
// scenarios instead (lifecycle.go), with -scenario load the load test's
// pollers beside two CPU-bound jobs (load.go).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite"
)

var cooldown = flag.Duration("cooldown", river.FetchCooldownDefault, "River's FetchCooldown")

type noop struct{}

func (noop) Kind() string { return "noop" }

type worker struct {
	river.WorkerDefaults[noop]
	done func()
}

func (w *worker) Work(ctx context.Context, j *river.Job[noop]) error { w.done(); return nil }

func main() {
	pgURL := flag.String("pg", "", "PostgreSQL URL (empty: skip)")
	sqlitePath := flag.String("sqlite", "", "SQLite file (empty: skip)")
	n := flag.Int("n", 2000, "no-op jobs per throughput run")
	lat := flag.Int("lat", 200, "latency samples")
	scenario := flag.String("scenario", "throughput", "throughput (latency and no-op jobs/s), lifecycle (kill, live, shutdown) or load (pollers beside CPU-bound jobs)")
	flag.Parse()
	ctx := context.Background()
	if *pgURL != "" {
		pool, err := pgxpool.New(ctx, *pgURL)
		check(err)
		bench(ctx, *scenario, "river/postgres", riverpgxv5.New(pool), childArgs("-pg", *pgURL), *n, *lat)
	}
	if *sqlitePath != "" {
		if !*child {
			os.Remove(*sqlitePath)
		}
		db, err := sql.Open("sqlite", "file:"+*sqlitePath+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
		check(err)
		db.SetMaxOpenConns(1) // the driver's advice: SQLite takes one operation at a time
		bench(ctx, *scenario, "river/sqlite", riversqlite.New(db), childArgs("-sqlite", *sqlitePath), *n, *lat)
	}
}

// bench runs the scenario on one driver (or, with -child, the kill
// scenario's worker process).
func bench[TTx any](ctx context.Context, scenario, name string, drv riverdriver.Driver[TTx], childArgs []string, n, lat int) {
	switch {
	case *child:
		runChild(ctx, drv)
	case scenario == "lifecycle":
		migrate(ctx, drv)
		lifecycle(ctx, name, drv, childArgs)
	case scenario == "load":
		migrate(ctx, drv)
		load(ctx, name, drv)
	default:
		run(ctx, name, drv, n, lat)
	}
}

// childArgs are the flags of a kill-scenario worker process on the same database.
func childArgs(dbFlag, db string) []string {
	return []string{"-child", dbFlag, db, "-rescue", rescueAfter.String(), "-timeout", jobTimeout.String(), "-cooldown", cooldown.String()}
}

func migrate[TTx any](ctx context.Context, drv riverdriver.Driver[TTx]) {
	m, err := rivermigrate.New(drv, nil)
	check(err)
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	check(err)
}

func run[TTx any](ctx context.Context, name string, drv riverdriver.Driver[TTx], n, lat int) {
	migrate(ctx, drv)

	// Latency: one job at a time, defaults (FetchCooldown 100 ms, poll 1 s).
	var started chan time.Time
	w := &worker{done: func() { started <- time.Now() }}
	started = make(chan time.Time, 1)
	c := client(drv, w, 1)
	check(c.Start(ctx))
	time.Sleep(500 * time.Millisecond)
	var ls []time.Duration
	for range lat {
		t := time.Now()
		_, err := c.Insert(ctx, noop{}, nil)
		check(err)
		ls = append(ls, (<-started).Sub(t))
	}
	check(c.Stop(ctx))
	slices.Sort(ls)
	fmt.Printf("%s enqueue→start: p50 %.1f ms, p99 %.1f ms (%d samples)\n", name, ms(ls[len(ls)/2]), ms(ls[len(ls)*99/100]), len(ls))

	for _, workers := range []int{1, 2, 4} {
		var ran atomic.Int64
		all := make(chan struct{})
		w := &worker{done: func() {
			if ran.Add(1) == int64(n) {
				close(all)
			}
		}}
		params := make([]river.InsertManyParams, n)
		for i := range params {
			params[i] = river.InsertManyParams{Args: noop{}}
		}
		c := client(drv, w, workers)
		_, err := c.InsertMany(ctx, params)
		check(err)
		t := time.Now()
		check(c.Start(ctx))
		<-all
		el := time.Since(t)
		check(c.Stop(ctx))
		fmt.Printf("%s no-op throughput, workers=%d: %.0f jobs/s (%d jobs in %s)\n", name, workers, float64(n)/el.Seconds(), n, el.Round(time.Millisecond))
	}
}

func client[TTx any](drv riverdriver.Driver[TTx], w *worker, workers int) *river.Client[TTx] {
	ws := river.NewWorkers()
	river.AddWorker(ws, w)
	c, err := river.NewClient(drv, &river.Config{
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		// The default 100 ms cooldown caps a queue at one fetch per 100 ms:
		// with one or two workers, 10 or 20 jobs/s. -cooldown lowers it.
		FetchCooldown: *cooldown,
		Workers:       ws,
		Logger:        nil,
	})
	check(err)
	return c
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
