package jobs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coursevault/db"
)

// childDBEnv, when set, makes the test binary run runChildWorker on that
// database file instead of the tests.
const childDBEnv = "COURSEVAULT_JOBS_TEST_CHILD_DB"

// runChildWorker is the worker process of the crash test: it runs the
// "crashable" job, says so on stdout, and hangs until it is killed.
func runChildWorker(path string) {
	ctx := context.Background()
	d, err := db.OpenURL(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r := New(d, Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)), Retention: -1})
	r.Handle("crashable", func(ctx context.Context, j *Job) error {
		j.Progress(1, 2, "half way")
		fmt.Printf("started %d %d\n", j.ID, j.Attempt)
		select {} // killed here
	})
	r.Start(ctx)
	select {}
}

func TestRunner_jobOfAKilledWorkerProcessCompletesInAnotherProcess(t *testing.T) {
	d, path := openTest(t)
	j, _, err := func() (db.Job, bool, error) {
		var j db.Job
		var existing bool
		err := d.InTx(context.Background(), func(tx *db.Queries) error {
			var err error
			j, existing, err = Enqueue(context.Background(), tx, "crashable", map[string]string{"course": "7"}, EnqueueOptions{})
			return err
		})
		return j, existing, err
	}()
	if err != nil {
		t.Fatal(err)
	}

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childDBEnv+"="+path)
	var stderr strings.Builder
	child.Stderr = &stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
	}()
	if line := recv(t, lines, "the child to start the job"); line != fmt.Sprintf("started %d 1", j.ID) {
		t.Fatalf("child said %q; stderr:\n%s", line, stderr.String())
	}
	if err := child.Process.Signal(os.Kill); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	child.Wait()

	mid := getJob(t, d, j.ID)
	if mid.State != db.JobRunning || mid.Attempt != 1 || !strings.Contains(mid.LockedBy, fmt.Sprintf(":%d:", child.Process.Pid)) {
		t.Fatalf("after the kill: %s attempt %d locked by %q", mid.State, mid.Attempt, mid.LockedBy)
	}
	// Another process on the same file, once the dead worker's lease ran out.
	clock := NewFakeClock(mid.LockedUntil.Add(time.Second))
	r, _ := newRunner(t, reopen(t, path), Options{Clock: clock, Retention: -1})
	var args map[string]string
	r.Handle("crashable", func(ctx context.Context, j *Job) error { return j.Decode(&args) })
	drain(t, r)
	got := getJob(t, d, j.ID)
	if got.State != db.JobSucceeded || got.Attempt != 2 || args["course"] != "7" {
		t.Fatalf("after recovery: %s attempt %d args %v (error %q)", got.State, got.Attempt, args, got.LastError)
	}
}

func TestRunner_eachJobRunsOncePerAttemptWithManyWorkers(t *testing.T) {
	const jobs = 400
	d, path := openTest(t)
	// Two processes (two handles on the file), two runners each, four workers each.
	var runners []*Runner
	var recs []*logRecorder
	var counts [jobs + 1]atomic.Int32
	var finished atomic.Int32
	all := make(chan struct{})
	for i := range 4 {
		h := d
		if i >= 2 {
			h = reopen(t, path)
		}
		r, rec := newRunner(t, h, Options{Workers: 4, PollInterval: 5 * time.Millisecond, Clock: systemClock{}, Retention: -1})
		r.Handle("count", func(ctx context.Context, j *Job) error {
			var a struct{ N int }
			if err := j.Decode(&a); err != nil {
				return err
			}
			counts[a.N].Add(1)
			if finished.Add(1) == jobs {
				close(all)
			}
			return nil
		})
		runners, recs = append(runners, r), append(recs, rec)
	}
	for _, r := range runners {
		r.Start(context.Background())
	}
	// Enqueue from both processes while the runners already claim.
	var wg sync.WaitGroup
	for n := 1; n <= jobs; n++ {
		wg.Go(func() {
			r := runners[n%len(runners)]
			err := r.d.InTx(context.Background(), func(tx *db.Queries) error {
				_, _, err := r.Enqueue(context.Background(), tx, "count", map[string]int{"N": n}, EnqueueOptions{})
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	recv(t, all, "all jobs to run")
	for _, r := range runners {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for n := 1; n <= jobs; n++ {
		if c := counts[n].Load(); c != 1 {
			t.Errorf("job N=%d ran %d times", n, c)
		}
	}
	js, err := d.ListJobs(context.Background(), "", jobs+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != jobs {
		t.Fatalf("%d jobs in the table, want %d", len(js), jobs)
	}
	for _, j := range js {
		if j.State != db.JobSucceeded || j.Attempt != 1 {
			t.Errorf("job %d: %s attempt %d", j.ID, j.State, j.Attempt)
		}
	}
	for _, rec := range recs {
		if errs := rec.errors(); len(errs) > 0 {
			t.Errorf("runner logged errors: %v", errs)
		}
	}
}

// Web requests write (sessions, audit, export rows) while jobs run and report
// progress, and the CLI writes from another process: nobody sees SQLITE_BUSY.
func TestRunner_webLikeWritesBesideRunningJobsNeverSeeALockedDatabase(t *testing.T) {
	d, path := openTest(t)
	cli := reopen(t, path)
	r, rec := newRunner(t, d, Options{Workers: 2, PollInterval: 5 * time.Millisecond, ProgressEvery: time.Millisecond, Lease: 3 * time.Second, Heartbeat: 5 * time.Millisecond, Clock: systemClock{}, Retention: -1})
	const jobs = 40
	var finished atomic.Int32
	all := make(chan struct{})
	r.Handle("work", func(ctx context.Context, j *Job) error {
		for i := range int64(200) {
			j.Progress(i, 200, "rows")
			if i%50 == 0 {
				time.Sleep(time.Millisecond) // let progress and heartbeats interleave
			}
		}
		if finished.Add(1) == jobs {
			close(all)
		}
		return nil
	})
	r.Start(context.Background())

	stop := make(chan struct{})
	errs := make(chan error, 100)
	var wg sync.WaitGroup
	for w := range 4 { // web requests: write transactions and reads on the same handle
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := d.InTx(context.Background(), func(tx *db.Queries) error {
					_, err := tx.InsertJob(context.Background(), db.NewJob{Kind: "web-note", Args: []byte(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)), MaxAttempts: 1, RunAt: time.Now(), CreatedAt: time.Now()})
					return err
				})
				if err == nil {
					_, err = d.ListJobs(context.Background(), db.JobRunning, 10)
				}
				if err != nil {
					errs <- err
					return
				}
				time.Sleep(5 * time.Millisecond) // pace: ~200 writes/s per goroutine, 800/s in all
			}
		})
	}
	wg.Go(func() { // the CLI enqueueing from another process
		for n := range jobs {
			err := cli.InTx(context.Background(), func(tx *db.Queries) error {
				_, _, err := Enqueue(context.Background(), tx, "work", nil, EnqueueOptions{})
				return err
			})
			if err != nil {
				errs <- fmt.Errorf("cli enqueue %d: %w", n, err)
				return
			}
		}
	})
	recv(t, all, "all jobs to run")
	close(stop)
	wg.Wait()
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if errs := rec.errors(); len(errs) > 0 {
		t.Errorf("runner logged errors: %v", errs)
	}
	js, err := d.ListJobs(context.Background(), db.JobSucceeded, 1000)
	if err != nil || len(js) != jobs {
		t.Fatalf("%d succeeded jobs, %v; want %d", len(js), err, jobs)
	}
}
