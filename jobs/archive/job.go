package archive

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs"
)

// Kind is the job kind that builds course archives.
const Kind = "course-archive"

// Args are the arguments of a Kind job: the export row it fills in.
type Args struct {
	CourseID int64 `json:"course_id"`
	ExportID int64 `json:"export_id"`
}

// Job builds course archives for the job runner.
type Job struct {
	DB         *db.DB
	Files      *files.Service
	AppVersion string
	Now        func() time.Time // nil: time.Now
}

// Handle is the jobs.Handler of Kind: it writes the archive of the export's
// course into a temp file in the attachment directory, with progress, then
// adopts it (a rename, no copy) as the export's course-archive file. On
// failure or cancel the temp file is removed; a killed process leaves it to
// the file store's start-up sweep.
func (a *Job) Handle(ctx context.Context, j *jobs.Job) error {
	var args Args
	if err := j.Decode(&args); err != nil {
		return err
	}
	_, err := a.Build(ctx, args, j.Progress)
	return err
}

// Build is Handle without the job row: it makes the archive of args' export
// and returns its file.
func (a *Job) Build(ctx context.Context, args Args, progress func(done, total int64, note string)) (files.File, error) {
	exp, err := a.DB.ExportByID(ctx, args.CourseID, args.ExportID)
	if errors.Is(err, db.ErrNotFound) {
		return files.File{}, jobs.Permanent(fmt.Errorf("the export was deleted before it was made"))
	}
	if err != nil {
		return files.File{}, err
	}
	by := Person{}
	if exp.RequestedBy != 0 {
		if u, err := a.DB.UserByID(ctx, exp.RequestedBy); err == nil {
			by = Person{ID: u.ID, Email: u.Email, Name: u.Name}
		}
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}

	tmp, err := a.Files.CreateTemp()
	if err != nil {
		return files.File{}, fmt.Errorf("archive: temp file: %w", err)
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, h), 256<<10)
	var m Manifest
	err = a.DB.ReadTx(ctx, func(tx *db.Queries) error {
		src := Source{Q: tx, CourseID: args.CourseID, OpenFile: a.openFile}
		var err error
		m, err = Write(ctx, bw, src, Options{
			IncludeStdout: exp.IncludeStdout, IncludeStaticFiles: exp.IncludeStatic,
			AppVersion: a.AppVersion, GeneratedBy: by, Now: now,
		}, progress)
		return err
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		a.Files.Discard(tmp)
		return files.File{}, err
	}
	f, err := a.Files.Adopt(ctx, files.Input{
		Owner:       files.Course(args.CourseID),
		Category:    files.CourseArchive,
		Filename:    Filename(m.Course.Code, m.Course.Term, now),
		ContentType: "application/zip",
		CreatedBy:   exp.RequestedBy,
		SHA256:      hex.EncodeToString(h.Sum(nil)),
		Link: func(tx *db.Queries, f files.File) error {
			return tx.FinishExport(ctx, exp.ID, f.ID, m.Course.DataVersion, now)
		},
	}, tmp)
	if errors.Is(err, db.ErrNotFound) {
		return files.File{}, jobs.Permanent(fmt.Errorf("the export was deleted while it was being made"))
	}
	if err != nil {
		return files.File{}, fmt.Errorf("archive: store: %w", err)
	}
	return f, nil
}

func (a *Job) openFile(ctx context.Context, fileID int64) (io.ReadCloser, error) {
	f, err := a.Files.GetByID(ctx, fileID)
	if err != nil {
		return nil, err
	}
	return a.Files.Open(ctx, f)
}
