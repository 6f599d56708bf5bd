// Package jobs runs coursevault's background work: a queue kept in the app's
// SQLite database and a worker inside the serve process that survives crashes.
//
// A job is a row (db.Job). Enqueue adds one inside the caller's transaction.
// A Runner claims due jobs with one atomic statement under a lease that a
// heartbeat renews; a job whose worker died is claimed again once its lease
// runs out. Failed attempts are retried with exponential backoff, panics count
// as failed attempts, and Permanent errors fail at once. Periodic jobs (Every)
// run once per interval across restarts and processes.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"coursevault/db"
)

// Handler does the work of one kind of job. It should honour ctx: it is
// cancelled when a user cancels the job (cause ErrCancelled), when the process
// shuts down (ErrShutdown) or when the lease is lost (ErrLeaseLost). A handler
// removes its own temp files before returning. Returning nil succeeds; an
// error is retried unless wrapped with Permanent or the attempts are used up.
type Handler func(ctx context.Context, j *Job) error

// Options tune a Runner. Zero values take the defaults named on each field.
type Options struct {
	Workers       int           // jobs run at once by this runner (2)
	Computing     int           // of those, how many compute at once; the others take turns (half the cores, at least 1)
	PollInterval  time.Duration // ticker that finds jobs due later or enqueued elsewhere (1 s)
	Lease         time.Duration // how long a claim lasts without a heartbeat (30 s)
	Heartbeat     time.Duration // lease renewal and cancel check (Lease/3)
	ProgressEvery time.Duration // at most one progress write per job per period (500 ms)
	ShutdownGrace time.Duration // running jobs get this long to finish on Shutdown (30 s)
	// Retention is how long finished jobs are kept before the built-in periodic
	// "jobs.prune" deletes them (7 days, as long as a default export file
	// lives); negative keeps them forever.
	Retention time.Duration
	// Backoff is the wait before retrying after failed attempt n (DefaultBackoff).
	Backoff func(attempt int) time.Duration
	Clock   Clock        // the time written into rows (real time, UTC)
	Logger  *slog.Logger // slog.Default()
}

// DefaultMaxAttempts is a job's number of attempts unless EnqueueOptions says otherwise.
const DefaultMaxAttempts = 5

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Computing <= 0 {
		o.Computing = defaultComputing()
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Heartbeat <= 0 || o.Heartbeat >= o.Lease {
		o.Heartbeat = o.Lease / 3
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 500 * time.Millisecond
	}
	o.ProgressEvery = min(o.ProgressEvery, o.Heartbeat)
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 30 * time.Second
	}
	if o.Retention == 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Runner claims and runs jobs. Register handlers and periodic jobs, then Start
// it (or drive it with RunOnce/Drain in tests), and Shutdown at the end.
type Runner struct {
	d      *db.DB
	opts   Options
	log    *slog.Logger
	worker string // locked_by of this runner's claims

	handlers   map[string]Handler
	onFail     map[string]FailHook
	periodic   []periodicJob
	kinds      []string    // what this runner claims: the handlers' kinds, sorted
	registered atomic.Bool // periodic rows written (first maintain)

	wake  chan struct{} // buffered 1: a pending wake-up
	slots chan struct{} // one token per running job, capacity Workers
	turns *turns        // which running jobs compute now

	mu       sync.Mutex
	started  bool
	running  map[int64]context.CancelCauseFunc // this runner's jobs in flight
	wg       sync.WaitGroup                    // jobs in flight
	stopLoop context.CancelFunc
	loopDone chan struct{}
}

type periodicJob struct {
	name     string
	interval time.Duration
}

// periodicPrefix starts the kind of a periodic job's runs.
const periodicPrefix = "periodic:"

// New returns a runner on d. It already knows the periodic job "jobs.prune",
// which deletes jobs finished longer ago than Options.Retention, hourly.
func New(d *db.DB, opts Options) *Runner {
	opts = opts.withDefaults()
	r := &Runner{
		d:        d,
		opts:     opts,
		log:      opts.Logger.With("component", "jobs"),
		worker:   workerID(),
		handlers: map[string]Handler{},
		onFail:   map[string]FailHook{},
		wake:     make(chan struct{}, 1),
		slots:    make(chan struct{}, opts.Workers),
		turns:    newTurns(opts.Computing, turnLength),
		running:  map[int64]context.CancelCauseFunc{},
	}
	if opts.Retention > 0 {
		r.Every("jobs.prune", time.Hour, func(ctx context.Context) error {
			n, err := r.prune(ctx)
			if n > 0 {
				r.log.Info("pruned finished jobs", "count", n)
			}
			return err
		})
	}
	return r
}

