// Package backups makes course archives on a schedule: a site-wide default
// each course may override, skipped when nothing changed, kept to the last N.
package backups

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"coursevault/db"
	"coursevault/jobs"
	"coursevault/jobs/exports"
)

// batch is how many due courses one transaction handles, so the single
// writer is free between batches while hundreds of courses come due.
const batch = 50

// Service sets schedules and runs them.
type Service struct {
	db      *db.DB
	exports *exports.Service
	loc     *time.Location
	now     func() time.Time
	log     *slog.Logger
}

// New returns the service. loc is the school's time zone, in which schedules'
// times of day are read; now is the clock (time.Now when nil).
func New(d *db.DB, ex *exports.Service, loc *time.Location, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.Local
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: d, exports: ex, loc: loc, now: now, log: log}
}

// Register adds the scheduler to runner: every minute it queues the archives
// that are due (see Tick). The periodic job itself runs once per minute
// across restarts and processes.
func (s *Service) Register(r *jobs.Runner) {
	r.Every("backups.schedule", time.Minute, func(ctx context.Context) error {
		_, err := s.Tick(ctx)
		return err
	})
}

// Actor is who changes a schedule, for the audit log.
type Actor struct {
	UserID   int64
	RemoteIP string
	Name     string // who acted when not a person ("the command line")
}

func (a Actor) event(at time.Time, action string, courseID int64, subject, detail string) db.AuditEvent {
	return db.AuditEvent{At: at, UserID: a.UserID, RemoteIP: a.RemoteIP, Actor: a.Name, Action: action,
		CourseID: courseID, Subject: subject, Detail: detail}
}

// systemActor names the scheduler in the audit log.
var systemActor = Actor{Name: "backup schedule"}

// SetCourse gives a course its own schedule, or (useDefault) makes it follow
// the site default again, and audits the change.
func (s *Service) SetCourse(ctx context.Context, courseID int64, useDefault bool, sched Schedule, by Actor) (db.CourseBackup, error) {
	now := s.now()
	err := s.db.InTx(ctx, func(tx *db.Queries) error {
		eff := sched
		if useDefault {
			var err error
			if eff, err = tx.BackupDefault(ctx); err != nil {
				return err
			}
		}
		if err := tx.SetCourseBackup(ctx, courseID, !useDefault, sched, nextPtr(eff, now, s.loc), by.UserID, now); err != nil {
			return err
		}
		detail := Describe(eff)
		if useDefault {
			detail = "site default: " + detail
		}
		return tx.InsertAuditEvent(ctx, by.event(now, "backup.schedule", courseID, "course archive schedule", detail))
	})
	if err != nil {
		return db.CourseBackup{}, fmt.Errorf("backups: set schedule of course %d: %w", courseID, err)
	}
	return s.db.CourseBackup(ctx, courseID)
}

// SetDefault changes the site-wide schedule, moves the next run of every
// course that follows it, and audits the change.
func (s *Service) SetDefault(ctx context.Context, sched Schedule, by Actor) error {
	now := s.now()
	err := s.db.InTx(ctx, func(tx *db.Queries) error {
		if err := tx.SetBackupDefault(ctx, sched, by.UserID, now); err != nil {
			return err
		}
		if err := tx.SetInheritedBackupNextRun(ctx, nextPtr(sched, now, s.loc)); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, by.event(now, "backup.default", 0, "default course archive schedule", Describe(sched)))
	})
	if err != nil {
		return fmt.Errorf("backups: set the default schedule: %w", err)
	}
	return nil
}

// Result counts what one Tick did.
type Result struct {
	Queued  int // archives queued
	Skipped int // runs that found nothing changed (or the last run still going)
	Pruned  int // scheduled rows deleted beyond their schedule's keep
}

