package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"coursevault/db/files"
	"coursevault/db/files/filestest"
)

// TestCLI_filesMigrateToS3AndBackThenCheck moves a data directory's
// attachments to object storage and back, resuming where a run left off,
// and checks which rows lack their bytes.
func TestCLI_filesMigrateToS3AndBackThenCheck(t *testing.T) {
	s3url := filestest.UniqueS3URL(t)
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--courses", "1", "--students", "3", "--assignments", "1", "--submissions", "1", "--static-files", "3"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	ctx := context.Background()
	d, local, err := openStore(ctx, dataLocOf(t, dir), "file", files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	owned, _ := local.Owned(ctx, files.Course(1))
	d.Close()
	if len(owned) != 3 {
		t.Fatalf("the demo stored %d files, want 3", len(owned))
	}
	// A run killed after its first file: that one is already there.
	remote, err := openBlobs(s3url, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := local.Blobs().Open(ctx, owned[0].Token)
	remote.Put(ctx, owned[0].Token, r)
	r.Close()

	code, out, stderr := runCLI(t, "files", "migrate", "--data-dir", dir, "--to", s3url)
	if code != 0 || !strings.Contains(out, "2 copied") || !strings.Contains(out, "1 already there") || !strings.Contains(out, "--storage 's3://") {
		t.Fatalf("migrate: %d\n%s\n%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, "secret_key") {
		t.Fatalf("migrate printed the credentials:\n%s", out)
	}
	if code, out, _ := runCLI(t, "files", "migrate", "--data-dir", dir, "--to", s3url); code != 0 || !strings.Contains(out, "0 copied") || !strings.Contains(out, "3 already there") {
		t.Fatalf("second migrate: %d %s", code, out)
	}
	if code, out, stderr := runCLI(t, "files", "check", "--data-dir", dir, "--storage", s3url); code != 0 {
		t.Fatalf("check after migrate: %d %s %s", code, out, stderr)
	}

	// Bytes lost in the bucket: check lists the row and exits 1.
	remote.Delete(ctx, owned[1].Token)
	code, out, _ = runCLI(t, "files", "check", "--data-dir", dir, "--storage", s3url)
	if code != 1 || !strings.Contains(out, owned[1].Token) || strings.Contains(out, owned[0].Token) {
		t.Fatalf("check: %d %s", code, out)
	}

	// The way back restores into the directory what it lacks, checked:
	// bytes that do not match their row are refused and named.
	local.Blobs().Delete(ctx, owned[2].Token)
	local.Blobs().Delete(ctx, owned[1].Token) // and one whose copy in the bucket went bad
	remote.Put(ctx, owned[1].Token, strings.NewReader("not the bytes of the row"))
	code, out, _ = runCLI(t, "files", "migrate", "--data-dir", dir, "--from", s3url)
	if code != 1 || !strings.Contains(out, "1 copied") || !strings.Contains(out, "FAILED "+owned[1].Token) {
		t.Fatalf("migrate back: %d %s", code, out)
	}
	r, err = local.Blobs().Open(ctx, owned[2].Token)
	if err != nil {
		t.Fatalf("not restored: %v", err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(r)
	r.Close()
	if int64(buf.Len()) != owned[2].Size {
		t.Fatalf("restored %d bytes of %d", buf.Len(), owned[2].Size)
	}
	if code, _, stderr := runCLI(t, "files", "migrate", "--data-dir", dir); code != 2 {
		t.Fatalf("migrate without --to or --from: %d %s", code, stderr)
	}
}

func TestCLI_storageFlagRefusalsNeverShowTheSecret(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"serve", "--addr", "127.0.0.1:0", "--storage-redirect"}, "--storage-redirect needs S3 storage"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--storage", "ftp://host/x"}, "--storage must be file or an s3:// URL"},
		{[]string{"files", "check", "--storage", "s3://bucket/p?secret_key=TOP-SECRET&colour=blue"}, `unknown option "colour"`},
		{[]string{"export", "course", "--course", "1", "--out", dir, "--storage", "s3://bucket/p?secret_key=TOP-SECRET&path_style=maybe"}, "path_style"},
	} {
		code, _, stderr := runCLI(t, append(tt.args, "--data-dir", dir)...)
		if code != 2 || !strings.Contains(stderr, tt.says) || strings.Contains(stderr, "TOP-SECRET") {
			t.Errorf("%v: exit %d, %s", tt.args, code, stderr)
		}
	}
}
