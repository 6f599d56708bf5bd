package db

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestJobs_claimTakesEachDueJobOnceWithLease(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var due, later Job
	err := d.InTx(ctx, func(tx *Queries) error {
		var err error
		due, err = tx.InsertJob(ctx, NewJob{Kind: "k", MaxAttempts: 2, RunAt: t0, CreatedAt: t0})
		if err != nil {
			return err
		}
		later, err = tx.InsertJob(ctx, NewJob{Kind: "k", MaxAttempts: 2, RunAt: t0.Add(time.Minute), CreatedAt: t0})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !due.RunAt.Equal(t0) || !due.CreatedAt.Equal(t0) || string(due.Args) != "{}" {
		t.Fatalf("inserted job = %+v", due)
	}
	claim := func(now time.Time, kinds ...string) (Job, error) {
		var j Job
		err := d.InTx(ctx, func(tx *Queries) error {
			var err error
			j, err = tx.ClaimJob(ctx, kinds, "w1", now, now.Add(30*time.Second))
			return err
		})
		return j, err
	}
	if _, err := claim(t0, "other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim of another kind: err = %v, want ErrNotFound", err)
	}
	j, err := claim(t0, "k")
	if err != nil {
		t.Fatal(err)
	}
	if j.ID != due.ID || j.State != JobRunning || j.Attempt != 1 || j.LockedUntil == nil ||
		!j.LockedUntil.Equal(t0.Add(30*time.Second)) || j.StartedAt == nil || !j.StartedAt.Equal(t0) {
		t.Fatalf("claimed %+v", j)
	}
	if _, err := claim(t0.Add(29*time.Second), "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second claim before the lease ran out and before the later job: err = %v", err)
	}
	// Past the lease the first job comes back (its worker died); its run_at sorts first.
	again, err := claim(t0.Add(90*time.Second), "k")
	if err != nil || again.ID != due.ID || again.Attempt != 2 {
		t.Fatalf("reclaim = %+v, %v; want job %d attempt 2", again, err, due.ID)
	}
	// The old attempt's writes are refused.
	err = d.InTx(ctx, func(tx *Queries) error { return tx.FinishJob(ctx, j.Lease(), JobSucceeded, "", t0) })
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("finish with a stale lease: err = %v, want ErrNotFound", err)
	}
	got, err := d.GetJob(ctx, later.ID)
	if err != nil || got.State != JobQueued {
		t.Fatalf("later job = %+v, %v", got, err)
	}
}

func TestJobs_uniqueKeyHeldOnlyWhileActive(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	ins := func() (Job, error) {
		var j Job
		err := d.InTx(ctx, func(tx *Queries) error {
			var err error
			j, err = tx.InsertJob(ctx, NewJob{Kind: "k", UniqueKey: "u", MaxAttempts: 1, RunAt: now, CreatedAt: now})
			return err
		})
		return j, err
	}
	first, err := ins()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ins(); !IsUniqueViolation(err) {
		t.Fatalf("second insert: err = %v, want a unique violation", err)
	}
	if _, err := d.ActiveJobByUniqueKey(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if err := d.InTx(ctx, func(tx *Queries) error { _, err := tx.RequestJobCancel(ctx, first.ID, now); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := ins(); err != nil {
		t.Fatalf("insert after the first was cancelled: %v", err)
	}
}

func TestJobs_workDueSaysWhetherATickHasAnythingToWrite(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	due := func(now time.Time, kinds, periodic []string) bool {
		t.Helper()
		ok, err := d.WorkDue(ctx, kinds, periodic, now)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	write := func(fn func(tx *Queries) error) {
		t.Helper()
		if err := d.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	k := []string{"k"}
	if due(t0, k, nil) {
		t.Fatal("an empty queue has work due")
	}
	write(func(tx *Queries) error {
		_, err := tx.InsertJob(ctx, NewJob{Kind: "k", MaxAttempts: 1, RunAt: t0.Add(time.Minute), CreatedAt: t0})
		return err
	})
	if due(t0, k, nil) || due(t0.Add(time.Minute), []string{"other"}, nil) {
		t.Fatal("a job not yet due, or of another kind, is work due")
	}
	if !due(t0.Add(time.Minute), k, nil) {
		t.Fatal("a due queued job is not work due")
	}
	// Claimed with one attempt: while its lease runs nothing is due; once it
	// ran out the job is to be ended, whoever polls.
	write(func(tx *Queries) error {
		_, err := tx.ClaimJob(ctx, k, "w1", t0.Add(time.Minute), t0.Add(2*time.Minute))
		return err
	})
	if due(t0.Add(90*time.Second), k, nil) {
		t.Fatal("a job under a live lease is work due")
	}
	if !due(t0.Add(2*time.Minute), []string{"other"}, nil) {
		t.Fatal("a job that ran out of lease and attempts is not work due for maintenance")
	}
	write(func(tx *Queries) error { _, err := tx.EndAbandonedJobs(ctx, t0.Add(2*time.Minute)); return err })
	if due(t0.Add(3*time.Minute), k, []string{"janitor"}) {
		t.Fatal("work due after the job ended and with no periodic row")
	}
	write(func(tx *Queries) error { return tx.RegisterPeriodic(ctx, "janitor", time.Hour, t0) })
	if !due(t0.Add(3*time.Minute), nil, []string{"janitor"}) {
		t.Fatal("a registered periodic job due is not work due")
	}
	if due(t0.Add(3*time.Minute), nil, []string{"backups"}) {
		t.Fatal("another runner's periodic job is work due")
	}
	write(func(tx *Queries) error {
		_, err := tx.TakePeriodic(ctx, "janitor", t0.Add(3*time.Minute), t0.Add(time.Hour))
		return err
	})
	if due(t0.Add(4*time.Minute), nil, []string{"janitor"}) {
		t.Fatal("a periodic job taken until later is work due")
	}
}