// workerID names this process in locked_by, so a stuck lease can be traced.
func workerID() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Handle registers h for jobs of kind. Call before Start.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		panic("jobs: Handle after Start")
	}
	if _, dup := r.handlers[kind]; dup {
		panic("jobs: two handlers for kind " + kind)
	}
	r.handlers[kind] = h
	r.kinds = append(r.kinds, kind)
	slices.Sort(r.kinds)
}

// FailHook runs inside the transaction that records a job as failed for good
// (a Permanent error, its last attempt failed, or its worker died on the last
// attempt), with the reason the row keeps. What it writes commits with the
// failure, so it happens once however the process stops. An error it returns
// is logged; it never keeps the failure from being recorded.
type FailHook func(ctx context.Context, tx *db.Queries, j db.Job, reason string) error

// OnFail registers fn to run when a job of kind fails for good. Call before Start.
func (r *Runner) OnFail(kind string, fn FailHook) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		panic("jobs: OnFail after Start")
	}
	r.onFail[kind] = fn
}

// failed runs the kind's FailHook, if any, logging its error.
func (r *Runner) failed(ctx context.Context, tx *db.Queries, j db.Job, reason string) {
	if fn := r.onFail[j.Kind]; fn != nil {
		if err := tx.Guard(ctx, func() error { return fn(ctx, tx, j, reason) }); err != nil {
			r.log.Error("after a job failed", "job", j.ID, "kind", j.Kind, "err", err)
		}
	}
}

// Every registers fn to run once per interval, as a job of kind
// "periodic:<name>". The schedule is kept in the database, so a restart does
// not run it again early and several processes do not run it twice; the first
// run is due as soon as a runner with it starts. A run that fails is retried
// like any job (3 attempts); a run still going when the next is due makes
// that next one skip. Call before Start.
func (r *Runner) Every(name string, interval time.Duration, fn func(ctx context.Context) error) {
	if interval <= 0 {
		panic("jobs: Every " + name + " needs a positive interval")
	}
	r.Handle(periodicPrefix+name, func(ctx context.Context, _ *Job) error { return fn(ctx) })
	r.mu.Lock()
	r.periodic = append(r.periodic, periodicJob{name: name, interval: interval})
	r.mu.Unlock()
}

// Enqueue adds a job inside tx, like the package function Enqueue, with the
// runner's clock, and wakes the runner so the job starts at once. Waking
// before tx commits is safe: the claim needs the single writer connection,
// which tx holds until it commits, so the claim sees the committed job (or
// nothing, after a rollback). Use this, not the package function, in the
// process that runs the worker.
func (r *Runner) Enqueue(ctx context.Context, tx *db.Queries, kind string, args any, opts EnqueueOptions) (db.Job, bool, error) {
	if opts.Now.IsZero() {
		opts.Now = r.opts.Clock.Now()
	}
	j, existing, err := Enqueue(ctx, tx, kind, args, opts)
	if err == nil && !existing {
		r.Wake()
	}
	return j, existing, err
}

// Wake makes the runner look for due jobs now instead of at its next tick.
// It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Start runs the claim loop in the background until Shutdown.
func (r *Runner) Start(ctx context.Context) {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		panic("jobs: Start called twice")
	}
	r.started = true
	ctx, r.stopLoop = context.WithCancel(ctx)
	r.loopDone = make(chan struct{})
	r.mu.Unlock()
	go r.loop(ctx)
	// On PostgreSQL a job queued by any process wakes this runner at once.
	go r.d.ListenJobs(ctx, r.Wake, func(err error) {
		r.log.Warn("job wake-ups from other processes paused; polling meanwhile", "err", err)
	})
}

func (r *Runner) loop(ctx context.Context) {
	defer close(r.loopDone)
	tick := time.NewTicker(r.opts.PollInterval)
	defer tick.Stop()
	r.maintain(ctx)
	r.fill(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if !r.workDue(ctx) {
				continue
			}
			r.maintain(ctx)
			r.fill(ctx)
		case <-r.wake:
			r.fill(ctx)
		}
	}
}

