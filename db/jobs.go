package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Job states. A job is queued until a worker claims it, running while a worker
// holds its lease, and ends in one of the three final states.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// Job is one row of the jobs table.
type Job struct {
	ID              int64
	Kind            string
	State           string
	Args            json.RawMessage
	UniqueKey       string // "" when none
	Attempt         int    // attempts started so far; the running attempt while running
	MaxAttempts     int
	RunAt           time.Time
	LockedUntil     *time.Time
	LockedBy        string
	Done, Total     int64
	Note            string
	LastError       string
	CancelRequested bool
	CreatedAt       time.Time
	StartedAt       *time.Time
	FinishedAt      *time.Time
}

// Finished reports whether the job is in a final state.
func (j Job) Finished() bool {
	return j.State == JobSucceeded || j.State == JobFailed || j.State == JobCancelled
}

// Lease identifies one claimed attempt of a job. Every write a worker makes
// about its attempt is guarded by it, so a worker whose lease ran out (and whose
// job another worker claimed) cannot overwrite the newer attempt.
func (j Job) Lease() JobLease {
	return JobLease{ID: j.ID, Attempt: j.Attempt, Worker: j.LockedBy}
}

// JobLease identifies one claimed attempt: see Job.Lease.
type JobLease struct {
	ID      int64
	Attempt int
	Worker  string
}

// NewJob is what InsertJob stores.
type NewJob struct {
	Kind        string
	Args        json.RawMessage
	UniqueKey   string // "" for none
	MaxAttempts int
	RunAt       time.Time
	CreatedAt   time.Time
}

// InsertJob adds a queued job. With a UniqueKey already held by a queued or
// running job it fails with a unique violation (see IsUniqueViolation); callers
// look for that job first with ActiveJobByUniqueKey inside the same transaction.
func (q *Queries) InsertJob(ctx context.Context, n NewJob) (Job, error) {
	args := n.Args
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	row := q.q.QueryRowContext(ctx, `
		INSERT INTO jobs (kind, state, args, unique_key, max_attempts, run_at, created_at)
		VALUES (?, 'queued', ?, NULLIF(?, ''), ?, ?, ?)
		RETURNING id, kind, state, args, COALESCE(unique_key, ''), attempt, max_attempts,
			run_at, locked_until, locked_by, done, total, note, last_error,
			cancel_requested, created_at, started_at, finished_at`,
		n.Kind, string(args), n.UniqueKey, n.MaxAttempts, n.RunAt.UTC(), n.CreatedAt.UTC())
	j, err := scanJob(row)
	if err != nil {
		return Job{}, fmt.Errorf("db: insert %s job: %w", n.Kind, err)
	}
	return j, nil
}

// ActiveJobByUniqueKey returns the queued or running job holding key.
func (q *Queries) ActiveJobByUniqueKey(ctx context.Context, key string) (Job, error) {
	row := q.q.QueryRowContext(ctx, `
		SELECT id, kind, state, args, COALESCE(unique_key, ''), attempt, max_attempts,
			run_at, locked_until, locked_by, done, total, note, last_error,
			cancel_requested, created_at, started_at, finished_at
		FROM jobs
		WHERE unique_key = ? AND state IN ('queued', 'running')`, key)
	j, err := scanJob(row)
	if err != nil {
		return Job{}, notFound(err, "active job by unique key "+key)
	}
	return j, nil
}

// ReleaseJobUniqueKey lets a new job take job id's unique key while id still
// runs: its work is done, only its outcome is left to record.
func (q *Queries) ReleaseJobUniqueKey(ctx context.Context, id int64) error {
	if _, err := q.q.ExecContext(ctx, `UPDATE jobs SET unique_key = NULL WHERE id = ?`, id); err != nil {
		return fmt.Errorf("db: release unique key of job %d: %w", id, err)
	}
	return nil
}

