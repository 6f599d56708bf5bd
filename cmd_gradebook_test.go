package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gradebook import prints the preview; a bad cell is listed with its line
// and column and nothing is written (exit 1); the fixed file applies, and
// again changes nothing.
func TestCLI_gradebookImport(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--students", "3", "--assignments", "1", "--submissions", "0", "--static-files", "0"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	tmp := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	roster := write("roster.csv", "email,name,student id\nada@school.edu,Ada Lovelace,00417\n")
	if code, _, stderr := runCLI(t, "roster", "import", "--data-dir", dir, "--course", "CS101", roster); code != 0 {
		t.Fatalf("roster: %d %s", code, stderr)
	}
	csv := write("grades.csv", "Student,ID,SIS User ID,SIS Login ID,Section,Lab 1 (77),Current Score\nPoints Possible,,,,,20,(read only)\n\"Lovelace, Ada\",1,00417,alovelace,P1,abc,90\n")
	code, out, stderr := runCLI(t, "gradebook", "import", "--data-dir", dir, "--course", "CS101", csv)
	if code != 1 || !strings.Contains(out, `line 3, column "Lab 1 (77)": "abc" is not a score`) || !strings.Contains(stderr, "1 bad cells: nothing written") {
		t.Fatalf("bad cell: exit %d\n%s\n%s", code, out, stderr)
	}
	csv = write("grades.csv", strings.Replace(strings.Replace(string(mustRead(t, csv)), "abc", "18", 1), "90\n", "90\n\"Else, Who\",2,99999,who@else.edu,P1,1,5\n", 1))
	code, out, stderr = runCLI(t, "gradebook", "import", csv, "--data-dir", dir, "--course", "CS101", "--dry-run")
	if code != 0 || !strings.Contains(out, "read as a Canvas file: 1 students matched") || !strings.Contains(out, "  line 4: who@else.edu") ||
		!strings.Contains(out, "  Lab 1 [canvas-77], 20 points") || !strings.Contains(out, "  line 3: Ada Lovelace, Lab 1: 18/20") ||
		!strings.Contains(out, "dry run, nothing written: would have created 1 assignments, set 1 scores") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, out, stderr = runCLI(t, "gradebook", "import", "--data-dir", dir, "--course", "CS101", csv); code != 0 ||
		!strings.Contains(out, "CS101: created 1 assignments, set 1 scores, changed 0, unchanged 0") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, out, _ = runCLI(t, "gradebook", "import", "--data-dir", dir, "--course", "CS101", csv); code != 0 ||
		!strings.Contains(out, "CS101: created 0 assignments, set 0 scores, changed 0, unchanged 1") {
		t.Fatalf("again: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"gradebook"}, {"gradebook", "import", csv}, {"gradebook", "import", "--course", "1"}} {
		if code, _, _ := runCLI(t, append(args, "--data-dir", dir)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	empty := write("empty.csv", "")
	if code, _, stderr := runCLI(t, "gradebook", "import", "--data-dir", dir, "--course", "CS101", empty); code != 1 || !strings.Contains(stderr, "refused, nothing written") {
		t.Errorf("empty file: %d %s", code, stderr)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
