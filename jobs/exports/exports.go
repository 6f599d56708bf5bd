// Package exports ties what a user asked for (an export row) to the job that
// makes it and the file it produces; both export kinds share it.
package exports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs"
)

// Service requests, lists, cancels, retries and deletes exports.
type Service struct {
	db     *db.DB
	runner *jobs.Runner
	files  *files.Service
	now    func() time.Time
	log    *slog.Logger
	notify Notify // nil: nobody is told
}

// Notify hears, inside the transaction that records it, that an export
// became ready (failure "") or failed for good (failure is the reason shown
// with it). What it writes commits with the outcome, so it happens once
// however the process stops; its error is logged and never fails the export.
type Notify func(ctx context.Context, tx *db.Queries, e db.ExportView, failure string) error

// Notify registers fn for the outcomes of both export kinds (the mail about
// them). Call before the runner starts.
func (s *Service) Notify(fn Notify) {
	s.notify = fn
	for _, kind := range []string{db.ExportArchive, db.ExportBook} {
		s.runner.OnFail(kind, func(ctx context.Context, tx *db.Queries, j db.Job, reason string) error {
			e, err := tx.ExportByJob(ctx, j.ID)
			if errors.Is(err, db.ErrNotFound) {
				return nil // deleted: nobody to tell about
			}
			if err != nil {
				return err
			}
			return fn(ctx, tx, e, reason)
		})
	}
}

// New returns the service. now is the clock (time.Now when nil).
func New(d *db.DB, runner *jobs.Runner, fs *files.Service, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: d, runner: runner, files: fs, now: now, log: log}
}

// Request is what a user (or the backup schedule) asks for.
type Request struct {
	CourseID      int64
	UserID        int64  // 0 for the backup schedule
	Kind          string // db.ExportArchive or db.ExportBook
	IncludeStdout bool   // archives only
	IncludeStatic bool   // archives only
	// Scheduled marks an archive of the backup schedule: its file is kept
	// until the schedule's keep prunes it, and it is queued apart from
	// identical archives asked for by hand.
	Scheduled bool
}

// args are an export job's arguments.
type args struct {
	ExportID int64 `json:"export_id"`
}

// ErrNotFound is returned for an export that does not exist in the course.
var ErrNotFound = db.ErrNotFound

// Request records an export and queues its job in one transaction. While an
// identical export (same course, kind and options) is queued or running, it
// returns that one with existing=true instead of queuing another.
func (s *Service) Request(ctx context.Context, r Request) (e db.ExportView, existing bool, err error) {
	var exportID, existingJob int64
	errExisting := errors.New("existing")
	err = s.db.InTx(ctx, func(tx *db.Queries) error {
		var err error
		exportID, existingJob, err = s.RequestIn(ctx, tx, r)
		if err == nil && existingJob != 0 {
			return errExisting // roll back the new export row
		}
		return err
	})
	if errors.Is(err, errExisting) {
		e, err := s.db.ExportByJob(ctx, existingJob)
		return e, true, err
	}
	if err != nil {
		return db.ExportView{}, false, fmt.Errorf("exports: request: %w", err)
	}
	e, err = s.db.ExportByID(ctx, r.CourseID, exportID)
	return e, false, err
}

// RequestIn records an export and queues its job inside tx, the caller's
// transaction. When an identical export is queued or running it returns
// that one's job as existingJob, and the caller rolls back (or deletes the
// row exportID names).
func (s *Service) RequestIn(ctx context.Context, tx *db.Queries, r Request) (exportID, existingJob int64, err error) {
	if r.Kind == db.ExportBook {
		r.IncludeStdout, r.IncludeStatic, r.Scheduled = false, false, false
	}
	key := fmt.Sprintf("%s:course=%d:stdout=%t:static=%t", r.Kind, r.CourseID, r.IncludeStdout, r.IncludeStatic)
	if r.Scheduled {
		key += ":scheduled"
	}
	exportID, err = tx.InsertExport(ctx, db.Export{CourseID: r.CourseID, Kind: r.Kind, IncludeStdout: r.IncludeStdout,
		IncludeStatic: r.IncludeStatic, RequestedBy: r.UserID, CreatedAt: s.now(), Scheduled: r.Scheduled})
	if err != nil {
		return 0, 0, err
	}
	j, dup, err := s.runner.Enqueue(ctx, tx, r.Kind, args{ExportID: exportID}, jobs.EnqueueOptions{UniqueKey: key, MaxAttempts: 3})
	if err != nil {
		return 0, 0, err
	}
	if dup {
		return exportID, j.ID, nil
	}
	return exportID, 0, tx.SetExportJob(ctx, exportID, j.ID)
}

