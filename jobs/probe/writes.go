package probe

import (
	"context"
	"sync"
	"time"

	"coursevault/db"
)

// Writes stands for the rest of the app during a long write: every 10 ms it
// writes an audit event (action) in its own transaction, as a web request
// would. stop ends it and returns how long each of those writes took
// (waiting for the single writer included) and the first error.
func Writes(ctx context.Context, d *db.DB, action string) (stop func() ([]time.Duration, error)) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var waits []time.Duration
	var err error
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			start := time.Now()
			err = d.InTx(ctx, func(tx *db.Queries) error {
				return tx.InsertAuditEvent(ctx, db.AuditEvent{At: start, Action: action})
			})
			if err != nil {
				return
			}
			waits = append(waits, time.Since(start))
		}
	})
	return func() ([]time.Duration, error) { close(done); wg.Wait(); return waits, err }
}
