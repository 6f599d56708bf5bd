package submissions

import (
	"context"
	"slices"
	"testing"
	"time"

	"coursevault/jobs/probe"
)

// A large ingest writes in batches: another writer that writes every 10 ms
// during it waits at most about one batch for the single writer, never for
// the whole request. On PostgreSQL the single writer is InTx's advisory
// lock, and the same holds.
func TestIngest_otherWritersWaitAtMostABatch(t *testing.T) {
	c := newCourse(t)
	ctx := context.Background()
	stop := probe.Writes(ctx, c.d, "test.write")
	start := time.Now()
	res, err := Ingest(ctx, c.d, c.id, generate(10000, 3, 200), Options{Now: testNow})
	took := time.Since(start)
	waits, werr := stop()
	if err != nil || werr != nil || res.Accepted != 10000 {
		t.Fatalf("ingest: %+v, %v, %v", res.Accepted, err, werr)
	}
	wait := slices.Max(append(waits, 0))
	t.Logf("ingest of 10,000 lines took %v; %d other writes meanwhile, the longest waited %v", took, len(waits), wait)
	if len(waits) < 5 {
		t.Errorf("only %d other writes went in during a %v ingest", len(waits), took)
	}
	if wait > took/4 || wait > 2*time.Second {
		t.Errorf("another writer waited %v during a %v ingest: longer than a batch", wait, took)
	}
}
