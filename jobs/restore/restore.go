// Package restore imports a course archive (package jobs/archive) as a new
// course: it checks the whole archive before writing, then writes the course
// hidden, in short transactions, and shows it only once all of it is in.
package restore

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/archive"
)

var (
	// ErrRefused matches every error that refuses the archive itself
	// (damaged, hostile, malformed, inconsistent, or its code taken), as
	// opposed to a failure of this instance (disk, database, cancellation).
	// Its message is meant for the user as it stands.
	ErrRefused = errors.New("archive refused")
	// ErrNewerFormat: the archive was made by a newer coursevault.
	ErrNewerFormat = errors.New("archive made by a newer coursevault")
	// ErrCodeTaken: a course with the archive's (or the chosen) code exists.
	ErrCodeTaken = errors.New("course code taken")
)

// PendingOwnerType owns the static files an import has stored but not yet
// committed. They carry an expiry (PendingTTL): if the import is killed
// before its last transaction commits, the janitor deletes them like any
// expired file; that transaction makes them the course's own and pinned.
const (
	PendingOwnerType = "course-import"
	PendingTTL       = 24 * time.Hour
)

// Rows go in by batches of batchRows rows, fewer when their text passes
// batchBytes: each batch is one transaction of some tens of milliseconds, so
// web requests and job heartbeats wait at most that long for the writer.
// Each batch renews the hidden course's lease (restoreLease); a course whose
// lease ran out was left by an import that died, and RemoveAbandoned removes it.
const (
	batchRows    = 500
	batchBytes   = 2 << 20
	batchesAhead = 1 // parsed and waiting while one is written
	restoreLease = 10 * time.Minute
)

// Options are the choices of one import.
type Options struct {
	Code     string    // the new course's code; "" keeps the archive's
	Now      time.Time // created_at of new users and the audit event; zero means time.Now()
	By       int64     // user id of who imports (0: the command line)
	Limits   archive.Limits
	Progress func(done, total int64, note string) // may be nil; called every few hundred rows
	// Owner names this import for its hidden course: an import with the
	// owner of one that died removes what that one left (the import job
	// gives its import's id). "" is a one-off name.
	Owner string
}

// Result is what an import created.
type Result struct {
	CourseID         int64
	Code, Name, Term string
	Periods          int64
	Members          int64
	UsersCreated     int64 // new, disabled, without a password
	UsersMatched     int64 // existing users, matched by email
	Assignments      int64
	Submissions      int64
	BuildResults     int64
	TestResults      int64
	Scores           int64
	StaticFiles      int64
	StaticBytes      int64
	// StaticFilesWithoutBytes are listed in static_files.json but were left
	// out of the archive (exported without static files): not restored.
	StaticFilesWithoutBytes int64
	Manifest                archive.Manifest
}

// refusal marks an error as the archive's fault; it reads as the error itself.
type refusal struct{ err error }

func (r refusal) Error() string   { return r.err.Error() }
func (r refusal) Unwrap() []error { return []error{ErrRefused, r.err} }

type codeTaken struct {
	code      string
	importing bool // by another import, not finished yet
}

func (e codeTaken) Error() string {
	if e.importing {
		return fmt.Sprintf("another import is writing a course with code %s (if that import was stopped, what it wrote is removed %d minutes after its last write); wait, or use --code to import under another code",
			e.code, int(restoreLease.Minutes()))
	}
	return fmt.Sprintf("a course with code %s already exists; use --code to import under another code", e.code)
}
func (e codeTaken) Is(target error) bool { return target == ErrCodeTaken }

