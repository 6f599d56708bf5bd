package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"coursevault/db"
)

// ingest takes in an NDJSON file of autograder results: bad lines are listed
// by number (exit 1) and the good ones written; sending it again replaces.
func TestCLI_ingest(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--students", "3", "--assignments", "1", "--submissions", "0", "--static-files", "0"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	ctx := context.Background()
	d := openDataDir(t, dir)
	var student string
	err := d.InTx(ctx, func(tx *db.Queries) error {
		c, err := tx.CourseByCode(ctx, "CS101")
		if err != nil {
			return err
		}
		if _, err := tx.InsertAssignment(ctx, db.Assignment{CourseID: c.ID, Name: "Keyed", Kind: db.KindHomework, Position: 99, Points: 5, Key: "hw1"}); err != nil {
			return err
		}
		return tx.EachMember(ctx, c.ID, func(m db.MemberRow) error {
			if m.Role == db.RoleStudent && student == "" {
				student = m.Email
			}
			return nil
		})
	})
	if err != nil || student == "" {
		t.Fatalf("setup: %v (student %q)", err, student)
	}
	file := filepath.Join(t.TempDir(), "results.ndjson")
	good := `{"id":"ext-1","assignment":"hw1","student":"` + student + `","commit":"abc","state":"passed","submitted_at":"2026-11-01T10:00:00Z","tests":[{"name":"t","passed":true}],"score":1}`
	if err := os.WriteFile(file, []byte(good+"\n"+`{"id":"ext-2","assignment":"hw7"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "ingest", "--data-dir", dir, "--course", "CS101", file)
	if code != 1 || !strings.Contains(out, `line 2: field "student" is missing or empty`) || !strings.Contains(out, "CS101: 1 accepted (0 replaced), 1 rejected") ||
		!strings.Contains(stderr, "1 lines rejected") {
		t.Fatalf("first: exit %d\n%s\n%s", code, out, stderr)
	}
	os.WriteFile(file, []byte(good+"\n"), 0o600)
	if code, out, stderr = runCLI(t, "ingest", file, "--data-dir", dir, "--course", "1"); code != 0 || !strings.Contains(out, "CS101: 1 accepted (1 replaced), 0 rejected") {
		t.Fatalf("again: exit %d\n%s\n%s", code, out, stderr)
	}
	os.WriteFile(file, []byte("[1,2]\n"), 0o600)
	if code, _, stderr = runCLI(t, "ingest", file, "--data-dir", dir, "--course", "1"); code != 1 || !strings.Contains(stderr, "JSON array") {
		t.Errorf("not NDJSON: exit %d %s", code, stderr)
	}
	for _, args := range [][]string{{"ingest"}, {"ingest", file}, {"ingest", "--course", "1"}} {
		if code, _, _ := runCLI(t, append(args, "--data-dir", dir)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
