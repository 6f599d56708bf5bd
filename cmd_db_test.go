package main

import (
	"strings"
	"testing"

	"coursevault/db/dbtest"
	"coursevault/db/pgtest"
)

// TestCLI_dbCopyMovesADemoToPostgreSQL copies a demo data directory's
// database into PostgreSQL, prints every table verified, and refuses to
// copy into the same database again.
func TestCLI_dbCopyMovesADemoToPostgreSQL(t *testing.T) {
	if !pgtest.Enabled() {
		t.Skip("db copy needs PostgreSQL: run with COURSEVAULT_TEST_DATABASE=postgres after `. .ci/pg`")
	}
	dir := t.TempDir()
	keepSQLite(t, dir) // the source
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--courses", "2", "--students", "5", "--assignments", "2", "--submissions", "1", "--static-files", "2"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	url := dbtest.URL(t)
	code, out, stderr := runCLI(t, "db", "copy", "--data-dir", dir, "--to", url)
	if code != 0 {
		t.Fatalf("db copy: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"test_results ", "every table's count and checksum match", "attachments were not copied", "--database 'postgres://"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "MISMATCH") {
		t.Errorf("a table did not verify:\n%s", out)
	}
	// The app reads the copy: the demo's courses are listed from PostgreSQL.
	if code, out, _ := runCLI(t, "course", "list", "--database", url); code != 0 || !strings.Contains(out, "CS101") {
		t.Errorf("course list on the copy: %d\n%s", code, out)
	}
	code, out, stderr = runCLI(t, "db", "copy", "--data-dir", dir, "--to", url)
	if code != 1 || !strings.Contains(stderr, "already holds coursevault data") {
		t.Errorf("a second copy: exit %d\n%s\n%s", code, out, stderr)
	}
}

func TestCLI_dbCopyUsageAndBadURLs(t *testing.T) {
	dir, empty := t.TempDir(), t.TempDir()
	keepSQLite(t, dir) // db copy's source is a SQLite file
	keepSQLite(t, empty)
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--courses", "1", "--students", "2", "--assignments", "1", "--submissions", "1"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no --to", []string{"db", "copy", "--data-dir", dir}, 2, "give --to postgres://"},
		{"no sub-command", []string{"db"}, 2, "expected copy"},
		{"PostgreSQL as the source", []string{"db", "copy", "--database", "postgres://a@h/db", "--to", "postgres://a@h/db2"}, 2, "must be a SQLite file"},
		{"no SQLite file", []string{"db", "copy", "--data-dir", empty, "--to", "postgres://a@127.0.0.1:1/db"}, 1, "no SQLite database to copy at"},
		{"nobody listening", []string{"db", "copy", "--data-dir", dir, "--to", "postgres://app:secret@127.0.0.1:1/db?connect_timeout=5"}, 1, "connect to postgres://app@127.0.0.1:1/db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "secret") {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}
