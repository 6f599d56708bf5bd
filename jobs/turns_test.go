package jobs

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"coursevault/db"
)

// spin keeps a core busy for d, as encoding and compressing would.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

func TestTurns_twoLongJobsTakeTurnsAndNeverComputeTogether(t *testing.T) {
	d, _ := openTest(t)
	r, _ := newRunner(t, d, Options{Workers: 2, Computing: 1, Retention: -1})
	var computing atomic.Int32 // handlers between two Progress calls
	var overlapped atomic.Bool
	var steps [2]atomic.Int64
	r.Handle("long", func(ctx context.Context, j *Job) error {
		var a struct{ Me int }
		if err := j.Decode(&a); err != nil {
			return err
		}
		other := &steps[1-a.Me]
		// Each job goes on until the other one has also done 20 steps: without
		// turns the first would wait forever for the second to start.
		for steps[a.Me].Load() < 20 || other.Load() < 20 {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if computing.Add(1) > 1 {
				overlapped.Store(true)
			}
			spin(time.Millisecond)
			computing.Add(-1)
			n := steps[a.Me].Add(1)
			j.Progress(n, 0, "spinning")
		}
		return nil
	})
	a := enqueue(t, r, "long", map[string]int{"Me": 0}, EnqueueOptions{})
	b := enqueue(t, r, "long", map[string]int{"Me": 1}, EnqueueOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.Start(ctx)
	for _, id := range []int64{a.ID, b.ID} {
		waitFor(t, fmt.Sprintf("job %d to end", id), func() bool { return getJob(t, d, id).Finished() })
		if got := getJob(t, d, id); got.State != db.JobSucceeded {
			t.Errorf("job %d = %s (%s), want succeeded", id, got.State, got.LastError)
		}
	}
	if overlapped.Load() {
		t.Error("with Computing: 1 the two jobs computed at the same time")
	}
}

func TestTurns_aJobWaitingForItsTurnSaysSoAndCanBeCancelled(t *testing.T) {
	d, _ := openTest(t)
	r, _ := newRunner(t, d, Options{Workers: 2, Computing: 1, Retention: -1, ProgressEvery: 20 * time.Millisecond})
	release := make(chan struct{})
	holding := make(chan struct{})
	var waiterRan atomic.Bool
	r.Handle("hold", func(ctx context.Context, j *Job) error {
		close(holding)
		<-release // never calls Progress: keeps its turn
		return nil
	})
	r.Handle("wait", func(ctx context.Context, j *Job) error {
		waiterRan.Store(true)
		return nil
	})
	holder := enqueue(t, r, "hold", nil, EnqueueOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.Start(ctx)
	recv(t, holding, "the first job to start")
	waiter := enqueue(t, r, "wait", nil, EnqueueOptions{})

	waitFor(t, "the waiting job's note", func() bool {
		j := getJob(t, d, waiter.ID)
		return j.State == db.JobRunning && strings.Contains(j.Note, "Waiting for its turn")
	})
	if _, err := r.Cancel(context.Background(), waiter.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the waiting job to end", func() bool { return getJob(t, d, waiter.ID).Finished() })
	if got := getJob(t, d, waiter.ID); got.State != db.JobCancelled {
		t.Errorf("waiting job = %s, want cancelled", got.State)
	}
	if waiterRan.Load() {
		t.Error("the cancelled job's handler ran")
	}

	close(release)
	waitFor(t, "the first job to end", func() bool { return getJob(t, d, holder.ID).Finished() })
	if got := getJob(t, d, holder.ID); got.State != db.JobSucceeded {
		t.Errorf("first job = %s, want succeeded", got.State)
	}
}

// A job may hand over its turn while it holds the single writer (an import
// writes in one transaction) to a job that then waits for the writer: the
// first must go on without its turn after a while instead of deadlocking.
func TestTurns_aJobHoldingTheWriterDoesNotDeadlockWithTheJobItYieldedTo(t *testing.T) {
	d, _ := openTest(t)
	r, _ := newRunner(t, d, Options{Workers: 2, Computing: 1, Retention: -1})
	bWaiting := make(chan struct{})
	r.Handle("import", func(ctx context.Context, j *Job) error {
		recv(t, bWaiting, "the second job to be claimed")
		waitFor(t, "the second job to wait for its turn", func() bool { return r.turns.waiting.Load() > 0 })
		return d.InTx(ctx, func(tx *db.Queries) error {
			// Long enough to hand the turn over, then to need it back.
			for end := time.Now().Add(3 * turnLength); time.Now().Before(end); {
				spin(time.Millisecond)
				j.Progress(0, 0, "writing rows")
			}
			return nil
		})
	})
	r.Handle("export", func(ctx context.Context, j *Job) error {
		// Finishing an export writes (its file's row): it waits for the writer.
		return d.InTx(ctx, func(tx *db.Queries) error { return nil })
	})
	a := enqueue(t, r, "import", nil, EnqueueOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.Start(ctx)
	waitFor(t, "the first job to run", func() bool { return getJob(t, d, a.ID).State == db.JobRunning })
	b := enqueue(t, r, "export", nil, EnqueueOptions{})
	waitFor(t, "the second job to be claimed", func() bool { return getJob(t, d, b.ID).State == db.JobRunning })
	close(bWaiting)
	for _, id := range []int64{a.ID, b.ID} {
		waitFor(t, fmt.Sprintf("job %d to end", id), func() bool { return getJob(t, d, id).Finished() })
		if got := getJob(t, d, id); got.State != db.JobSucceeded {
			t.Errorf("job %d = %s (%s), want succeeded", id, got.State, got.LastError)
		}
	}
}
