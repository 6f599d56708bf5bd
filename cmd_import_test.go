package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// An archive made by `export course` restores into a fresh data directory
// with the same counts; a second import of the same code is refused with
// one line and exit 1, and --code imports it beside the first.
func TestCLI_exportThenImportIntoAFreshInstance(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", src, "--students", "4", "--assignments", "2", "--submissions", "1", "--static-files", "2"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	zip := filepath.Join(t.TempDir(), "cs101.zip")
	if code, _, stderr := runCLI(t, "export", "course", "--data-dir", src, "--course", "1", "--include-stdout", "--out", zip); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}

	// The static files count against the new course's quota.
	code, _, stderr := runCLI(t, "import", zip, "--data-dir", dst, "--course-quota", "10")
	if want := `^coursevault import: .* refused, nothing imported: course storage quota of 10 B would be exceeded \(0 B used\); delete old exports or course files to free space\n$`; code != 1 || !regexp.MustCompile(want).MatchString(stderr) {
		t.Errorf("import over the quota: exit %d, stderr %q; want 1 and a match for %q", code, stderr, want)
	}

	code, out, stderr := runCLI(t, "import", zip, "--data-dir", dst)
	if code != 0 {
		t.Fatalf("import: %d %s", code, stderr)
	}
	if !regexp.MustCompile(`^imported .* as course CS101 \(id 1\)`).MatchString(out) || !strings.Contains(out, "2 static files") {
		t.Errorf("import said:\n%s", out)
	}

	code, _, stderr = runCLI(t, "import", "--data-dir", dst, zip)
	if want := "coursevault import: " + zip + " refused, nothing imported: a course with code CS101 already exists; use --code to import under another code\n"; code != 1 || stderr != want {
		t.Errorf("second import: exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
	if code, out, stderr := runCLI(t, "import", "--data-dir", dst, "--code", "CS101-2026", zip); code != 0 || !strings.Contains(out, "as course CS101-2026 (id 2)") {
		t.Errorf("import --code: %d %s %s", code, out, stderr)
	}
	if code, _, _ := runCLI(t, "import", "--data-dir", dst); code != 2 {
		t.Errorf("import without a file: exit %d, want 2", code)
	}
}
