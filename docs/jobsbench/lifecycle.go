package main

// The scenarios coursevault's kill and shutdown tests put its own queue
// through (TestKill_exportSurvivesSIGKILL, the runner's shutdown tests), run
// on River with a long job standing in for an export:
//
//   - kill: the process running the job is SIGKILLed; a second process (a
//     fresh River client) is started at once. How long until the job runs
//     again, and is it run once?
//   - live: a job that legitimately runs longer than JobTimeout or
//     RescueStuckJobsAfter on a live worker. Is it cut off, or started a
//     second time while the first still runs?
//   - shutdown: the client is stopped (StopAndCancel) while the job runs.
//     What state is the job left in, and when does a new client run it?

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

var (
	rescueAfter = flag.Duration("rescue", 20*time.Second, "River's RescueStuckJobsAfter in the lifecycle scenarios")
	jobTimeout  = flag.Duration("timeout", -1, "River's JobTimeout in the lifecycle scenarios (-1ns: none; River's default is 1 min)")
	jobLength   = flag.Duration("job", 45*time.Second, "how long the stand-in export works in the kill and shutdown scenarios")
	liveLength  = flag.Duration("live-job", 0, "how long it works in the live scenario (0: -job)")
	child       = flag.Bool("child", false, "internal: run a River client until killed (the kill scenario's worker process)")
)

// long stands in for an export: it works for a while, watching its context.
type long struct {
	Seconds float64 `json:"seconds"`
}

func (long) Kind() string { return "long" }

type longWorker struct {
	river.WorkerDefaults[long]
	started func(attempt int)
}

func (w *longWorker) Work(ctx context.Context, j *river.Job[long]) error {
	w.started(j.Attempt)
	select {
	case <-time.After(time.Duration(j.Args.Seconds * float64(time.Second))):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// longClient is a River client configured for a long export: a job
// timeout (River's default cancels a job after a minute; -1 is none) and a
// rescue threshold, which River requires to be longer than the timeout.
func longClient[TTx any](drv riverdriver.Driver[TTx], started func(int)) *river.Client[TTx] {
	ws := river.NewWorkers()
	river.AddWorker(ws, &longWorker{started: started})
	c, err := river.NewClient(drv, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		FetchCooldown:        *cooldown,
		JobTimeout:           *jobTimeout,
		RescueStuckJobsAfter: *rescueAfter,
		Workers:              ws,
	})
	check(err)
	return c
}

// runChild is the kill scenario's worker process: it prints each start and
// runs until it is killed.
func runChild[TTx any](ctx context.Context, drv riverdriver.Driver[TTx]) {
	c := longClient(drv, func(attempt int) { fmt.Printf("child %d: started attempt %d\n", os.Getpid(), attempt) })
	check(c.Start(ctx))
	<-ctx.Done()
}

func lifecycle[TTx any](ctx context.Context, name string, drv riverdriver.Driver[TTx], childArgs []string) {
	live := cmp.Or(*liveLength, *jobLength)
	fmt.Printf("%s lifecycle: JobTimeout %s, RescueStuckJobsAfter %s, stand-in export %s (live: %s)\n", name, *jobTimeout, *rescueAfter, *jobLength, live)
	insert := func(c *river.Client[TTx], length time.Duration) int64 {
		res, err := c.Insert(ctx, long{Seconds: length.Seconds()}, nil)
		check(err)
		return res.Job.ID
	}
	// An idle client, only to insert and read jobs.
	reader := longClient(drv, func(int) {})
	waitFor := func(id int64, limit time.Duration, ok func(*rivertype.JobRow) bool) (*rivertype.JobRow, bool) {
		deadline := time.Now().Add(limit)
		for {
			j, err := reader.JobGet(ctx, id)
			check(err)
			if ok(j) {
				return j, true
			}
			if time.Now().After(deadline) {
				return j, false
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	running := func(j *rivertype.JobRow) bool { return j.State == rivertype.JobStateRunning }
	completed := func(j *rivertype.JobRow) bool { return j.State == rivertype.JobStateCompleted }

	// kill
	{
		id := insert(reader, *jobLength)
		first := startChild(childArgs)
		_, ok := waitFor(id, time.Minute, running)
		if !ok {
			fmt.Printf("%s kill: the job never started\n", name)
			first.Process.Kill()
			first.Wait()
			return
		}
		killed := time.Now()
		check(first.Process.Signal(syscall.SIGKILL))
		first.Wait()
		second := startChild(childArgs)
		limit := *rescueAfter + *jobLength + 3*time.Minute
		j, ok := waitFor(id, limit, completed)
		second.Process.Kill()
		second.Wait()
		if !ok {
			fmt.Printf("%s kill: not finished %s after the kill (state %s, attempt %d)\n", name, limit, j.State, j.Attempt)
		} else {
			fmt.Printf("%s kill: finished %s after the kill, attempts %d (the job itself takes %s)\n",
				name, j.FinalizedAt.Sub(killed).Round(100*time.Millisecond), j.Attempt, *jobLength)
		}
	}

	// live
	{
		starts := make(chan time.Time, 4)
		c := longClient(drv, func(int) { starts <- time.Now() })
		check(c.Start(ctx))
		id := insert(c, live)
		t0 := <-starts
		j, _ := waitFor(id, live+2*time.Minute, completed)
		check(c.Stop(ctx))
		close(starts)
		n := 1
		var again time.Duration
		for t := range starts {
			if n == 1 {
				again = t.Sub(t0)
			}
			n++
		}
		if n > 1 {
			fmt.Printf("%s live: a job working %s on a live worker was started %d times (again after %s), state %s\n",
				name, live, n, again.Round(100*time.Millisecond), j.State)
		} else {
			fmt.Printf("%s live: started once, state %s\n", name, j.State)
		}
	}

	// shutdown
	{
		starts := make(chan int, 4)
		c := longClient(drv, func(attempt int) { starts <- attempt })
		check(c.Start(ctx))
		id := insert(c, *jobLength)
		<-starts
		time.Sleep(2 * time.Second)
		stopped := time.Now()
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.StopAndCancel(stopCtx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			check(err)
		}
		j, err := reader.JobGet(ctx, id)
		check(err)
		fmt.Printf("%s shutdown: StopAndCancel returned in %s; the job is %s (attempt %d, next try at +%s, errors %d)\n",
			name, time.Since(stopped).Round(time.Millisecond), j.State, j.Attempt,
			j.ScheduledAt.Sub(stopped).Round(100*time.Millisecond), len(j.Errors))
		c2 := longClient(drv, func(attempt int) { starts <- attempt })
		restarted := time.Now()
		check(c2.Start(ctx))
		select {
		case a := <-starts:
			fmt.Printf("%s shutdown: a new client started it %s later (attempt %d)\n", name, time.Since(restarted).Round(100*time.Millisecond), a)
		case <-time.After(2 * time.Minute):
			fmt.Printf("%s shutdown: a new client did not start it within 2 min\n", name)
		}
		check(c2.StopAndCancel(ctx))
	}
}

func startChild(args []string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	check(cmd.Start())
	return cmd
}