// workDue reports whether a tick has anything to write. Until the periodic
// rows are registered, and when the read fails, it says yes: the tick's own
// transactions then find out.
func (r *Runner) workDue(ctx context.Context) bool {
	if !r.registered.Load() {
		return true
	}
	names := make([]string, len(r.periodic))
	for i, p := range r.periodic {
		names[i] = p.name
	}
	due, err := r.d.WorkDue(ctx, r.kinds, names, r.opts.Clock.Now())
	return due || err != nil
}

// fill claims due jobs while a worker slot is free, running each in its own goroutine.
func (r *Runner) fill(ctx context.Context) {
	for ctx.Err() == nil {
		select {
		case r.slots <- struct{}{}:
		default:
			return // all workers busy; a finishing job wakes us
		}
		j, ok := r.claim(ctx)
		if !ok {
			<-r.slots
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for ok := true; ok; {
				j, ok = r.execute(j, ctx)
			}
			<-r.slots
			r.Wake() // a slot is free: more may be waiting
		}()
	}
}

// claim takes one due job; ok is false when there is none or the claim failed
// (logged: the next tick tries again).
func (r *Runner) claim(ctx context.Context) (db.Job, bool) {
	if len(r.kinds) == 0 {
		return db.Job{}, false
	}
	var j db.Job
	err := r.d.InTx(ctx, func(tx *db.Queries) error {
		now := r.opts.Clock.Now()
		var err error
		j, err = tx.ClaimJob(ctx, r.kinds, r.worker, now, now.Add(r.opts.Lease))
		return err
	})
	if errors.Is(err, db.ErrNotFound) {
		return db.Job{}, false
	}
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("claim job", "err", err)
		}
		return db.Job{}, false
	}
	return j, true
}

