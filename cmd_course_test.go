package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/files"
)

func TestCLI_courseAddListEditRemove(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, append(args, "--data-dir", dir)...)
	}
	code, out, stderr := cli("course", "add", "--code", "BIO101", "--name", "Biology", "--term", "Fall 2026", "--period", "Period 1", "--period", "Period 2")
	if code != 0 || strings.TrimSpace(out) != "1" {
		t.Fatalf("add: %d %q %s", code, out, stderr)
	}
	if code, out, _ = cli("course", "add", "--code", "CHEM", "--name", "Chemistry"); code != 0 || strings.TrimSpace(out) != "2" {
		t.Fatalf("second add: %d %q", code, out)
	}
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"course", "add", "--code", "bio101", "--name", "Again"}, "code: A course with code bio101 already exists"},
		{[]string{"course", "add", "--code", "a/b", "--name", "Slash"}, "code: Use letters"},
		{[]string{"course", "add", "--code", "P2", "--name", "P", "--period", "A", "--period", "a"}, "--period: Period \"a\" is listed twice"},
		{[]string{"course", "edit", "CHEM", "--code", "BIO101"}, "already exists"},
		{[]string{"course", "edit", "NOPE", "--name", "X"}, `no course "NOPE"`},
		{[]string{"course", "remove", "NOPE", "--yes"}, `no course "NOPE"`},
	} {
		if code, _, stderr := cli(tt.args...); code != 1 || !strings.Contains(stderr, tt.says) {
			t.Errorf("%v: exit %d, stderr %q; want 1 saying %q", tt.args, code, stderr, tt.says)
		}
	}
	code, out, _ = cli("course", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "BIO101") || !strings.Contains(lines[1], "Fall 2026") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	if code, out, stderr = cli("course", "edit", "2", "--name", "Organic Chemistry", "--term", "Spring"); code != 0 || !strings.Contains(out, "CHEM, Organic Chemistry, Spring") {
		t.Fatalf("edit by id: %d %q %s", code, out, stderr)
	}
	if code, out, _ = cli("course", "edit", "chem", "--term", ""); code != 0 || !strings.Contains(out, "no term") {
		t.Fatalf("edit by code, term cleared: %d %q", code, out)
	}
	if code, _, stderr = cli("course", "remove", "CHEM"); code != 2 || !strings.Contains(stderr, "--yes") {
		t.Fatalf("remove without --yes: %d %q", code, stderr)
	}
	if code, out, _ = cli("course", "list"); !strings.Contains(out, "CHEM") {
		t.Fatal("remove without --yes removed the course")
	}
	if code, out, stderr = cli("course", "remove", "CHEM", "--yes"); code != 0 || !strings.Contains(out, "removed course CHEM") {
		t.Fatalf("remove: %d %q %s", code, out, stderr)
	}
	if _, out, _ = cli("course", "list"); strings.Contains(out, "CHEM") {
		t.Fatalf("CHEM still listed:\n%s", out)
	}
}

func TestCLI_courseUsageErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"course"}, {"course", "nope"}, {"course", "add", "--name", "N"}, {"course", "add", "--code", "C"},
		{"course", "edit", "--name", "X"}, {"course", "edit", "C"}, {"course", "remove"}, {"course", "remove", "C"},
		{"course", "list", "extra"},
	} {
		code, _, stderr := runCLI(t, append(args, "--data-dir", dir)...)
		if code != 2 || !strings.Contains(stderr, "usage: coursevault course") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// A removal killed after its first transaction leaves the course hidden;
// the next serve finishes it at start: no row, file or byte of it is left.
func TestServe_finishesACourseRemovalAKilledProcessLeft(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--courses", "2", "--students", "4", "--assignments", "2", "--submissions", "1", "--static-files", "2"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	ctx := context.Background()
	loc := dataLocOf(t, dir)
	d, fs, err := openStore(ctx, loc, "file", files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	owned, err := fs.Owned(ctx, files.Course(1))
	if err != nil || len(owned) != 2 {
		t.Fatalf("course 1 owns %d files: %v", len(owned), err)
	}
	if err := d.InTx(ctx, func(tx *db.Queries) error { return tx.HideCourseForRemoval(ctx, 1) }); err != nil {
		t.Fatal(err)
	}
	d.Close()

	sctx, stop := context.WithCancel(ctx)
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(sctx, withDatabase(t, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir}), &out, io.Discard)
	}()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), "serving") && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
	}
	stop()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, out.String())
	}

	d, err = openDB(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n, _ := d.CountCourses(ctx); n != 1 {
		t.Fatalf("%d courses, want 1", n)
	}
	for _, f := range owned {
		if _, err := os.Stat(filepath.Join(attachmentsDir(loc), f.Token)); !os.IsNotExist(err) {
			t.Fatalf("%s is still on disk: %v", f.Filename, err)
		}
	}
}
