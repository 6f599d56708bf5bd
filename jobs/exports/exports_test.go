package exports

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/demo"
	"coursevault/db/files"
	"coursevault/db/files/filestest"
	"coursevault/jobs"
	"coursevault/jobs/archive"
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

type fixture struct {
	d      *db.DB
	files  *files.Service
	runner *jobs.Runner
	ex     *Service
	admin  int64
}

// newFixture builds the services on a small demo, as serve wires them, with a
// runner driven by Drain.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t)
	fs, err := files.New(d, filepath.Join(t.TempDir(), "attachments"), files.Options{Blobs: filestest.Blobs(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = demo.Generate(ctx, d, demo.Options{Seed: 3, Courses: 2, Students: 8, Assignments: 3, SubmissionsPerStudent: 1,
		StdoutBytes: 512, StaticFiles: 2, Static: func(ctx context.Context, courseID int64, path string, content []byte) error {
			_, err := fs.AddStatic(ctx, courseID, path, bytes.NewReader(content))
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runner := jobs.New(d, jobs.Options{Logger: log})
	ex := New(d, runner, fs, func() time.Time { return testNow }, log)
	u, err := d.UserByEmail(ctx, "instructor@demo.test")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{d: d, files: fs, runner: runner, ex: ex, admin: u.ID}
}

func (f *fixture) request(t *testing.T, kind string) db.ExportView {
	t.Helper()
	e, _, err := f.ex.Request(context.Background(), Request{CourseID: 1, UserID: f.admin, Kind: kind, IncludeStdout: true, IncludeStatic: true})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (f *fixture) drain(t *testing.T) {
	t.Helper()
	if err := f.runner.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestArchiveExport_storesAVerifiableFileForTheExport(t *testing.T) {
	f := newFixture(t)
	f.ex.Register("test", time.UTC)
	e := f.request(t, db.ExportArchive)
	f.drain(t)
	ctx := context.Background()
	e, err := f.ex.Get(ctx, 1, e.ID)
	if err != nil || e.Status() != db.ExportReady {
		t.Fatalf("export %s: %v %s", e.Status(), err, e.LastError)
	}
	file, err := f.files.GetByID(ctx, e.FileID)
	if err != nil {
		t.Fatal(err)
	}
	if file.Category != files.CourseArchive || file.Owner != files.Course(1) || file.CreatedBy != f.admin ||
		!strings.HasSuffix(file.Filename, "_export_20260304-050607.zip") || file.ContentType != "application/zip" {
		t.Errorf("stored file = %+v", file)
	}
	rc, err := f.files.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	m, err := archive.Verify(rc, file.Size)
	if err != nil {
		t.Fatal(err)
	}
	if m.GeneratedBy.ID != f.admin || !m.Options.IncludeStdout || e.DataVersion != m.Course.DataVersion || file.SHA256 == "" {
		t.Errorf("manifest %+v %+v; export data version %d", m.GeneratedBy, m.Options, e.DataVersion)
	}
}

func TestBookExport_storesAWorkbook(t *testing.T) {
	f := newFixture(t)
	f.ex.Register("test", time.UTC)
	e := f.request(t, db.ExportBook)
	if e.IncludeStdout || e.IncludeStatic {
		t.Error("a workbook export kept archive options")
	}
	f.drain(t)
	e, _ = f.ex.Get(context.Background(), 1, e.ID)
	if e.Status() != db.ExportReady || !strings.HasSuffix(e.Filename, "_Performance_20260304-050607.xlsx") {
		t.Fatalf("export %s %q: %s", e.Status(), e.Filename, e.LastError)
	}
}

func TestRequest_identicalPendingExportIsReturned(t *testing.T) {
	f := newFixture(t)
	first := f.request(t, db.ExportArchive)
	again, existing, err := f.ex.Request(context.Background(), Request{CourseID: 1, UserID: f.admin, Kind: db.ExportArchive, IncludeStdout: true, IncludeStatic: true})
	if err != nil || !existing || again.ID != first.ID {
		t.Fatalf("second request: %v existing=%v id %d, want %d", err, existing, again.ID, first.ID)
	}
	if list, _ := f.ex.List(context.Background(), 1, db.ExportArchive); len(list) != 1 {
		t.Fatalf("%d exports, want 1", len(list))
	}
}

// Between the moment its file is linked and the moment the runner records its
// job's success, an export is ready but its job still runs: a request for the
// same export then is a new export, not the finished one (API: 202, not 200).
func TestRequest_readyExportIsNotReturnedAsPending(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	same := Request{CourseID: 1, UserID: f.admin, Kind: db.ExportArchive, IncludeStdout: true, IncludeStatic: true}
	handle := f.ex.Handler(ArchiveMaker(f.d, f.files, "test", time.UTC, time.Now))
	var again db.ExportView
	var existing bool
	f.runner.Handle(db.ExportArchive, func(ctx context.Context, j *jobs.Job) error {
		if err := handle(ctx, j); err != nil {
			return err
		}
		var err error
		again, existing, err = f.ex.Request(ctx, same)
		return err
	})
	first := f.request(t, db.ExportArchive)
	if ran, err := f.runner.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	if first, _ = f.ex.Get(ctx, 1, first.ID); first.Status() != db.ExportReady {
		t.Fatalf("first export is %s, want ready", first.Status())
	}
	if existing || again.ID == first.ID || again.Status() != db.ExportQueued {
		t.Errorf("request after the file was linked: export %d (%s) existing=%v; want a new queued export", again.ID, again.Status(), existing)
	}
}

func TestHandler_cancelMidJobLeavesNoFile(t *testing.T) {
	f := newFixture(t)
	write := ArchiveMaker(f.d, f.files, "test", time.UTC, time.Now)
	f.runner.Handle(db.ExportArchive, f.ex.Handler(func(ctx context.Context, e db.ExportView, w io.Writer, progress func(int64, int64, string)) (Made, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		return write(ctx, e, w, func(done, total int64, note string) {
			if strings.HasPrefix(note, "Writing test results") {
				cancel()
			}
			progress(done, total, note)
		})
	}))
	before := filestest.Keys(t, f.files.Blobs())
	e := f.request(t, db.ExportArchive)
	f.drain(t)
	if after := filestest.Keys(t, f.files.Blobs()); !slices.Equal(before, after) {
		t.Errorf("attachment dir changed: %v -> %v", before, after)
	}
	if e, _ = f.ex.Get(context.Background(), 1, e.ID); e.FileID != 0 || e.Status() == db.ExportReady {
		t.Errorf("export after cancel: %s file %d", e.Status(), e.FileID)
	}
}

func TestHandler_deletedExportFailsForGood(t *testing.T) {
	f := newFixture(t)
	f.ex.Register("test", time.UTC)
	e := f.request(t, db.ExportArchive)
	ctx := context.Background()
	if err := f.d.InTx(ctx, func(tx *db.Queries) error { return tx.DeleteExport(ctx, e.ID) }); err != nil {
		t.Fatal(err)
	}
	f.drain(t)
	j, err := f.d.GetJob(ctx, e.JobID)
	if err != nil || j.State != db.JobFailed || !strings.Contains(j.LastError, "deleted") {
		t.Fatalf("job %s %q %v", j.State, j.LastError, err)
	}
}

func TestRetry_onlyFailedOrCancelled(t *testing.T) {
	f := newFixture(t)
	f.ex.Register("test", time.UTC)
	e := f.request(t, db.ExportArchive)
	ctx := context.Background()
	if _, err := f.ex.Retry(ctx, e); !errors.Is(err, ErrNotRetryable) {
		t.Fatalf("retry of a queued export: %v", err)
	}
	e, err := f.ex.Cancel(ctx, e)
	if err != nil || e.Status() != db.ExportCancelled {
		t.Fatalf("cancel: %v %s", err, e.Status())
	}
	if e, err = f.ex.Retry(ctx, e); err != nil || e.Status() != db.ExportQueued {
		t.Fatalf("retry: %v %s", err, e.Status())
	}
	f.drain(t)
	if e, _ = f.ex.Get(ctx, 1, e.ID); e.Status() != db.ExportReady {
		t.Fatalf("after retry: %s", e.Status())
	}
}

func TestDelete_removesRowAndBytes(t *testing.T) {
	f := newFixture(t)
	f.ex.Register("test", time.UTC)
	e := f.request(t, db.ExportArchive)
	f.drain(t)
	ctx := context.Background()
	e, _ = f.ex.Get(ctx, 1, e.ID)
	before := filestest.Keys(t, f.files.Blobs())
	if err := f.ex.Delete(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ex.Get(ctx, 1, e.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("export after delete: %v", err)
	}
	if after := filestest.Keys(t, f.files.Blobs()); len(after) != len(before)-1 {
		t.Fatalf("files %v -> %v, want one fewer", before, after)
	}
}

func TestExpiredFileShowsExpired(t *testing.T) {
	f := newFixture(t)
	f.ex.Register("test", time.UTC)
	e := f.request(t, db.ExportArchive)
	f.drain(t)
	ctx := context.Background()
	e, _ = f.ex.Get(ctx, 1, e.ID)
	file, _ := f.files.GetByID(ctx, e.FileID)
	if err := f.files.Delete(ctx, file); err != nil { // what the janitor does on expiry
		t.Fatal(err)
	}
	if e, _ = f.ex.Get(ctx, 1, e.ID); e.Status() != db.ExportExpired {
		t.Fatalf("status %s, want expired", e.Status())
	}
}