// maintain ends abandoned jobs and enqueues the periodic jobs that are due, in
// one transaction. Errors are logged: the next tick tries again.
func (r *Runner) maintain(ctx context.Context) {
	err := r.d.InTx(ctx, func(tx *db.Queries) error {
		now := r.opts.Clock.Now()
		if ended, err := tx.EndAbandonedJobs(ctx, now); err != nil {
			return err
		} else if len(ended) > 0 {
			r.log.Warn("ended jobs abandoned by a stopped worker", "count", len(ended))
			for _, j := range ended {
				if j.State == db.JobFailed {
					r.failed(ctx, tx, j, j.LastError)
				}
			}
		}
		if !r.registered.Load() {
			for _, p := range r.periodic {
				if err := tx.RegisterPeriodic(ctx, p.name, p.interval, now); err != nil {
					return err
				}
			}
		}
		for _, p := range r.periodic {
			won, err := tx.TakePeriodic(ctx, p.name, now, now.Add(p.interval))
			if err != nil {
				return err
			}
			if !won {
				continue
			}
			kind := periodicPrefix + p.name
			if _, _, err := Enqueue(ctx, tx, kind, nil, EnqueueOptions{UniqueKey: kind, MaxAttempts: 3, Now: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("job maintenance", "err", err)
		}
		return
	}
	r.registered.Store(true)
}

func (r *Runner) prune(ctx context.Context) (int64, error) {
	var n int64
	err := r.d.InTx(ctx, func(tx *db.Queries) error {
		var err error
		n, err = tx.PruneJobs(ctx, r.opts.Clock.Now().Add(-r.opts.Retention))
		return err
	})
	return n, err
}

// RunOnce claims one due job and runs it to the end in the calling goroutine.
// It reports whether there was a job. The job's own failure is recorded on
// its row, not returned.
func (r *Runner) RunOnce(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	j, ok := r.claim(ctx)
	if !ok {
		return false, ctx.Err()
	}
	r.wg.Add(1)
	defer r.wg.Done()
	r.execute(j, nil)
	return true, nil
}

// Drain does what one tick does (ends abandoned jobs, enqueues due periodic
// jobs), then runs due jobs one after another until none is left. With a
// FakeClock, retries scheduled in the future stay queued.
func (r *Runner) Drain(ctx context.Context) error {
	r.maintain(ctx)
	for {
		ok, err := r.RunOnce(ctx)
		if err != nil || !ok {
			return err
		}
	}
}

// Cancel cancels a queued job at once. A running job is asked to stop: at
// once if this runner runs it, else at its worker's next heartbeat; it then
// ends as cancelled. A finished job is returned unchanged.
func (r *Runner) Cancel(ctx context.Context, id int64) (db.Job, error) {
	var j db.Job
	err := r.d.InTx(ctx, func(tx *db.Queries) error {
		var err error
		j, err = tx.RequestJobCancel(ctx, id, r.opts.Clock.Now())
		return err
	})
	if err != nil {
		return db.Job{}, fmt.Errorf("jobs: cancel %d: %w", id, err)
	}
	r.mu.Lock()
	cancel := r.running[id]
	r.mu.Unlock()
	if cancel != nil {
		cancel(ErrCancelled)
	}
	return j, nil
}

// Retry queues a failed or cancelled job again, due now, with its full number
// of attempts. A job in another state is returned unchanged. ErrDuplicate if
// an identical job is queued or running meanwhile.
func (r *Runner) Retry(ctx context.Context, id int64) (db.Job, error) {
	var j db.Job
	err := r.d.InTx(ctx, func(tx *db.Queries) error {
		var err error
		j, err = tx.RequeueJob(ctx, id, r.opts.Clock.Now())
		return err
	})
	if db.IsUniqueViolation(err) {
		return db.Job{}, fmt.Errorf("jobs: retry %d: %w", id, ErrDuplicate)
	}
	if err != nil {
		return db.Job{}, fmt.Errorf("jobs: retry %d: %w", id, err)
	}
	if j.State == db.JobQueued {
		r.Wake()
	}
	return j, nil
}

// Shutdown stops claiming, lets running jobs finish for ShutdownGrace, then
// cancels them (cause ErrShutdown) and gives their jobs back to the queue
// uncounted. If ctx ends first, jobs still running are left to their lease,
// which another run recovers. Give ctx more time than ShutdownGrace.
func (r *Runner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	stop, loopDone := r.stopLoop, r.loopDone
	r.mu.Unlock()
	if stop != nil {
		stop()
		<-loopDone
	}
	idle := make(chan struct{})
	go func() { r.wg.Wait(); close(idle) }()
	grace := time.NewTimer(r.opts.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-idle:
		return nil
	case <-grace.C:
	case <-ctx.Done():
	}
	r.mu.Lock()
	for _, cancel := range r.running {
		cancel(ErrShutdown)
	}
	r.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: shutdown: jobs still running are left to their lease: %w", ctx.Err())
	}
}

// execute runs one claimed attempt: handler, heartbeat, and the row's outcome.
// Unless chain is nil or done, the transaction that records the outcome also
// claims this worker's next job, which it returns: one commit per job instead
// of two doubles the throughput of short jobs.
func (r *Runner) execute(dj db.Job, chain context.Context) (next db.Job, ok bool) {
	log := r.log.With("job", dj.ID, "kind", dj.Kind, "attempt", dj.Attempt)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	r.mu.Lock()
	r.running[dj.ID] = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, dj.ID)
		r.mu.Unlock()
	}()

	j := &Job{Job: dj, r: r, turn: &turn{t: r.turns, ctx: ctx}}
	stopBeat := make(chan struct{})
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		r.heartbeat(ctx, j, cancel, stopBeat, log)
	}()

	// The heartbeat runs while the job waits for its turn: the lease holds and
	// a cancel ends the wait.
	err := j.turn.start(func() { j.record(0, 0, "Waiting for its turn: another job is running") })
	if err == nil {
		err = r.call(ctx, j, log)
		j.turn.end()
	}
	close(stopBeat)
	<-beatDone

	// Writes about the outcome must happen even though ctx may be cancelled.
	wctx := context.WithoutCancel(ctx)
	lease := dj.Lease()
	now := r.opts.Clock.Now()
	cause := context.Cause(ctx)
	var outcome func(tx *db.Queries) error
	switch {
	case errors.Is(cause, ErrLeaseLost):
		log.Warn("job abandoned: lease lost", "err", err)
		return db.Job{}, false
	case err == nil:
		outcome = func(tx *db.Queries) error { return tx.FinishJob(wctx, lease, db.JobSucceeded, "", now) }
		log.Debug("job succeeded")
	case errors.Is(cause, ErrCancelled):
		outcome = func(tx *db.Queries) error {
			return tx.FinishJob(wctx, lease, db.JobCancelled, "Cancelled on request.", now)
		}
		log.Info("job cancelled")
	case errors.Is(cause, ErrShutdown):
		outcome = func(tx *db.Queries) error { return tx.ReleaseJob(wctx, lease, now) }
		log.Info("job released for a later run: shutting down")
	case IsPermanent(err) || dj.Attempt >= dj.MaxAttempts:
		outcome = func(tx *db.Queries) error {
			reason := userMessage(err)
			if err := tx.FinishJob(wctx, lease, db.JobFailed, reason, now); err != nil {
				return err
			}
			r.failed(wctx, tx, dj, reason)
			return nil
		}
		log.Warn("job failed", "err", err, "permanent", IsPermanent(err))
	default:
		runAt := now.Add(r.opts.Backoff(dj.Attempt))
		outcome = func(tx *db.Queries) error { return tx.RetryJobLater(wctx, lease, runAt, userMessage(err)) }
		log.Info("job attempt failed; will retry", "err", err, "run_at", runAt)
	}
	// The last progress goes with the outcome, so the row shows how far it got.
	record := func(claimNext bool) (claimErr, err error) {
		err = r.write(wctx, func(tx *db.Queries) error {
			if err := j.flush(wctx, tx); err != nil {
				return err
			}
			if err := outcome(tx); err != nil || !claimNext {
				return err
			}
			now := r.opts.Clock.Now()
			next, claimErr = tx.ClaimJob(wctx, r.kinds, r.worker, now, now.Add(r.opts.Lease))
			if claimErr == nil || errors.Is(claimErr, db.ErrNotFound) {
				return nil
			}
			return claimErr
		})
		return claimErr, err
	}
	claimErr, werr := record(chain != nil && chain.Err() == nil)
	if claimErr != nil && !errors.Is(claimErr, db.ErrNotFound) {
		log.Error("claim next job", "err", claimErr)
		claimErr, werr = record(false)
	}
	switch {
	case errors.Is(werr, db.ErrNotFound):
		log.Warn("job outcome not recorded: the lease ran out and the job was claimed again", "err", err)
	case werr != nil:
		log.Error("record job outcome", "err", werr)
	case claimErr == nil && next.ID != 0:
		return next, true
	}
	return db.Job{}, false
}

