package archive

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs"
)

// newExport records an export of the full course as the demo instructor.
func newExport(t *testing.T, f *fixture, r *jobs.Runner) (exportID, userID int64) {
	t.Helper()
	ctx := context.Background()
	u, err := f.d.UserByEmail(ctx, "instructor@demo.test")
	if err != nil {
		t.Fatal(err)
	}
	err = f.d.InTx(ctx, func(tx *db.Queries) error {
		id, err := tx.InsertExport(ctx, db.Export{CourseID: fullCourse, Kind: db.ExportArchive, IncludeStdout: true,
			IncludeStatic: true, RequestedBy: u.ID, CreatedAt: testNow})
		if err != nil {
			return err
		}
		exportID = id
		if r == nil {
			return nil
		}
		j, _, err := r.Enqueue(ctx, tx, Kind, Args{CourseID: fullCourse, ExportID: id}, jobs.EnqueueOptions{})
		if err != nil {
			return err
		}
		return tx.SetExportJob(ctx, id, j.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return exportID, u.ID
}

func TestJob_storesAVerifiableArchiveForTheExport(t *testing.T) {
	f := newFixture(t, smallDemo())
	ctx := context.Background()
	r := jobs.New(f.d, jobs.Options{})
	a := &Job{DB: f.d, Files: f.files, AppVersion: "test", Now: func() time.Time { return testNow }}
	r.Handle(Kind, a.Handle)
	exportID, userID := newExport(t, f, r)
	if err := r.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	exp, err := f.d.ExportByID(ctx, fullCourse, exportID)
	if err != nil {
		t.Fatal(err)
	}
	if exp.FileID == 0 || exp.LastError != "" {
		t.Fatalf("export has no file (state %s, error %q)", exp.JobState, exp.LastError)
	}
	file, err := f.files.GetByID(ctx, exp.FileID)
	if err != nil {
		t.Fatal(err)
	}
	course, err := f.d.CourseByID(ctx, fullCourse)
	if err != nil {
		t.Fatal(err)
	}
	if file.Category != "course-archive" || file.Owner.ID != fullCourse || file.CreatedBy != userID ||
		file.Filename != Filename(course.Code, course.Term, testNow) || !strings.HasSuffix(file.Filename, "_export_20260304-050607.zip") {
		t.Errorf("stored file = %+v", file)
	}
	rc, err := f.files.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	m, err := Verify(rc, file.Size)
	if err != nil {
		t.Fatal(err)
	}
	if m.GeneratedBy.ID != userID || !m.Options.IncludeStdout || exp.DataVersion != m.Course.DataVersion {
		t.Errorf("manifest = %+v / %+v, export data version %d", m.GeneratedBy, m.Options, exp.DataVersion)
	}
}

func TestJob_cancelLeavesNoFile(t *testing.T) {
	f := newFixture(t, smallDemo())
	a := &Job{DB: f.d, Files: f.files, Now: func() time.Time { return testNow }}
	exportID, _ := newExport(t, f, nil)
	before := dirNames(t, f.files.Dir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := a.Build(ctx, Args{CourseID: fullCourse, ExportID: exportID}, func(done, total int64, note string) {
		if strings.HasPrefix(note, "Writing test results") {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if after := dirNames(t, f.files.Dir()); !slices.Equal(before, after) {
		t.Errorf("attachment dir changed: %v -> %v", before, after)
	}
	exp, err := f.d.ExportByID(context.Background(), fullCourse, exportID)
	if err != nil || exp.FileID != 0 {
		t.Errorf("export after cancel: file %d, err %v", exp.FileID, err)
	}
}

func TestJob_deletedExportFailsForGood(t *testing.T) {
	f := newFixture(t, smallDemo())
	a := &Job{DB: f.d, Files: f.files}
	_, err := a.Build(context.Background(), Args{CourseID: fullCourse, ExportID: 999}, nil)
	if err == nil || !jobs.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent error", err)
	}
}

// dirNames lists every file under dir, recursively, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
