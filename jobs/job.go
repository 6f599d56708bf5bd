package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"coursevault/db"
)

// Job is what a handler gets: the claimed row (ID, Kind, Attempt, Args, ...)
// and a progress reporter.
type Job struct {
	db.Job
	r    *Runner
	turn *turn

	mu          sync.Mutex
	done, total int64
	note        string
	pending     bool // progress not yet written
}

// Decode unmarshals the job's arguments into v. A job whose arguments do not
// decode cannot succeed, so the error is Permanent.
func (j *Job) Decode(v any) error {
	if err := json.Unmarshal(j.Args, v); err != nil {
		return Permanent(fmt.Errorf("the job's arguments are not valid: %w", err))
	}
	return nil
}

// Progress records that done of total units are finished, with a short note
// ("writing scores.json"). It only remembers the values: they are written to
// the row at most once per ProgressEvery and when the job ends, so calling it
// in a tight loop costs nothing. It is also where a long job lets another
// running job have its turn (see turns), so call it often.
func (j *Job) Progress(done, total int64, note string) {
	j.record(done, total, note)
	if j.turn != nil {
		j.turn.yield()
	}
}

func (j *Job) record(done, total int64, note string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.done, j.total, j.note, j.pending = done, total, note, true
}

func (j *Job) dirty() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.pending
}

// flush writes pending progress inside tx.
func (j *Job) flush(ctx context.Context, tx *db.Queries) error {
	j.mu.Lock()
	done, total, note, pending := j.done, j.total, j.note, j.pending
	j.pending = false
	j.mu.Unlock()
	if !pending {
		return nil
	}
	if err := tx.SetJobProgress(ctx, j.Lease(), done, total, note); err != nil {
		j.mu.Lock()
		j.pending = true // try again next time
		j.mu.Unlock()
		return err
	}
	return nil
}

// EnqueueOptions are a job's options.
type EnqueueOptions struct {
	// UniqueKey, if set, makes a second Enqueue with the same key return the
	// job already queued or running instead of adding another, e.g.
	// "archive:course=7:stdout=1".
	UniqueKey string
	// RunAt delays the job; zero means now.
	RunAt time.Time
	// MaxAttempts bounds the attempts (DefaultMaxAttempts when 0).
	MaxAttempts int
	// Now is the current time (time.Now when zero). Runner.Enqueue sets it
	// from the runner's clock.
	Now time.Time
}

// Enqueue adds a job of kind with args (marshalled to JSON) inside tx, the
// caller's transaction, so it commits with the caller's other writes or not at
// all. With a UniqueKey held by a queued or running job it returns that job
// and existing=true. The worker notices the job at its next tick; in the
// process that runs the worker, use Runner.Enqueue, which also wakes it.
func Enqueue(ctx context.Context, tx *db.Queries, kind string, args any, opts EnqueueOptions) (j db.Job, existing bool, err error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if opts.UniqueKey != "" {
		j, err := tx.ActiveJobByUniqueKey(ctx, opts.UniqueKey)
		if err == nil {
			return j, true, nil
		}
		if !errors.Is(err, db.ErrNotFound) {
			return db.Job{}, false, fmt.Errorf("jobs: enqueue %s: %w", kind, err)
		}
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return db.Job{}, false, fmt.Errorf("jobs: enqueue %s: arguments: %w", kind, err)
	}
	if args == nil {
		raw = json.RawMessage("{}")
	}
	runAt := opts.RunAt
	if runAt.IsZero() {
		runAt = now
	}
	maxAttempts := opts.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	j, err = tx.InsertJob(ctx, db.NewJob{
		Kind: kind, Args: raw, UniqueKey: opts.UniqueKey,
		MaxAttempts: maxAttempts, RunAt: runAt, CreatedAt: now,
	})
	if err != nil {
		return db.Job{}, false, fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	if err := tx.NotifyJobs(ctx); err != nil {
		return db.Job{}, false, fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	return j, false, nil
}