// Get returns an export of courseID; ErrNotFound for another course's.
func (s *Service) Get(ctx context.Context, courseID, exportID int64) (db.ExportView, error) {
	return s.db.ExportByID(ctx, courseID, exportID)
}

// List returns a course's exports of kind, newest first.
func (s *Service) List(ctx context.Context, courseID int64, kind string) ([]db.ExportView, error) {
	return s.db.Exports(ctx, courseID, kind, 100)
}

// Cancel stops a queued or running export.
func (s *Service) Cancel(ctx context.Context, e db.ExportView) (db.ExportView, error) {
	if e.JobID != 0 && !e.Final() {
		if _, err := s.runner.Cancel(ctx, e.JobID); err != nil {
			return e, fmt.Errorf("exports: cancel %d: %w", e.ID, err)
		}
	}
	return s.db.ExportByID(ctx, e.CourseID, e.ID)
}

// ErrNotRetryable is returned when retrying an export that did not fail.
var ErrNotRetryable = errors.New("only a failed or cancelled export can be retried")

// Retry queues a failed or cancelled export's job again.
func (s *Service) Retry(ctx context.Context, e db.ExportView) (db.ExportView, error) {
	if st := e.Status(); (st != db.ExportFailed && st != db.ExportCancelled) || e.JobID == 0 {
		return e, ErrNotRetryable
	}
	if _, err := s.runner.Retry(ctx, e.JobID); err != nil {
		if errors.Is(err, jobs.ErrDuplicate) {
			return e, fmt.Errorf("an identical export is already queued or running: %w", err)
		}
		return e, fmt.Errorf("exports: retry %d: %w", e.ID, err)
	}
	return s.db.ExportByID(ctx, e.CourseID, e.ID)
}

// Keep pins a ready export's file so it never expires, or lets it expire
// again after the usual time from now.
func (s *Service) Keep(ctx context.Context, e db.ExportView, keep bool) (db.ExportView, error) {
	if e.Status() != db.ExportReady {
		return e, ErrNotReady
	}
	f, err := s.files.GetByID(ctx, e.FileID)
	if err != nil {
		return e, fmt.Errorf("exports: keep %d: %w", e.ID, err)
	}
	if _, err := s.files.Pin(ctx, f, keep); err != nil {
		return e, fmt.Errorf("exports: keep %d: %w", e.ID, err)
	}
	return s.db.ExportByID(ctx, e.CourseID, e.ID)
}

// ErrNotReady is returned when keeping an export that has no file.
var ErrNotReady = errors.New("only a ready export can be kept")

// Delete removes an export, its file and, if it still runs, stops its job.
func (s *Service) Delete(ctx context.Context, e db.ExportView) error {
	if e.JobID != 0 && !e.Final() {
		if _, err := s.runner.Cancel(ctx, e.JobID); err != nil {
			return fmt.Errorf("exports: delete %d: %w", e.ID, err)
		}
	}
	if e.FileID != 0 {
		f, err := s.files.GetByID(ctx, e.FileID)
		if err == nil {
			err = s.files.Delete(ctx, f)
		}
		if err != nil && !errors.Is(err, files.ErrNotFound) {
			return fmt.Errorf("exports: delete file of %d: %w", e.ID, err)
		}
	}
	return s.db.InTx(ctx, func(tx *db.Queries) error { return tx.DeleteExport(ctx, e.ID) })
}

