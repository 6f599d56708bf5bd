package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"coursevault/db"
)

// failHookRecorder is a FailHook that writes an audit event in the failing
// transaction (so a test sees it committed with the failure) and remembers
// what it was told.
type failHookRecorder struct {
	calls   []string // "job id: reason"
	failing bool     // return an error after writing
}

func (h *failHookRecorder) hook(ctx context.Context, tx *db.Queries, j db.Job, reason string) error {
	h.calls = append(h.calls, fmt.Sprintf("%d: %s", j.ID, reason))
	if err := tx.InsertAuditEvent(ctx, db.AuditEvent{At: t0, Action: "test.failed", Subject: fmt.Sprint(j.ID), Detail: reason}); err != nil {
		return err
	}
	if h.failing {
		return errors.New("the hook broke")
	}
	return nil
}

func auditedFailures(t *testing.T, d *db.DB) int {
	t.Helper()
	events, err := d.AuditEvents(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

func TestOnFail_runsOnceWhenAJobFailsForGood(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		attempts int
		reason   string
	}{
		{"permanentError", Permanent(errors.New("bad input")), 3, "bad input"},
		{"lastAttemptFailed", errors.New("flaky"), 2, "flaky"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := openTest(t)
			clock := NewFakeClock(t0)
			r, _ := newRunner(t, d, Options{Clock: clock, Retention: -1})
			r.Handle("k", func(context.Context, *Job) error { return tc.err })
			h := &failHookRecorder{}
			r.OnFail("k", h.hook)
			j := enqueue(t, r, "k", nil, EnqueueOptions{MaxAttempts: tc.attempts})
			for range tc.attempts {
				drain(t, r)
				clock.Advance(time.Hour)
			}
			if got := getJob(t, d, j.ID); got.State != db.JobFailed {
				t.Fatalf("job is %s", got.State)
			}
			want := fmt.Sprintf("%d: %s", j.ID, tc.reason)
			if len(h.calls) != 1 || h.calls[0] != want || auditedFailures(t, d) != 1 {
				t.Fatalf("hook calls = %q, audited %d; want once %q", h.calls, auditedFailures(t, d), want)
			}
		})
	}
}

func TestOnFail_notForSuccessRetryOrCancel(t *testing.T) {
	d, _ := openTest(t)
	r, _ := newRunner(t, d, Options{Retention: -1})
	r.Handle("ok", func(context.Context, *Job) error { return nil })
	r.Handle("retried", func(context.Context, *Job) error { return errors.New("later") })
	h := &failHookRecorder{}
	r.OnFail("ok", h.hook)
	r.OnFail("retried", h.hook)
	enqueue(t, r, "ok", nil, EnqueueOptions{})
	enqueue(t, r, "retried", nil, EnqueueOptions{MaxAttempts: 3})
	cancelled := enqueue(t, r, "ok", nil, EnqueueOptions{RunAt: t0.Add(time.Hour)})
	if _, err := r.Cancel(context.Background(), cancelled.ID); err != nil {
		t.Fatal(err)
	}
	drain(t, r)
	if len(h.calls) != 0 {
		t.Fatalf("hook calls = %q, want none", h.calls)
	}
}

func TestOnFail_abandonedJobOnItsLastAttempt(t *testing.T) {
	d, _ := openTest(t)
	clock := NewFakeClock(t0)
	dead, _ := newRunner(t, d, Options{Clock: clock, Retention: -1})
	dead.Handle("k", func(context.Context, *Job) error { return nil })
	j := enqueue(t, dead, "k", nil, EnqueueOptions{MaxAttempts: 1})
	if _, ok := dead.claim(context.Background()); !ok { // a worker claims it and dies
		t.Fatal("nothing claimed")
	}
	clock.Advance(dead.opts.Lease + time.Second)
	r, _ := newRunner(t, d, Options{Clock: clock, Retention: -1})
	r.Handle("k", func(context.Context, *Job) error { return nil })
	h := &failHookRecorder{}
	r.OnFail("k", h.hook)
	drain(t, r)
	if len(h.calls) != 1 || !strings.HasPrefix(h.calls[0], fmt.Sprintf("%d: The worker stopped", j.ID)) {
		t.Fatalf("hook calls = %q, want one for the abandoned job", h.calls)
	}
}

func TestOnFail_hookErrorNeverKeepsTheFailureFromBeingRecorded(t *testing.T) {
	d, _ := openTest(t)
	r, rec := newRunner(t, d, Options{Retention: -1})
	r.Handle("k", func(context.Context, *Job) error { return Permanent(errors.New("bad input")) })
	r.OnFail("k", (&failHookRecorder{failing: true}).hook)
	j := enqueue(t, r, "k", nil, EnqueueOptions{})
	drain(t, r)
	if got := getJob(t, d, j.ID); got.State != db.JobFailed || got.LastError != "bad input" {
		t.Fatalf("job = %s %q, want failed", got.State, got.LastError)
	}
	if errs := rec.errors(); len(errs) != 1 || !strings.Contains(errs[0], "after a job failed") || !strings.Contains(errs[0], "the hook broke") {
		t.Fatalf("logged errors = %q, want the hook's", errs)
	}
}
