package files_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/db/files/filestest"
)

func TestSweep_onS3RemovesRowlessObjectsAndAbandonedUploads(t *testing.T) {
	s3 := filestest.S3(t)
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "coursevault.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertCourse(ctx, db.Course{Code: "PHY1", Name: "Physics", CreatedAt: time.Now()})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A grace of a nanosecond: everything without a row is old enough.
	fs, err := files.New(d, t.TempDir(), files.Options{Blobs: s3, OrphanGrace: time.Nanosecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	kept, err := fs.Store(ctx, files.Input{Owner: files.Course(1), Category: files.CourseArchive, Filename: "kept.zip"}, strings.NewReader("kept"))
	if err != nil {
		t.Fatal(err)
	}
	const rowless = "0123456789abcdef0123456789abcdef"
	s3.Put(ctx, rowless, strings.NewReader("a crash between upload and commit"))
	// An upload a killed process left half done.
	filestest.AbandonUpload(t, s3, "fedcba9876543210fedcba9876543210")

	removed, missing, err := fs.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the sweep removed %d leftovers", removed)
	if removed != 2 || len(missing) != 0 {
		t.Fatalf("removed %d, missing %v", removed, missing)
	}
	if keys := filestest.Keys(t, s3); len(keys) != 1 || keys[0] != kept.Token {
		t.Fatalf("the bucket holds %v, want only the kept file", keys)
	}
	if n, _ := s3.Tidy(ctx, -time.Hour, nil); n != 0 {
		t.Fatalf("%d abandoned uploads survived the sweep", n)
	}
	r, err := fs.Open(ctx, kept)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "kept" {
		t.Fatalf("kept file reads %q", b)
	}
}