// ready tells s.notify, inside the transaction that finishes the export, that
// it is ready. Its error is logged: it never fails the export.
func (s *Service) ready(ctx context.Context, tx *db.Queries, courseID, exportID int64) {
	if s.notify == nil {
		return
	}
	err := tx.Guard(ctx, func() error {
		e, err := tx.ExportByID(ctx, courseID, exportID)
		if err != nil {
			return err
		}
		return s.notify(ctx, tx, e, "")
	})
	if err != nil {
		s.log.Error("after an export became ready", "export", exportID, "err", err)
	}
}

// Made is what a Maker reports about the file it wrote.
type Made struct {
	Filename    string
	ContentType string
	DataVersion int64 // the course data version the file was read from
}

// Maker writes one export's file to w, reporting progress.
type Maker func(ctx context.Context, e db.ExportView, w io.Writer, progress func(done, total int64, note string)) (Made, error)

// Handler returns the job handler for an export kind: it streams the file
// write writes to the file store (no second copy), pointing the export at the
// file in the same transaction. On any failure or cancel nothing of the file
// is left. A store that does not answer fails the attempt with "the file
// store did not answer: ..." and the job's backoff retries it.
func (s *Service) Handler(write Maker) jobs.Handler {
	return func(ctx context.Context, j *jobs.Job) error {
		var a args
		if err := j.Decode(&a); err != nil {
			return err
		}
		e, err := s.db.ExportByJob(ctx, j.ID)
		if errors.Is(err, db.ErrNotFound) {
			return jobs.Permanent(fmt.Errorf("the export was deleted"))
		}
		if err != nil {
			return err
		}
		// The bytes stream to the store as they are written (hashed on the
		// way), and the export points at the file in the row's transaction.
		// An archive whose course changed while it was read in short
		// transactions (db.ErrCourseChanged) is abandoned in the store and
		// made again; the last attempt reads in one transaction (see
		// ArchiveMaker).
		var f files.File
		for attempt := 1; ; attempt++ {
			actx := ctx
			if attempt > chunkedAttempts {
				actx = context.WithValue(ctx, readOnceKey{}, true)
			}
			f, err = s.files.Produce(actx, files.Input{Owner: files.Course(e.CourseID), Category: e.Kind, CreatedBy: e.RequestedBy, Pinned: e.Scheduled},
				func(w io.Writer, in *files.Input) error {
					made, err := write(actx, e, w, j.Progress)
					if err != nil {
						return err
					}
					in.Filename, in.ContentType = made.Filename, made.ContentType
					in.Link = func(tx *db.Queries, f files.File) error {
						if err := tx.FinishExport(ctx, e.ID, f.ID, made.DataVersion, s.now()); err != nil {
							return err
						}
						// Ready now: the same request from here on makes a new export.
						if err := tx.ReleaseJobUniqueKey(ctx, j.ID); err != nil {
							return err
						}
						if err := tx.InsertAuditEvent(ctx, db.AuditEvent{At: s.now(), UserID: e.RequestedBy, Action: "file.store",
							CourseID: e.CourseID, Subject: f.Filename, Detail: fmt.Sprintf("%s, %d bytes, sha256 %s", e.Kind, f.Size, f.SHA256)}); err != nil {
							return err
						}
						s.ready(ctx, tx, e.CourseID, e.ID)
						return nil
					}
					return nil
				})
			if !errors.Is(err, db.ErrCourseChanged) || attempt > chunkedAttempts {
				break
			}
			j.Progress(0, 0, "The course changed while it was read; starting again")
		}
		if errors.Is(err, syscall.ENOSPC) {
			return fmt.Errorf("the server's disk is full; free space in the data directory and retry (%w)", err)
		}
		if err != nil {
			if errors.Is(err, db.ErrNotFound) {
				return jobs.Permanent(fmt.Errorf("the export was deleted while it was being made"))
			}
			if errors.Is(err, files.ErrQuota) {
				return jobs.Permanent(err)
			}
			return err
		}
		s.log.Info("export ready", "export", e.ID, "kind", e.Kind, "file", f.Filename, "bytes", f.Size)
		return nil
	}
}