// Tick runs every due schedule: it queues the course's archive through the
// exports service (the same job an archive asked for by hand runs, so
// archives run within the runner's workers, one course after another), or
// lists a skipped run when the course's data version has not moved since
// its last scheduled archive. A run sets the next from the time it ran, so
// runs missed while the server was down happen once. Then it deletes the
// scheduled archives beyond each schedule's keep.
func (s *Service) Tick(ctx context.Context) (Result, error) {
	var res Result
	now := s.now()
	if err := s.computeMissing(ctx, now); err != nil {
		return res, err
	}
	for {
		var n int
		err := s.db.InTx(ctx, func(tx *db.Queries) error {
			due, err := tx.DueBackups(ctx, now, batch)
			if err != nil {
				return err
			}
			n = len(due)
			for _, b := range due {
				queued, err := s.run(ctx, tx, b, now)
				if err != nil {
					return fmt.Errorf("course %d: %w", b.CourseID, err)
				}
				if queued {
					res.Queued++
				} else {
					res.Skipped++
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("backups: run due schedules: %w", err)
		}
		if n < batch {
			break
		}
	}
	pruned, err := s.prune(ctx)
	res.Pruned = pruned
	if res != (Result{}) {
		s.log.Info("scheduled backups", "queued", res.Queued, "skipped", res.Skipped, "pruned", res.Pruned)
	}
	return res, err
}

// computeMissing gives new courses a schedule row and sets the next run of
// the scheduled ones that have none: their first run is the next one due,
// not one at once.
func (s *Service) computeMissing(ctx context.Context, now time.Time) error {
	for {
		var n int
		err := s.db.InTx(ctx, func(tx *db.Queries) error {
			if _, err := tx.AddMissingBackupSchedules(ctx); err != nil {
				return err
			}
			list, err := tx.BackupsWithoutNextRun(ctx, batch)
			if err != nil {
				return err
			}
			n = len(list)
			for _, b := range list {
				if err := tx.SetBackupRun(ctx, b.CourseID, time.Time{}, nextPtr(b.Schedule, now, s.loc)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("backups: compute next runs: %w", err)
		}
		if n < batch {
			return nil
		}
	}
}

// run does one course's due run inside tx; queued is false for a skip.
func (s *Service) run(ctx context.Context, tx *db.Queries, b db.CourseBackup, now time.Time) (queued bool, err error) {
	next := nextPtr(b.Schedule, now, s.loc)
	subject := "course archive"
	last, err := tx.LastScheduledArchive(ctx, b.CourseID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return false, err
	}
	found := err == nil
	switch {
	case found && !last.Final():
		if err := tx.InsertAuditEvent(ctx, systemActor.event(now, "backup.skip", b.CourseID, subject,
			"the previous scheduled archive is still queued or running")); err != nil {
			return false, err
		}
		return false, tx.SetBackupRun(ctx, b.CourseID, now, next)
	case found && last.Status() == db.ExportReady && last.DataVersion == b.DataVersion &&
		last.IncludeStdout == b.Schedule.IncludeStdout && last.IncludeStatic == b.Schedule.IncludeStatic:
		since := last.CreatedAt
		if last.FinishedAt != nil {
			since = *last.FinishedAt
		}
		if err := s.listSkip(ctx, tx, b, last, since, now); err != nil {
			return false, err
		}
		if err := tx.InsertAuditEvent(ctx, systemActor.event(now, "backup.skip", b.CourseID, subject,
			"Skipped: nothing changed since "+since.In(s.loc).Format("2006-01-02 15:04 MST"))); err != nil {
			return false, err
		}
		return false, tx.SetBackupRun(ctx, b.CourseID, now, next)
	}
	r := exports.Request{CourseID: b.CourseID, Kind: db.ExportArchive, IncludeStdout: b.Schedule.IncludeStdout,
		IncludeStatic: b.Schedule.IncludeStatic, Scheduled: true}
	exportID, existingJob, err := s.exports.RequestIn(ctx, tx, r)
	if err != nil {
		return false, err
	}
	if existingJob != 0 { // cannot happen: a pending scheduled archive is skipped above
		return false, tx.DeleteExport(ctx, exportID)
	}
	if err := tx.InsertAuditEvent(ctx, systemActor.event(now, "backup.run", b.CourseID, subject,
		fmt.Sprintf("export %d queued: %s", exportID, Describe(b.Schedule)))); err != nil {
		return false, err
	}
	return true, tx.SetBackupRun(ctx, b.CourseID, now, next)
}

// listSkip lists a skipped run: on the newest scheduled row when that is
// already a skip after the same archive (a dormant course gets one row, not
// one a night), else on a new row.
func (s *Service) listSkip(ctx context.Context, tx *db.Queries, b db.CourseBackup, last db.ExportView, since, now time.Time) error {
	newest, err := tx.LastScheduledExport(ctx, b.CourseID)
	if err != nil {
		return err
	}
	if newest.Skipped > 0 && newest.ID > last.ID {
		return tx.AddExportSkip(ctx, newest.ID, now)
	}
	_, err = tx.InsertSkippedExport(ctx, db.Export{CourseID: b.CourseID, Kind: db.ExportArchive,
		IncludeStdout: b.Schedule.IncludeStdout, IncludeStatic: b.Schedule.IncludeStatic}, since, now)
	return err
}

// prune deletes the scheduled rows beyond each schedule's keep (their files
// too), auditing each. Archives made by hand are never touched.
func (s *Service) prune(ctx context.Context) (int, error) {
	list, err := s.db.ScheduledExportsBeyondKeep(ctx)
	if err != nil {
		return 0, fmt.Errorf("backups: prune: %w", err)
	}
	n := 0
	for _, e := range list {
		if err := s.exports.Delete(ctx, e); err != nil {
			return n, fmt.Errorf("backups: prune: %w", err)
		}
		n++
		if e.Skipped > 0 {
			continue // a listed skip, no file: not worth an event
		}
		ev := systemActor.event(s.now(), "backup.prune", e.CourseID, e.Filename, fmt.Sprintf("export %d, beyond the schedule's keep", e.ID))
		if err := s.db.InTx(ctx, func(tx *db.Queries) error { return tx.InsertAuditEvent(ctx, ev) }); err != nil {
			return n, fmt.Errorf("backups: prune: %w", err)
		}
	}
	return n, nil
}

func nextPtr(sched Schedule, now time.Time, loc *time.Location) *time.Time {
	t := Next(sched, now, loc)
	if t.IsZero() {
		return nil
	}
	return &t
}

// NextRun is when a course's schedule runs next: its stored next run, or
// the one its schedule names from now when none is stored yet; zero when off.
func (s *Service) NextRun(b db.CourseBackup) time.Time {
	if b.Schedule.Frequency == db.BackupOff {
		return time.Time{}
	}
	if b.NextRunAt != nil {
		return *b.NextRunAt
	}
	return Next(b.Schedule, s.now(), s.loc)
}

// Row is one course on the backups overview.
type Row struct {
	db.CourseBackup
	NextRun     time.Time      // zero when off
	LastArchive *db.ExportView // newest scheduled archive (nil: none yet)
	LastSkip    *db.ExportView // newest skipped run newer than LastArchive
	Failed      bool           // the newest scheduled archive failed or lost its file
}

// Overview lists every course with its schedule, last scheduled archive and
// next run; failures first, then by code.
func (s *Service) Overview(ctx context.Context) ([]Row, error) {
	list, err := s.db.CourseBackups(ctx)
	if err != nil {
		return nil, err
	}
	archives, err := s.db.LatestScheduledExports(ctx, true)
	if err != nil {
		return nil, err
	}
	newest, err := s.db.LatestScheduledExports(ctx, false)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(list))
	for i, b := range list {
		r := Row{CourseBackup: b, NextRun: s.NextRun(b)}
		if e, ok := archives[b.CourseID]; ok {
			r.LastArchive = &e
			st := e.Status()
			r.Failed = st == db.ExportFailed || st == db.ExportMissing
		}
		if e, ok := newest[b.CourseID]; ok && e.Skipped > 0 {
			r.LastSkip = &e
		}
		rows[i] = r
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		if a.Failed != b.Failed {
			if a.Failed {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Code, b.Code)
	})
	return rows, nil
}
