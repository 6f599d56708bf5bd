package submissions

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"coursevault/db"
)

// A large ingest writes in batches: another writer that writes every 10 ms
// during it waits at most about one batch for the single writer, never for
// the whole request.
func TestIngest_otherWritersWaitAtMostABatch(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	var longest atomic.Int64
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			start := time.Now()
			err := c.d.InTx(ctx, func(tx *db.Queries) error {
				return tx.InsertAuditEvent(ctx, db.AuditEvent{At: time.Now(), Action: "test.write"})
			})
			if err != nil {
				t.Error(err)
				return
			}
			if w := time.Since(start); int64(w) > longest.Load() {
				longest.Store(int64(w))
			}
			writes.Add(1)
		}
	})
	start := time.Now()
	res, err := Ingest(ctx, c.d, c.id, generate(10000, 3, 200), Options{Now: testNow})
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if err != nil || res.Accepted != 10000 {
		t.Fatalf("ingest: %+v, %v", res.Accepted, err)
	}
	wait := time.Duration(longest.Load())
	t.Logf("ingest of 10,000 lines took %v; %d other writes meanwhile, the longest waited %v", took, writes.Load(), wait)
	if writes.Load() < 5 {
		t.Errorf("only %d other writes went in during a %v ingest", writes.Load(), took)
	}
	if wait > took/4 || wait > 2*time.Second {
		t.Errorf("another writer waited %v during a %v ingest: longer than a batch", wait, took)
	}
}
