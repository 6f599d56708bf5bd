// Package imports restores uploaded course archives in the background: it
// keeps the upload privately, queues the job and runs jobs/restore on it.
package imports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs"
	"coursevault/jobs/restore"
)

// Kind is the job kind of an import.
const Kind = "course-import"

// Uploads are kept in the file store under this owner and category,
// which no download policy admits, and expire if the job never ran.
const (
	uploadOwnerType = "site"
	uploadTTL       = 24 * time.Hour
)

// MaxUpload is the largest archive the Import page accepts.
const MaxUpload = 8 << 30

// Service uploads archives and restores them.
type Service struct {
	db     *db.DB
	runner *jobs.Runner
	files  *files.Service
	log    *slog.Logger
}

// New returns the service and registers its job handler on runner.
func New(d *db.DB, runner *jobs.Runner, fs *files.Service, log *slog.Logger) *Service {
	s := &Service{db: d, runner: runner, files: fs, log: log}
	runner.Handle(Kind, s.handle)
	return s
}

type args struct {
	ImportID int64 `json:"import_id"`
}

// Upload stores an uploaded archive and queues its import, as user by, under
// code ("" keeps the archive's code).
func (s *Service) Upload(ctx context.Context, by int64, filename, code string, r io.Reader) (db.ImportView, error) {
	f, err := s.files.Store(ctx, files.Input{Owner: files.Owner{Type: uploadOwnerType}, Category: files.ImportUpload,
		Filename: filename, ContentType: "application/zip", CreatedBy: by, TTL: uploadTTL}, r)
	if err != nil {
		return db.ImportView{}, fmt.Errorf("imports: store upload: %w", err)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Queries) error {
		if id, err = tx.InsertImport(ctx, db.Import{FileID: f.ID, Filename: f.Filename, Code: code, RequestedBy: by, CreatedAt: time.Now()}); err != nil {
			return err
		}
		j, _, err := s.runner.Enqueue(ctx, tx, Kind, args{ImportID: id}, jobs.EnqueueOptions{MaxAttempts: 2})
		if err != nil {
			return err
		}
		return tx.SetImportJob(ctx, id, j.ID)
	})
	if err != nil {
		s.files.Delete(ctx, f)
		return db.ImportView{}, fmt.Errorf("imports: queue: %w", err)
	}
	return s.db.ImportByID(ctx, id)
}

// Get returns an import.
func (s *Service) Get(ctx context.Context, id int64) (db.ImportView, error) {
	return s.db.ImportByID(ctx, id)
}

// List returns the newest imports.
func (s *Service) List(ctx context.Context) ([]db.ImportView, error) { return s.db.Imports(ctx, 50) }

// handle restores the uploaded archive and then removes the upload. A refused
// archive fails at once with the reason; it will not improve on retry.
func (s *Service) handle(ctx context.Context, j *jobs.Job) error {
	var a args
	if err := j.Decode(&a); err != nil {
		return err
	}
	im, err := s.db.ImportByJob(ctx, j.ID)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("the import was deleted: %w", err))
	}
	if im.FileID == 0 {
		return jobs.Permanent(errors.New("the uploaded archive is gone (it expires after a day); upload it again"))
	}
	f, err := s.files.GetByID(ctx, im.FileID)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("the uploaded archive is gone: %w", err))
	}
	r, err := s.files.Open(ctx, f)
	if err != nil {
		return err
	}
	defer r.Close()
	res, err := restore.Import(ctx, s.db, s.files, r, f.Size, restore.Options{Code: im.Code, By: im.RequestedBy, Progress: j.Progress,
		Owner: fmt.Sprint("import ", im.ID)}) // a retry removes what a killed attempt left
	if err != nil {
		if errors.Is(err, restore.ErrRefused) {
			return jobs.Permanent(err)
		}
		return err
	}
	j.Progress(1, 1, fmt.Sprintf("Imported as %s: %d members, %d assignments, %d submissions, %d static files",
		res.Code, res.Members, res.Assignments, res.Submissions, res.StaticFiles))
	if err := s.db.InTx(ctx, func(tx *db.Queries) error { return tx.FinishImport(ctx, im.ID, res.CourseID) }); err != nil {
		return jobs.Permanent(fmt.Errorf("the course was imported (id %d) but could not be linked to the import: %w", res.CourseID, err))
	}
	if err := s.files.Delete(ctx, f); err != nil {
		s.log.Warn("remove imported upload", "file", f.ID, "err", err)
	}
	return nil
}
