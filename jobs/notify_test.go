package jobs

import (
	"context"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/pgtest"
)

// TestRunner_onPostgresAJobQueuedElsewhereStartsAtOnce: on PostgreSQL a
// job queued by another process (here: another handle, with no runner to
// wake) reaches an idle runner through LISTEN/NOTIFY, long before its next
// poll. On SQLite there is no such signal; other processes poll.
func TestRunner_onPostgresAJobQueuedElsewhereStartsAtOnce(t *testing.T) {
	if !pgtest.Enabled() {
		t.Skip("LISTEN/NOTIFY is PostgreSQL's; run with COURSEVAULT_TEST_DATABASE=postgres")
	}
	d, url := openTest(t)
	r, _ := newRunner(t, d, Options{Clock: systemClock{}, PollInterval: time.Hour, Retention: -1})
	started := make(chan struct{}, 1)
	r.Handle("noop", func(context.Context, *Job) error { started <- struct{}{}; return nil })
	r.Start(context.Background())
	time.Sleep(300 * time.Millisecond) // past the first poll, and listening

	other := reopen(t, url)
	err := other.InTx(context.Background(), func(tx *db.Queries) error {
		_, _, err := Enqueue(context.Background(), tx, "noop", nil, EnqueueOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("a job queued by another process did not start within 5 s (the poll is an hour)")
	}
}
