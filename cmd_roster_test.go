package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// roster import prints the preview; a bad line is listed with its line and
// column and nothing is written (exit 1); the fixed file applies, and again
// changes nothing.
func TestCLI_rosterImport(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--students", "3", "--assignments", "1", "--submissions", "0", "--static-files", "0"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	csv := filepath.Join(t.TempDir(), "roster.csv")
	write := func(s string) {
		if err := os.WriteFile(csv, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("Email;Name;Role;Period\nada@school.edu;Ada Lovelace;student;P9\nbob@school;Bob;student;P9\n")
	code, out, stderr := runCLI(t, "roster", "import", "--data-dir", dir, "--course", "CS101", csv)
	if code != 1 || !strings.Contains(out, `line 3, column "email": "bob@school" is not an email address`) || !strings.Contains(stderr, "1 bad line(s): nothing written") {
		t.Fatalf("bad line: exit %d\n%s\n%s", code, out, stderr)
	}
	write("Email;Name;Role;Period\nada@school.edu;Ada Lovelace;student;P9\nbob@school.edu;Bob;student;P9\n")
	code, out, stderr = runCLI(t, "roster", "import", csv, "--data-dir", dir, "--course", "1", "--dry-run")
	if code != 0 || !strings.Contains(out, "to add (2):\n  line 2: Ada Lovelace <ada@school.edu>: student, P9") || !strings.Contains(out, "dry run, nothing written: would have added 2") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, out, stderr = runCLI(t, "roster", "import", "--data-dir", dir, "--course", "CS101", csv); code != 0 || !strings.Contains(out, "CS101: added 2, updated 0, removed 0, unchanged 0") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, out, _ = runCLI(t, "roster", "import", "--data-dir", dir, "--course", "CS101", "--remove-missing", csv); code != 0 ||
		!strings.Contains(out, "CS101: added 0, updated 0, removed 2, unchanged 2") || !strings.Contains(out, "(only students missing from the file are removed)") {
		t.Fatalf("again with --remove-missing: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"roster"}, {"roster", "import", csv}, {"roster", "import", "--course", "1"}, {"roster", "import", "--course", "1", csv, "extra.csv"}} {
		if code, _, _ := runCLI(t, append(args, "--data-dir", dir)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, stderr := runCLI(t, "roster", "import", "--data-dir", dir, "--course", "NOPE", csv); code != 1 || !strings.Contains(stderr, `no course "NOPE"`) {
		t.Errorf("unknown course: %d %s", code, stderr)
	}
}
