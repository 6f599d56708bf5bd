package exports

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/db/files/filestest"
	"coursevault/jobs"
)

// brokenDisk passes n bytes to w and then fails every write with err, as a
// full disk (ENOSPC) or a failing one (EIO) does part-way through a file.
type brokenDisk struct {
	w   io.Writer
	n   int64
	err error
}

func (b *brokenDisk) Write(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, b.err
	}
	k := min(int64(len(p)), b.n)
	b.n -= k
	n, err := b.w.Write(p[:k])
	if err == nil && k < int64(len(p)) {
		err = b.err
	}
	return n, err
}

// TestHandler_diskFaultsEndInAFailedRowAndNoFile breaks the disk under each
// export kind part-way through its file. Every attempt fails; the export ends
// failed with the disk's error as its reason, and nothing is kept: no file
// row, no bytes, no temp file.
func TestHandler_diskFaultsEndInAFailedRowAndNoFile(t *testing.T) {
	enospc := &os.PathError{Op: "write", Path: ".tmp-x", Err: syscall.ENOSPC}
	eio := &os.PathError{Op: "write", Path: ".tmp-x", Err: syscall.EIO}
	tests := []struct {
		name   string
		kind   string
		after  int64
		err    error
		reason string
	}{
		{"archive, disk full at once", db.ExportArchive, 0, enospc, "disk is full"},
		{"archive, disk full mid-file", db.ExportArchive, 4 << 10, enospc, "disk is full"},
		{"archive, I/O error mid-file", db.ExportArchive, 4 << 10, eio, "input/output error"},
		{"workbook, disk full mid-file", db.ExportBook, 2 << 10, enospc, "disk is full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			// Retries at once, so Drain runs every attempt.
			runner := jobs.New(f.d, jobs.Options{Logger: log, Backoff: func(int) time.Duration { return 0 }})
			ex := New(f.d, runner, f.files, func() time.Time { return testNow }, log)
			make := ArchiveMaker(f.d, f.files, "test", time.UTC, time.Now)
			if tt.kind == db.ExportBook {
				make = BookMaker(f.d, time.UTC, time.Now)
			}
			attempts := 0
			runner.Handle(tt.kind, ex.Handler(func(ctx context.Context, e db.ExportView, w io.Writer, p func(int64, int64, string)) (Made, error) {
				attempts++
				return make(ctx, e, &brokenDisk{w: w, n: tt.after, err: tt.err}, p)
			}))
			before := filestest.Keys(t, f.files.Blobs())
			e, _, err := ex.Request(ctx, Request{CourseID: 1, UserID: f.admin, Kind: tt.kind, IncludeStdout: true, IncludeStatic: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := runner.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			e, err = ex.Get(ctx, 1, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if e.Status() != db.ExportFailed || !strings.Contains(e.LastError, tt.reason) {
				t.Errorf("export is %s with reason %q; want failed saying %q", e.Status(), e.LastError, tt.reason)
			}
			if attempts != e.MaxAttempts {
				t.Errorf("%d attempts ran, want all %d", attempts, e.MaxAttempts)
			}
			if e.FileID != 0 {
				t.Errorf("a failed export points at file %d", e.FileID)
			}
			if after := filestest.Keys(t, f.files.Blobs()); !slices.Equal(before, after) {
				t.Errorf("the attachment dir kept something: %v -> %v", before, after)
			}
			list, err := f.files.List(ctx, files.Course(1), tt.kind)
			if err != nil || len(list) != 0 {
				t.Errorf("file rows after the failure: %v %v", list, err)
			}
			t.Logf("the row says: %s", e.LastError)
		})
	}
}