// Import restores the archive in r (size bytes) as a new course. It verifies
// the archive (what archive.VerifyLimits checks: format version, names,
// sizes, checksums, bomb limits, data files being JSON arrays of objects
// with the rows the manifest says; then no links or special entries) and
// checks each row's shape and every reference, every data file's
// verification and check being done by its first read (see openArchive).
// All but the build and test results are read before anything is written;
// those two (most of a big archive's bytes) are checked on their one read,
// as they are written (checkedOnWrite). It stores the static files' bytes
// (pending, see PendingOwnerType) and writes the rows in batches into a
// hidden course, shown by the last transaction. If anything fails, or a
// result row is refused, the course and the stored files are deleted again
// and nothing remains; if the process dies, the hidden course is removed by
// RemoveAbandoned or the next import with the same Owner. Errors that refuse
// the archive match ErrRefused.
func Import(ctx context.Context, d *db.DB, fs *files.Service, r io.ReaderAt, size int64, opts Options) (Result, error) {
	lim := opts.Limits
	if lim == (archive.Limits{}) {
		lim = archive.DefaultLimits
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	owner := opts.Owner
	if owner == "" {
		owner = "one-off " + rand.Text()
	}
	im := &importer{ctx: ctx, d: d, fs: fs, opts: opts, now: now.UTC(), owner: owner, maxRatio: lim.MaxRatio}
	im.note("Checking the archive")
	m, byName, err := openArchive(r, size, lim)
	if err != nil {
		return Result{}, refusal{err}
	}
	im.m, im.res.Manifest, im.byName = m, m, byName
	im.entries = make(map[string]archive.Entry, len(m.Entries))
	for _, e := range m.Entries {
		im.entries[e.Path] = e
		if strings.HasPrefix(e.Path, "data/") {
			im.total += e.Rows
		}
	}
	if err := im.check(); err != nil {
		return Result{}, im.refuse(err)
	}
	im.checked = true
	if err := removeAbandoned(ctx, d, time.Now(), owner); err != nil {
		return Result{}, fmt.Errorf("restore: %w", err)
	}
	code := strings.TrimSpace(opts.Code)
	if code == "" {
		code = im.course.Code
	}
	if _, err := d.CourseByCode(ctx, code); err == nil {
		return Result{}, refusal{codeTaken{code: code}}
	} else if !errors.Is(err, db.ErrNotFound) {
		return Result{}, fmt.Errorf("restore: %w", err)
	}

	stored, err := im.storeStatic()
	if err == nil {
		err = im.insert(code, stored)
	}
	if err != nil {
		im.discard(stored)
		return Result{}, im.refuse(err)
	}
	im.report(true)
	return im.res, nil
}

// refuse marks err as a refusal unless it is this instance's failure.
func (im *importer) refuse(err error) error {
	var se *ShapeError
	var ct codeTaken
	var qe *files.QuotaError
	switch {
	case errors.As(err, &se), errors.As(err, &ct), errors.As(err, &qe), errors.Is(err, errArchive):
		return refusal{err}
	case im.ctx.Err() != nil:
		return fmt.Errorf("restore: %w", im.ctx.Err())
	}
	return fmt.Errorf("restore: %w", err)
}

// errArchive marks what reading an entry found wrong with the archive's
// bytes (see archiveError).
var errArchive = errors.New("archive")

// archiveError is an archive error found while reading an entry (damaged,
// changed since it was checked, a bomb, a wrong row count); it reads as err
// and matches errArchive.
type archiveError struct{ err error }

func (e archiveError) Error() string   { return e.err.Error() }
func (e archiveError) Unwrap() []error { return []error{errArchive, e.err} }

// importer is the state of one Import.
type importer struct {
	ctx   context.Context
	d     *db.DB
	fs    *files.Service
	opts  Options
	now   time.Time
	owner string // of the hidden course (Options.Owner)

	maxRatio int64 // Limits.MaxRatio, for each entry read
	m        archive.Manifest
	byName   map[string]*zip.File
	entries  map[string]archive.Entry

	// what the check found, for the insert
	checked bool // the check passed: the data files it read are verified, valid JSON
	course  courseRow
	statics []staticFileRow

	ckpt        *db.Checkpointer // of the insert, between its batches
	res         Result
	done, total int64
	stage       string
}

// open opens a listed entry, its bytes checked against the manifest as
// they are read (archive.EntryReader).
func (im *importer) open(name string) (*archive.EntryReader, error) {
	f, e := im.byName[name], im.entries[name]
	if f == nil {
		return nil, archiveError{fmt.Errorf("archive: entry %s is missing", name)}
	}
	er, err := archive.OpenEntry(f, e, im.maxRatio)
	if err != nil {
		return nil, archiveError{err}
	}
	return er, nil
}

// table streams a data file's rows through parse and then fn (readRows),
// reporting progress as it goes.
func table[T any](im *importer, name string, parse func(r *row) T, fn func(r *row, v T) error) error {
	n := 0
	return readRows(im, im.ctx, name, parse, func(r *row, v T) error {
		if err := fn(r, v); err != nil {
			return err
		}
		if n++; n%256 == 0 {
			im.report(false)
		}
		return nil
	})
}

// checkedOnWrite are the data files check leaves to insert: the two largest
// (hundreds of MB of output in a big course), which refer only to
// submissions, are verified and checked on their one read, as they are
// written into the hidden course.
var checkedOnWrite = map[string]bool{"data/build_results.json": true, "data/test_results.json": true}

// readRows streams a data file's rows through parse and then fn, checking
// ctx every few hundred rows. The entry is decompressed and hashed ahead,
// on a goroutine of its own (readAhead). The first read of each file (by
// check, or by insert for checkedOnWrite) is also its verification: if a
// row is refused, the rest of the file is read, so damaged bytes are
// reported as damaged rather than as a bad row (as archive.VerifyEntry
// does), and at the end the number of rows must be the manifest's.
// readRows reports no progress: inBatches runs it on a goroutine of its own.
func readRows[T any](im *importer, ctx context.Context, name string, parse func(r *row) T, fn func(r *row, v T) error) error {
	er, err := im.open(name)
	if err != nil {
		return err
	}
	defer er.Close()
	ahead := readAhead(er)
	var n int64
	verify := !im.checked || checkedOnWrite[name]
	err = eachRow(name, ahead, verify, !im.checked, func(r *row) error {
		v := parse(r)
		if r.err != nil {
			return r.err
		}
		if err := fn(r, v); err != nil {
			return err
		}
		if n++; n%256 == 0 {
			return ctx.Err()
		}
		return nil
	})
	ahead.Close()
	if err != nil && verify && ctx.Err() == nil {
		er.Finish() // the bytes decide first
	}
	switch {
	case er.Err() != nil:
		return archiveError{er.Err()}
	case err == nil && verify && n != im.entries[name].Rows:
		return archiveError{fmt.Errorf("archive: entry %s: %d rows, manifest says %d", name, n, im.entries[name].Rows)}
	}
	return err
}

func (im *importer) note(stage string) {
	im.stage = stage
	im.report(true)
}

func (im *importer) report(always bool) {
	if im.opts.Progress != nil && (always || im.done%256 == 0) {
		im.opts.Progress(im.done, im.total, im.stage)
	}
}

// storeStatic stores the bytes of every static file the archive holds, as
// pending files (see PendingOwnerType), before the transaction: storing
// takes the single writer connection itself. It returns what it stored even
// on failure, so the caller can delete it.
func (im *importer) storeStatic() ([]storedFile, error) {
	var stored []storedFile
	for _, sf := range im.statics {
		if sf.ArchivePath == nil {
			im.res.StaticFilesWithoutBytes++
			continue
		}
		im.note("Storing static file " + sf.Path)
		er, err := im.open(*sf.ArchivePath)
		if err != nil {
			return stored, err
		}
		f, err := im.fs.Store(im.ctx, files.Input{
			Owner: files.Owner{Type: PendingOwnerType}, Category: files.CourseStatic,
			Filename: sf.Filename, ContentType: sf.ContentType, CreatedBy: im.opts.By, TTL: PendingTTL,
		}, er)
		er.Close()
		if er.Err() != nil {
			err = archiveError{er.Err()}
		}
		if err != nil {
			return stored, fmt.Errorf("static file %s: %w", sf.Path, err)
		}
		stored = append(stored, storedFile{file: f, row: sf})
		if f.SHA256 != sf.SHA256 || f.Size != sf.Size {
			return stored, fmt.Errorf("%w: static file %s: stored %d bytes with sha256 %s, static_files.json says %d bytes, %s",
				errArchive, sf.Path, f.Size, f.SHA256, sf.Size, sf.SHA256)
		}
	}
	return stored, nil
}

type storedFile struct {
	file files.File
	row  staticFileRow
}

// discard deletes the course and the files written by a failed import. It
// runs even when ctx was cancelled (that may be why the import failed). What
// it cannot delete is left to RemoveAbandoned and the files' expiry.
func (im *importer) discard(stored []storedFile) {
	ctx := context.WithoutCancel(im.ctx)
	if im.res.CourseID != 0 {
		removeCourse(ctx, im.d, im.res.CourseID)
	}
	for _, s := range stored {
		im.fs.Delete(ctx, s.file)
	}
}

// inBatches streams a data file's rows into the database: every batchRows
// rows (or batchBytes of their text, as size tells; nil for none) it writes
// them with write in one transaction that also renews the course's lease.
// The batch is a bulk write (db.InBulkTx): the course's data_version moves
// once per batch, not once per row; the course is hidden until the import's
// end, so nobody reads it in between. The rows are read and parsed on a
// goroutine of their own, a batch ahead of the writing (batchesAhead), so
// reading the archive runs beside SQLite. It returns the number of rows
// written.
func inBatches[T any](im *importer, name string, parse func(r *row) T, size func(T) int, write func(tx *db.Queries, rows []T) error) (int64, error) {
	ctx, cancel := context.WithCancel(im.ctx)
	defer cancel()
	full := make(chan []T, batchesAhead)
	var readErr error
	go func() {
		defer close(full)
		var batch []T
		var bytes int
		send := func() error {
			select {
			case full <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch, bytes = make([]T, 0, batchRows), 0
			return nil
		}
		readErr = readRows(im, ctx, name, parse, func(_ *row, v T) error {
			batch = append(batch, v)
			if size != nil {
				bytes += size(v)
			}
			if len(batch) >= batchRows || bytes >= batchBytes {
				return send()
			}
			return nil
		})
		if readErr == nil && len(batch) > 0 {
			readErr = send()
		}
	}()
	var written int64
	var err error
	for batch := range full {
		if err != nil {
			continue // until the reader stops
		}
		err = im.d.InBulkTx(im.ctx, im.res.CourseID, func(tx *db.Queries) error {
			if err := write(tx, batch); err != nil {
				return err
			}
			err := tx.RenewRestore(im.ctx, im.res.CourseID, time.Now().Add(restoreLease))
			if errors.Is(err, db.ErrNotFound) {
				return fmt.Errorf("the course was removed as abandoned: the import wrote nothing for %d minutes", int(restoreLease.Minutes()))
			}
			return err
		})
		if err == nil {
			err = im.ckpt.Committed()
		}
		if err != nil {
			cancel()
			continue
		}
		written += int64(len(batch))
		im.done += int64(len(batch))
		im.report(true)
	}
	if err != nil {
		return written, err
	}
	return written, readErr
}

// RemoveAbandoned removes the hidden courses of imports that died (their
// lease ran out before now), with the users they created. The janitor runs it;
// each import runs it too before it starts.
func RemoveAbandoned(ctx context.Context, d *db.DB, now time.Time) error {
	return removeAbandoned(ctx, d, now, "")
}

func removeAbandoned(ctx context.Context, d *db.DB, now time.Time, owner string) error {
	ids, err := d.AbandonedRestores(ctx, now, owner)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := removeCourse(ctx, d, id); err != nil {
			return err
		}
	}
	return nil
}

// removeCourse deletes a hidden course an assignment at a time (each with
// its submissions, results and scores), then the rest, so no transaction
// holds the writer for long.
func removeCourse(ctx context.Context, d *db.DB, courseID int64) error {
	assignments, err := d.RestoreAssignments(ctx, courseID)
	if err != nil {
		return err
	}
	for _, a := range assignments {
		if err := d.InTx(ctx, func(tx *db.Queries) error { return tx.DeleteRestoreAssignment(ctx, courseID, a) }); err != nil {
			return err
		}
	}
	return d.InTx(ctx, func(tx *db.Queries) error { return tx.DeleteRestore(ctx, courseID) })
}
