package jobs

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// turns lets at most n jobs compute at once; the other running jobs wait for
// a turn. A job holds a turn from its start and gives it up, when another job
// is waiting and its own turn has lasted turnLength, at its next Progress
// call. So two large exports both move (taking turns) while the CPU they use
// stays bounded, and the web requests keep a core. On a 2-core machine with
// a busy neighbour process, two exports computing at once (each runs an
// encoding and a compressing goroutine) put the polls' p99 at 64-73 ms; taking
// turns, 24 ms (`task load`, same runs).
type turns struct {
	tokens  chan struct{} // one per job computing now; channel senders queue FIFO, so turns rotate
	waiting atomic.Int32
	length  time.Duration
}

// turnLength is how long a job computes before it lets a waiting job in.
// Shorter is fairer but hands over more often (each handover lets the pipeline
// of the job that stops drain while the other one starts).
const turnLength = 100 * time.Millisecond

// defaultComputing is half the cores (each export runs two busy goroutines:
// encoding and compression), at least one.
func defaultComputing() int { return max(1, runtime.GOMAXPROCS(0)/2) }

func newTurns(n int, length time.Duration) *turns {
	return &turns{tokens: make(chan struct{}, n), length: length}
}

// take blocks until a turn is free, ctx ends or wait (when positive) has
// passed.
func (t *turns) take(ctx context.Context, wait time.Duration) error {
	select {
	case t.tokens <- struct{}{}:
		return nil
	default:
	}
	t.waiting.Add(1)
	defer t.waiting.Add(-1)
	var timeout <-chan time.Time
	if wait > 0 {
		tm := time.NewTimer(wait)
		defer tm.Stop()
		timeout = tm.C
	}
	select {
	case t.tokens <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timeout:
		return errNoTurn
	}
}

var errNoTurn = errors.New("jobs: no turn free")

// tryTake takes a turn if one is free now.
func (t *turns) tryTake() bool {
	select {
	case t.tokens <- struct{}{}:
		return true
	default:
		return false
	}
}

func (t *turns) give() { <-t.tokens }

// turn is one job's hold on turns.
type turn struct {
	t     *turns
	ctx   context.Context
	mu    sync.Mutex // one yield at a time, if Progress is called from several goroutines
	held  bool
	since time.Time
}

// start takes the job's first turn, calling waiting first if it has to wait.
// It waits as long as it takes: the job has not started, so it holds nothing
// that the job with the turn could be waiting for.
func (tn *turn) start(waiting func()) error {
	if len(tn.t.tokens) == cap(tn.t.tokens) {
		waiting()
	}
	if err := tn.t.take(tn.ctx, 0); err != nil {
		return err
	}
	tn.held, tn.since = true, time.Now()
	return nil
}

// maxTurnWait bounds how long a job that gave up its turn waits for the next
// one. A job may yield while it holds something the job with the turn then
// waits for, such as the database's single writer (an import writes its rows
// in one transaction): after maxTurnWait it goes on without a turn rather
// than deadlock, and takes one again at a later Progress when one is free.
const maxTurnWait = 2 * time.Second

// yield hands the turn over if another job waits and this one has had its
// share, and returns once the job has a turn again, or has waited
// maxTurnWait, or its ctx ended (the job then goes on only to notice its
// cancel and stop).
func (tn *turn) yield() {
	if !tn.mu.TryLock() {
		return
	}
	defer tn.mu.Unlock()
	switch {
	case !tn.held:
		if tn.t.tryTake() {
			tn.held, tn.since = true, time.Now()
		}
	case tn.t.waiting.Load() > 0 && time.Since(tn.since) >= tn.t.length:
		tn.t.give()
		tn.held = false
		if tn.t.take(tn.ctx, maxTurnWait) == nil {
			tn.held, tn.since = true, time.Now()
		}
	}
}

// end gives the turn back for good.
func (tn *turn) end() {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	if tn.held {
		tn.t.give()
		tn.held = false
	}
}