func (r *Runner) write(ctx context.Context, fn func(tx *db.Queries) error) error {
	return r.d.InTx(ctx, fn)
}

// call runs the handler, turning a panic into an error a user can read; the
// stack goes to the log.
func (r *Runner) call(ctx context.Context, j *Job, log *slog.Logger) (err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("job handler panicked", "panic", v, "stack", string(debug.Stack()))
			err = errors.New(panicMessage(v))
		}
	}()
	h := r.handlers[j.Kind]
	if h == nil { // cannot happen: only handled kinds are claimed
		return Permanent(fmt.Errorf("no handler for jobs of kind %q", j.Kind))
	}
	return h(ctx, j)
}

// heartbeat renews the lease every Heartbeat, writes throttled progress every
// ProgressEvery, and cancels the handler when a cancel was requested (another
// process's Cancel) or the lease is lost.
func (r *Runner) heartbeat(ctx context.Context, j *Job, cancel context.CancelCauseFunc, stop <-chan struct{}, log *slog.Logger) {
	tick := time.NewTicker(r.opts.ProgressEvery)
	defer tick.Stop()
	lastBeat := time.Now()
	lease := j.Lease()
	// The handler may take a while to stop after its ctx is cancelled (removing
	// temp files): keep the lease while it does.
	wctx := context.WithoutCancel(ctx)
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		beat := time.Since(lastBeat) >= r.opts.Heartbeat-r.opts.ProgressEvery/2
		if !beat && !j.dirty() {
			continue
		}
		var cancelRequested bool
		err := r.write(wctx, func(tx *db.Queries) error {
			if err := j.flush(wctx, tx); err != nil {
				return err
			}
			if !beat {
				return nil
			}
			var err error
			cancelRequested, err = tx.HeartbeatJob(wctx, lease, r.opts.Clock.Now().Add(r.opts.Lease))
			return err
		})
		switch {
		case errors.Is(err, db.ErrNotFound):
			cancel(ErrLeaseLost)
			return
		case err != nil:
			log.Error("job heartbeat", "err", err) // the lease has time left; try again next tick
		case beat:
			lastBeat = time.Now()
			if cancelRequested {
				cancel(ErrCancelled)
			}
		}
	}
}
