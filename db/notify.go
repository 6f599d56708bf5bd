package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// jobsChannel is the PostgreSQL channel on which a queued job is announced
// to the workers of every process sharing the database.
const jobsChannel = "coursevault_jobs"

// NotifyJobs announces, when tx commits (and only then), that a job was
// queued, so workers in other processes claim it at once instead of at
// their next poll. SQLite has no such signal: there they find it by polling.
func (q *Queries) NotifyJobs(ctx context.Context) error {
	if q.dialect != dialectPostgres {
		return nil
	}
	if _, err := q.q.ExecContext(ctx, `SELECT pg_notify('`+jobsChannel+`', '')`); err != nil {
		return fmt.Errorf("db: notify workers: %w", err)
	}
	return nil
}

// ListenJobs calls wake each time any process queues a job, until ctx ends.
// It keeps its own connection, reconnecting after a second when it drops
// (and waking once then: a job may have been queued meanwhile). On SQLite
// it returns at once.
func (d *DB) ListenJobs(ctx context.Context, wake func(), logErr func(error)) {
	if d.dialect != dialectPostgres {
		return
	}
	for ctx.Err() == nil {
		err := d.listenJobs(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		logErr(err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (d *DB) listenJobs(ctx context.Context, wake func()) error {
	conn, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return fmt.Errorf("db: listen for jobs: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+jobsChannel); err != nil {
		return fmt.Errorf("db: listen for jobs: %w", err)
	}
	wake()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("db: listen for jobs: %w", err)
		}
		wake()
	}
}
