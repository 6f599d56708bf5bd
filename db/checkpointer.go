package db

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// A write of many batches (an autograder ingest of hundreds of MiB) spends
// about a third of its writer's time copying the WAL into the database file:
// SQLite checkpoints in the commit of whichever transaction passes 1,000
// pages, on the one writer connection, while the other core waits. A
// Checkpointer turns that off for the duration and copies from a reader
// connection instead (PRAGMA wal_checkpoint works on a query_only one), in
// the background, while the writer goes on with the next batch.
//
// A checkpoint running beside a writer never catches up with it, and SQLite
// only starts the WAL over once it has; so when the WAL passes maxWALFrames
// (or the background checkpoint falls maxBehind commits behind) the writer
// waits for the checkpoint in flight and finishes the copy itself (the last
// batch or so), and the WAL starts over at its next write: it stays at some
// 64 MiB and a few batches, as journal_size_limit has it.
type Checkpointer struct {
	d      *DB
	nudge  chan struct{}
	idle   sync.Mutex   // held while a background checkpoint runs
	frames atomic.Int64 // the WAL's frames at the last checkpoint
	behind atomic.Int32 // commits since the background checkpoint last started
	err    atomic.Pointer[error]
	done   chan struct{}
}

// maxWALFrames is 64 MiB of 4 KiB pages (a variable for tests); maxBehind
// is how many commits the background checkpoint may fall behind.
var maxWALFrames int64 = 16384

const maxBehind = 2

// bulkWriters counts the Checkpointers running: the writer's automatic
// checkpoint is off while there is one.
var bulkWriters struct {
	sync.Mutex
	n map[*DB]int
}

// StartCheckpointer turns the writer's automatic checkpoint off and starts
// checkpointing in the background; call Committed after each transaction
// and Stop at the end (it turns the automatic checkpoint back on once the
// last running Checkpointer stops). Not from inside InTx (it waits for the
// writer). PostgreSQL has no WAL of ours to keep small: there it returns a
// nil Checkpointer, whose methods do nothing.
func (d *DB) StartCheckpointer(ctx context.Context) (*Checkpointer, error) {
	if d.dialect == dialectPostgres {
		return nil, nil
	}
	if err := d.autoCheckpoint(ctx, +1); err != nil {
		return nil, err
	}
	c := &Checkpointer{d: d, nudge: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c, nil
}

// autoCheckpoint counts a Checkpointer in (+1) or out (-1), turning the
// writer's automatic checkpoint off for the first and on after the last.
func (d *DB) autoCheckpoint(ctx context.Context, delta int) error {
	bulkWriters.Lock()
	defer bulkWriters.Unlock()
	if bulkWriters.n == nil {
		bulkWriters.n = map[*DB]int{}
	}
	n := bulkWriters.n[d]
	pages := -1
	switch {
	case delta > 0 && n == 0:
		pages = 0
	case delta < 0 && n == 1:
		pages = 1000 // SQLite's default
	}
	if pages >= 0 {
		if _, err := d.w.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", pages)); err != nil {
			return fmt.Errorf("db: set the writer's automatic checkpoint: %w", err)
		}
	}
	if n+delta == 0 {
		delete(bulkWriters.n, d)
	} else {
		bulkWriters.n[d] = n + delta
	}
	return nil
}

func (c *Checkpointer) run() {
	defer close(c.done)
	for range c.nudge {
		c.behind.Store(0)
		c.idle.Lock()
		frames, err := c.checkpoint(c.d.r)
		c.idle.Unlock()
		if err != nil {
			c.err.CompareAndSwap(nil, &err)
			continue
		}
		c.frames.Store(frames)
	}
}

// checkpoint copies what it can of the WAL without waiting (PASSIVE) on
// pool p and returns the WAL's frames.
func (c *Checkpointer) checkpoint(p *sql.DB) (int64, error) {
	var busy, frames, copied int64
	err := p.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	if err != nil {
		return 0, fmt.Errorf("db: checkpoint: %w", err)
	}
	return frames, nil
}

// Committed is called after each transaction of the bulk write, between
// them: it starts a background checkpoint of what was committed, or when
// the WAL has grown past its size, finishes the copy on the writer so that
// the WAL starts over.
func (c *Checkpointer) Committed() error {
	if c == nil {
		return nil
	}
	if p := c.err.Load(); p != nil {
		return *p
	}
	// frames is what the last background checkpoint saw: a few commits
	// old at most, or the writer does the copy.
	if c.frames.Load() < maxWALFrames && c.behind.Add(1) <= maxBehind {
		select {
		case c.nudge <- struct{}{}:
		default: // one is waiting already
		}
		return nil
	}
	c.idle.Lock()
	defer c.idle.Unlock()
	if _, err := c.checkpoint(c.d.w); err != nil {
		return err
	}
	c.frames.Store(0)
	c.behind.Store(0)
	return nil
}

// Stop waits for the background checkpoint and turns the writer's
// automatic checkpoint back on (once no other Checkpointer runs).
func (c *Checkpointer) Stop(ctx context.Context) error {
	if c == nil {
		return nil
	}
	close(c.nudge)
	<-c.done
	err := c.d.autoCheckpoint(ctx, -1)
	if p := c.err.Load(); p != nil && err == nil {
		err = *p
	}
	return err
}
