package restore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"coursevault/db/files"
	"coursevault/jobs/archive"
)

// FuzzImport feeds mutated real archives to Import. It must never panic,
// and whatever it accepts or refuses, the instance directory may only ever
// hold the database and stored files named by their tokens: nothing lands
// anywhere an archive's names point. Run it with
//
//	go test ./jobs/restore -run '^$' -fuzz FuzzImport -fuzztime 20s
func FuzzImport(f *testing.F) {
	src := demoInstance(f, tinyDemo())
	for _, id := range []int64{coursePeriods, courseNoPeriods, courseEmpty} {
		good := src.export(f, id)
		f.Add(good)
		f.Add(good[:len(good)-100]) // cut short
	}
	dst := freshInstance(f)
	// Small limits keep each run fast; the checks are the same.
	lim := archive.Limits{MaxEntries: 64, MaxTotalBytes: 8 << 20, MaxManifestBytes: 1 << 20, MaxRatio: 200}
	var n atomic.Int64

	f.Fuzz(func(t *testing.T, b []byte) {
		code := fmt.Sprintf("FZ%d", n.Add(1))
		res, err := Import(context.Background(), dst.d, dst.files, bytes.NewReader(b), int64(len(b)),
			Options{Code: code, Now: testNow, Limits: lim})
		if err == nil {
			c, cerr := dst.d.CourseByID(context.Background(), res.CourseID)
			if cerr != nil || c.Code != code {
				t.Fatalf("accepted, but course %d is %+v, %v", res.CourseID, c, cerr)
			}
		}
		checkOnlyOwnFiles(t, dst.dir)
	})
}

// FuzzImportData replaces one data file of a real archive with fuzzed bytes
// and signs it into the manifest, so the input gets past the checksums to
// the row reader, the shape and reference checks and the transaction. Run it with
//
//	go test ./jobs/restore -run '^$' -fuzz FuzzImportData -fuzztime 20s
func FuzzImportData(f *testing.F) {
	src := demoInstance(f, tinyDemo())
	// Without static files: storing them fsyncs, which would slow every run.
	good := src.exportWith(f, coursePeriods, archive.Options{IncludeStdout: true})
	u := unpack(f, good)
	for i, name := range archive.DataFiles {
		f.Add(uint8(i), u.data[name])
	}
	f.Add(uint8(7), []byte("[\n{\"id\":1,\"fraction\":\"x\"}\n]\n"))
	dst := freshInstance(f)
	var n atomic.Int64

	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		u := unpack(t, good)
		u.set(archive.DataFiles[int(which)%len(archive.DataFiles)], data)
		b := u.pack(t)
		code := fmt.Sprintf("FD%d", n.Add(1))
		res, err := Import(context.Background(), dst.d, dst.files, bytes.NewReader(b), int64(len(b)),
			Options{Code: code, Now: testNow})
		var se *ShapeError
		switch {
		case err == nil:
			if c, cerr := dst.d.CourseByID(context.Background(), res.CourseID); cerr != nil || c.Code != code {
				t.Fatalf("accepted, but course %d is %+v, %v", res.CourseID, c, cerr)
			}
		case errors.As(err, &se) && (se.Line < 1 || se.File == ""):
			t.Fatalf("shape error without a place: %v", err)
		case !errors.Is(err, ErrRefused):
			t.Fatalf("a bad data file failed as this instance's fault, not a refusal: %v", err)
		}
		checkOnlyOwnFiles(t, dst.dir)
	})
}

// checkOnlyOwnFiles fails if dir holds anything but the database files and
// an attachment directory of token-named regular files.
func checkOnlyOwnFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "coursevault.db", "coursevault.db-wal", "coursevault.db-shm", "attachments":
		default:
			t.Fatalf("unexpected %s in the data directory", e.Name())
		}
	}
	stored, err := os.ReadDir(filepath.Join(dir, "attachments"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range stored {
		if !e.Type().IsRegular() || !files.ValidToken(e.Name()) {
			t.Fatalf("unexpected %s (%v) in the attachment directory", e.Name(), e.Type())
		}
	}
}