// GetJob returns the job with id.
func (q *Queries) GetJob(ctx context.Context, id int64) (Job, error) {
	row := q.q.QueryRowContext(ctx, `
		SELECT id, kind, state, args, COALESCE(unique_key, ''), attempt, max_attempts,
			run_at, locked_until, locked_by, done, total, note, last_error,
			cancel_requested, created_at, started_at, finished_at
		FROM jobs
		WHERE id = ?`, id)
	j, err := scanJob(row)
	if err != nil {
		return Job{}, notFound(err, fmt.Sprintf("get job %d", id))
	}
	return j, nil
}

// ListJobs returns up to limit jobs, newest first; state "" lists every state.
func (q *Queries) ListJobs(ctx context.Context, state string, limit int) ([]Job, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT id, kind, state, args, COALESCE(unique_key, ''), attempt, max_attempts,
			run_at, locked_until, locked_by, done, total, note, last_error,
			cancel_requested, created_at, started_at, finished_at
		FROM jobs
		WHERE ?1 = '' OR state = ?1
		ORDER BY id DESC
		LIMIT ?2`, state, limit)
	if err != nil {
		return nil, fmt.Errorf("db: list jobs: %w", err)
	}
	defer rows.Close()
	var js []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("db: list jobs: %w", err)
		}
		js = append(js, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list jobs: %w", err)
	}
	return js, nil
}

// ClaimJob takes, in one statement, the next job of one of kinds that is due:
// first a running job whose lease ran out (its worker died) and that has
// attempts left, else the queued job due longest ago. Each branch walks its
// own index in order and stops at the first match, so a long backlog costs
// no sort. The job becomes running under
// worker's lease until lockedUntil, with its attempt counted. ErrNotFound when
// nothing is due. The progress of an earlier attempt is cleared; its error is
// kept until this attempt ends.
func (q *Queries) ClaimJob(ctx context.Context, kinds []string, worker string, now, lockedUntil time.Time) (Job, error) {
	kindsJSON, err := json.Marshal(kinds)
	if err != nil {
		return Job{}, fmt.Errorf("db: claim job: %w", err)
	}
	row := q.q.QueryRowContext(ctx, `
		UPDATE jobs
		SET state = 'running', attempt = attempt + 1, locked_until = ?1, locked_by = ?2,
			started_at = ?3, done = 0, total = 0, note = ''
		WHERE id = COALESCE(
			(SELECT id FROM jobs
			 WHERE state = 'running' AND locked_until <= ?3
			   AND attempt < max_attempts AND cancel_requested = 0
			   AND kind IN (SELECT value FROM json_each(?4))
			 ORDER BY locked_until
			 LIMIT 1),
			(SELECT id FROM jobs
			 WHERE state = 'queued' AND run_at <= ?3
			   AND kind IN (SELECT value FROM json_each(?4))
			 ORDER BY run_at, id
			 LIMIT 1))
		RETURNING id, kind, state, args, COALESCE(unique_key, ''), attempt, max_attempts,
			run_at, locked_until, locked_by, done, total, note, last_error,
			cancel_requested, created_at, started_at, finished_at`,
		lockedUntil.UTC(), worker, now.UTC(), string(kindsJSON))
	j, err := scanJob(row)
	if err != nil {
		return Job{}, notFound(err, "claim job")
	}
	return j, nil
}

// WorkDue reports, with a read, whether a runner polling for kinds and
// periodic has anything to write: a claimable job (as ClaimJob would take), a
// running job to end (as EndAbandonedJobs would), or a periodic job due. An
// idle runner asks this first so it does not take the single writer lock
// every tick: on SQLite another process on the same file (the CLI, a second
// serve) would queue behind those empty transactions.
func (q *Queries) WorkDue(ctx context.Context, kinds, periodic []string, now time.Time) (bool, error) {
	kindsJSON, err := json.Marshal(kinds)
	if err != nil {
		return false, fmt.Errorf("db: work due: %w", err)
	}
	periodicJSON, err := json.Marshal(periodic)
	if err != nil {
		return false, fmt.Errorf("db: work due: %w", err)
	}
	var due bool
	err = q.q.QueryRowContext(ctx, `
		SELECT EXISTS (SELECT 1 FROM jobs
			 WHERE state = 'running' AND locked_until <= ?1
			   AND (kind IN (SELECT value FROM json_each(?2))
			     OR attempt >= max_attempts OR cancel_requested = 1))
		OR EXISTS (SELECT 1 FROM jobs
			 WHERE state = 'queued' AND run_at <= ?1
			   AND kind IN (SELECT value FROM json_each(?2)))
		OR EXISTS (SELECT 1 FROM periodic
			 WHERE next_run_at <= ?1 AND name IN (SELECT value FROM json_each(?3)))`,
		now.UTC(), string(kindsJSON), string(periodicJSON)).Scan(&due)
	if err != nil {
		return false, fmt.Errorf("db: work due: %w", err)
	}
	return due, nil
}

// EndAbandonedJobs finishes the running jobs whose lease ran out and that will
// not be claimed again: cancelled if a cancel was requested, failed if they
// have used all their attempts (a job that kills its worker every time must
// not loop forever). It returns the jobs it ended, as they are now.
func (q *Queries) EndAbandonedJobs(ctx context.Context, now time.Time) ([]Job, error) {
	rows, err := q.q.QueryContext(ctx, `
		UPDATE jobs
		SET state = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE 'failed' END,
			last_error = CASE WHEN cancel_requested = 1 THEN 'Cancelled on request.'
				ELSE 'The worker stopped while running it (' || attempt || ' attempts); it will not be tried again.' END,
			finished_at = ?1, locked_until = NULL, locked_by = ''
		WHERE state = 'running' AND locked_until <= ?1
		  AND (attempt >= max_attempts OR cancel_requested = 1)
		RETURNING id, kind, state, args, COALESCE(unique_key, ''), attempt, max_attempts,
			run_at, locked_until, locked_by, done, total, note, last_error,
			cancel_requested, created_at, started_at, finished_at`, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("db: end abandoned jobs: %w", err)
	}
	defer rows.Close()
	var ended []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("db: end abandoned jobs: %w", err)
		}
		ended = append(ended, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: end abandoned jobs: %w", err)
	}
	return ended, nil
}

// HeartbeatJob extends the lease of a running attempt and reports whether a
// cancel was requested. ErrNotFound means the lease is lost: the attempt must stop.
func (q *Queries) HeartbeatJob(ctx context.Context, l JobLease, lockedUntil time.Time) (cancelRequested bool, err error) {
	err = q.q.QueryRowContext(ctx, `
		UPDATE jobs SET locked_until = ?
		WHERE id = ? AND attempt = ? AND locked_by = ? AND state = 'running'
		RETURNING cancel_requested`,
		lockedUntil.UTC(), l.ID, l.Attempt, l.Worker).Scan(&cancelRequested)
	if err != nil {
		return false, notFound(err, fmt.Sprintf("heartbeat job %d", l.ID))
	}
	return cancelRequested, nil
}

// SetJobProgress records the progress of a running attempt.
func (q *Queries) SetJobProgress(ctx context.Context, l JobLease, done, total int64, note string) error {
	_, err := q.q.ExecContext(ctx, `
		UPDATE jobs SET done = ?, total = ?, note = ?
		WHERE id = ? AND attempt = ? AND locked_by = ? AND state = 'running'`,
		done, total, note, l.ID, l.Attempt, l.Worker)
	if err != nil {
		return fmt.Errorf("db: set progress of job %d: %w", l.ID, err)
	}
	return nil
}

// FinishJob ends a running attempt in a final state (succeeded, failed or
// cancelled) with lastError ("" on success). ErrNotFound means the lease was lost.
func (q *Queries) FinishJob(ctx context.Context, l JobLease, state, lastError string, now time.Time) error {
	if state != JobSucceeded && state != JobFailed && state != JobCancelled {
		return fmt.Errorf("db: finish job %d: %q is not a final state", l.ID, state)
	}
	res, err := q.q.ExecContext(ctx, `
		UPDATE jobs
		SET state = ?, last_error = ?, finished_at = ?, locked_until = NULL, locked_by = ''
		WHERE id = ? AND attempt = ? AND locked_by = ? AND state = 'running'`,
		state, lastError, now.UTC(), l.ID, l.Attempt, l.Worker)
	return leaseWrite(res, err, fmt.Sprintf("finish job %d", l.ID))
}

// RetryJobLater puts a failed attempt back in the queue until runAt.
func (q *Queries) RetryJobLater(ctx context.Context, l JobLease, runAt time.Time, lastError string) error {
	res, err := q.q.ExecContext(ctx, `
		UPDATE jobs
		SET state = 'queued', run_at = ?, last_error = ?, locked_until = NULL, locked_by = ''
		WHERE id = ? AND attempt = ? AND locked_by = ? AND state = 'running'`,
		runAt.UTC(), lastError, l.ID, l.Attempt, l.Worker)
	return leaseWrite(res, err, fmt.Sprintf("schedule retry of job %d", l.ID))
}

// ReleaseJob gives an interrupted attempt back to the queue, due at once, on a
// graceful shutdown. The attempt is not counted: the job did not fail.
func (q *Queries) ReleaseJob(ctx context.Context, l JobLease, now time.Time) error {
	res, err := q.q.ExecContext(ctx, `
		UPDATE jobs
		SET state = 'queued', run_at = ?, attempt = attempt - 1, locked_until = NULL, locked_by = ''
		WHERE id = ? AND attempt = ? AND locked_by = ? AND state = 'running'`,
		now.UTC(), l.ID, l.Attempt, l.Worker)
	return leaseWrite(res, err, fmt.Sprintf("release job %d", l.ID))
}

// leaseWrite checks a write that needs the attempt's lease: touching no
// row means the lease is lost (ErrNotFound).
func leaseWrite(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what+": lease lost")
}

// RequestJobCancel cancels a queued job at once and asks a running one to stop
// (its worker sees the request at its next heartbeat). A finished job is left
// as it is. It returns the job as it is afterwards.
func (q *Queries) RequestJobCancel(ctx context.Context, id int64, now time.Time) (Job, error) {
	_, err := q.q.ExecContext(ctx, `
		UPDATE jobs
		SET state = CASE state WHEN 'queued' THEN 'cancelled' ELSE state END,
			finished_at = CASE state WHEN 'queued' THEN ?1 ELSE finished_at END,
			last_error = CASE state WHEN 'queued' THEN 'Cancelled on request.' ELSE last_error END,
			cancel_requested = 1
		WHERE id = ?2 AND state IN ('queued', 'running')`, now.UTC(), id)
	if err != nil {
		return Job{}, fmt.Errorf("db: cancel job %d: %w", id, err)
	}
	return q.GetJob(ctx, id)
}

// RequeueJob queues a failed or cancelled job again, due at now, with a fresh
// set of attempts. A job in another state is returned unchanged. If an
// identical job (same unique key) is queued or running meanwhile, it fails with
// a unique violation.
func (q *Queries) RequeueJob(ctx context.Context, id int64, now time.Time) (Job, error) {
	_, err := q.q.ExecContext(ctx, `
		UPDATE jobs
		SET state = 'queued', run_at = ?, attempt = 0, cancel_requested = 0,
			done = 0, total = 0, note = '', last_error = '',
			started_at = NULL, finished_at = NULL, locked_until = NULL, locked_by = ''
		WHERE id = ? AND state IN ('failed', 'cancelled')`, now.UTC(), id)
	if err != nil {
		return Job{}, fmt.Errorf("db: requeue job %d: %w", id, err)
	}
	return q.GetJob(ctx, id)
}

// PruneJobs deletes the jobs that finished before before and returns how many.
func (q *Queries) PruneJobs(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.q.ExecContext(ctx, `
		DELETE FROM jobs
		WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished_at < ?`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("db: prune jobs: %w", err)
	}
	return res.RowsAffected()
}

// RegisterPeriodic records a periodic job, due at once the first time. If the
// stored next run lies further ahead than one interval from now (the interval
// was shortened), it is brought forward to now+interval.
func (q *Queries) RegisterPeriodic(ctx context.Context, name string, interval time.Duration, now time.Time) error {
	next := now.Add(interval).UTC()
	_, err := q.q.ExecContext(ctx, `
		INSERT INTO periodic (name, interval_ms, next_run_at) VALUES (?1, ?2, ?3)
		ON CONFLICT (name) DO UPDATE
		SET interval_ms = excluded.interval_ms,
			next_run_at = CASE WHEN periodic.next_run_at > ?4 THEN ?4 ELSE periodic.next_run_at END`,
		name, interval.Milliseconds(), now.UTC(), next)
	if err != nil {
		return fmt.Errorf("db: register periodic %s: %w", name, err)
	}
	return nil
}

// TakePeriodic moves a due periodic job's next run to next and reports whether
// this caller did so: exactly one caller wins each period, whatever the number
// of processes, and it enqueues that period's run in the same transaction.
func (q *Queries) TakePeriodic(ctx context.Context, name string, now, next time.Time) (bool, error) {
	res, err := q.q.ExecContext(ctx, `
		UPDATE periodic SET next_run_at = ?
		WHERE name = ? AND next_run_at <= ?`, next.UTC(), name, now.UTC())
	if err != nil {
		return false, fmt.Errorf("db: take periodic %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("db: take periodic %s: %w", name, err)
	}
	return n == 1, nil
}

// scanJob reads the columns every job query selects, in their order.
func scanJob(row interface{ Scan(...any) error }) (Job, error) {
	var (
		j                             Job
		args                          string
		runAt, lockedUntil, createdAt jobTime
		startedAt, finishedAt         jobTime
	)
	err := row.Scan(&j.ID, &j.Kind, &j.State, &args, &j.UniqueKey, &j.Attempt, &j.MaxAttempts,
		&runAt, &lockedUntil, &j.LockedBy, &j.Done, &j.Total, &j.Note, &j.LastError,
		&j.CancelRequested, &createdAt, &startedAt, &finishedAt)
	if err != nil {
		return Job{}, err
	}
	j.Args = json.RawMessage(args)
	j.RunAt, j.CreatedAt = runAt.t, createdAt.t
	j.LockedUntil, j.StartedAt, j.FinishedAt = lockedUntil.ptr(), startedAt.ptr(), finishedAt.ptr()
	return j, nil
}

// jobTime scans a DATETIME column that may be NULL. The driver gives a
// time.Time for declared DATETIME columns but a string where the declared type
// is lost (RETURNING, expressions), so both are accepted.
type jobTime struct {
	t     time.Time
	valid bool
}

func (jt *jobTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*jt = jobTime{}
	case time.Time:
		*jt = jobTime{t: v.UTC(), valid: true}
	case string:
		return jt.parse(v)
	case []byte:
		return jt.parse(string(v))
	default:
		return fmt.Errorf("db: cannot read %T as a time", v)
	}
	return nil
}

// Layouts the driver writes with _time_format=sqlite, and SQLite's own.
var jobTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	time.RFC3339Nano,
}

func (jt *jobTime) parse(s string) error {
	for _, layout := range jobTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			*jt = jobTime{t: t.UTC(), valid: true}
			return nil
		}
	}
	return errors.New("db: cannot parse time " + s)
}

func (jt jobTime) ptr() *time.Time {
	if !jt.valid {
		return nil
	}
	t := jt.t
	return &t
}
