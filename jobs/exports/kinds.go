package exports

import (
	"context"
	"fmt"
	"io"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/archive"
	"coursevault/jobs/perfbook"
)

// chunkedAttempts is how many times an archive is read in short transactions
// (db.CourseReader) before falling back to one long transaction.
const chunkedAttempts = 2

// readOnceKey in a Maker's context asks for the last attempt's single read
// transaction.
type readOnceKey struct{}

// ArchiveMaker makes course archives: every table read at one state of the
// course, static files' bytes from the file store.
//
// The rows are read with a db.CourseReader: short read transactions, all at
// the data version of the first, so the WAL can be checkpointed while a long
// archive is written (see db/course_reader.go). When the course's own data
// changes meanwhile, the maker fails with db.ErrCourseChanged and the Handler
// abandons the file so far and makes it again; after chunkedAttempts the
// Handler marks the context (readOnceKey) and the read is one transaction
// from start to end, as before CourseReader: consistent whatever is written,
// at the cost of a WAL that grows while it runs. Every archive is one state of
// the course, recorded as its data version: "Up to date" shows whether the
// course has moved on since.
func ArchiveMaker(d *db.DB, fs *files.Service, appVersion string, tz *time.Location, now func() time.Time) Maker {
	return archiveMaker(d, fs, appVersion, tz, now, db.DefaultChunk)
}

func archiveMaker(d *db.DB, fs *files.Service, appVersion string, tz *time.Location, now func() time.Time, chunk time.Duration) Maker {
	return func(ctx context.Context, e db.ExportView, w io.Writer, progress func(done, total int64, note string)) (Made, error) {
		by := archive.Person{Name: "Scheduled backup"}
		if !e.Scheduled {
			requester, err := d.UserByID(ctx, e.RequestedBy)
			if err != nil {
				return Made{}, fmt.Errorf("the user who asked for the export: %w", err)
			}
			by = archive.Person{ID: requester.ID, Email: requester.Email, Name: requester.Name}
		}
		write := func(q archive.Reader) (Made, error) {
			c, err := q.CourseByID(ctx, e.CourseID)
			if err != nil {
				return Made{}, err
			}
			at := now()
			src := archive.Source{Q: q, CourseID: e.CourseID, OpenFile: fs.OpenByID}
			opts := archive.Options{IncludeStdout: e.IncludeStdout, IncludeStaticFiles: e.IncludeStatic, AppVersion: appVersion,
				GeneratedBy: by, Now: at}
			m, err := archive.Write(ctx, w, src, opts, progress)
			if err != nil {
				return Made{}, err
			}
			return Made{Filename: archive.Filename(c.Code, c.Term, at.In(tz)), ContentType: "application/zip", DataVersion: m.Course.DataVersion}, nil
		}
		if ctx.Value(readOnceKey{}) == nil {
			return write(d.CourseReader(e.CourseID, chunk))
		}
		var made Made
		err := d.ReadTx(ctx, func(tx *db.Queries) error {
			var err error
			made, err = write(tx)
			return err
		})
		return made, err
	}
}

// BookMaker makes performance-book workbooks, named and dated in the school's zone.
func BookMaker(d *db.DB, tz *time.Location, now func() time.Time) Maker {
	return func(ctx context.Context, e db.ExportView, w io.Writer, progress func(done, total int64, note string)) (Made, error) {
		requester, err := d.UserByID(ctx, e.RequestedBy)
		if err != nil {
			return Made{}, fmt.Errorf("the user who asked for the export: %w", err)
		}
		progress(0, 2, "Reading scores")
		var book perfbook.Book
		if err := d.ReadTx(ctx, func(tx *db.Queries) error {
			book, err = perfbook.Load(ctx, tx, e.CourseID)
			return err
		}); err != nil {
			return Made{}, err
		}
		progress(1, 2, fmt.Sprintf("Writing the workbook (%d students)", len(book.Students)))
		at := now().In(tz)
		if err := perfbook.Write(w, book, perfbook.Meta{GeneratedAt: at, GeneratedBy: requester.Name}); err != nil {
			return Made{}, err
		}
		progress(2, 2, "Saving")
		return Made{
			Filename:    perfbook.Filename(book.Course.Name, at),
			ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			DataVersion: book.Course.DataVersion,
		}, nil
	}
}

// Register installs the handlers of both export kinds on the service's runner.
func (s *Service) Register(appVersion string, tz *time.Location) {
	s.runner.Handle(db.ExportArchive, s.Handler(ArchiveMaker(s.db, s.files, appVersion, tz, s.now)))
	s.runner.Handle(db.ExportBook, s.Handler(BookMaker(s.db, tz, s.now)))
}
