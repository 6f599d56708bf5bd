package main

import (
	"context"
	"strings"
	"testing"
)

func TestCLI_backupScheduleAndList(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, append(args, "--data-dir", dir)...)
	}
	for _, c := range [][]string{{"BIO101", "Biology"}, {"CHEM", "Chemistry"}} {
		if code, _, stderr := cli("course", "add", "--code", c[0], "--name", c[1]); code != 0 {
			t.Fatalf("course add: %s", stderr)
		}
	}
	code, out, stderr := cli("backup", "schedule", "--course", "BIO101", "--weekly", "sun", "02:00", "--keep", "3", "--include-files", "--timezone", "Europe/Berlin")
	if code != 0 || !strings.Contains(out, "BIO101: Weekly on Sunday at 02:00, with files, keep 3") || !strings.Contains(out, "next run: Sun ") ||
		!strings.Contains(out, "02:00 CE") {
		t.Fatalf("schedule weekly: %d %q %s", code, out, stderr)
	}
	if code, out, stderr = cli("backup", "schedule", "--site-default", "--daily", "01:30", "--include-stdout"); code != 0 || !strings.Contains(out, "Daily at 01:30, with stdout, keep 7") {
		t.Fatalf("site default: %d %q %s", code, out, stderr)
	}
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"backup", "schedule", "--course", "BIO101", "--daily", "25:00"}, "--daily/--weekly time"},
		{[]string{"backup", "schedule", "--course", "BIO101", "--weekly", "someday 02:00"}, "--weekly day"},
		{[]string{"backup", "schedule", "--course", "BIO101", "--daily", "02:00", "--keep", "0"}, "--keep"},
		{[]string{"backup", "schedule", "--course", "BIO101", "--daily", "02:00", "--off"}, "one of --daily"},
		{[]string{"backup", "schedule", "--daily", "02:00"}, "--course ID|CODE or --site-default"},
		{[]string{"backup", "schedule", "--course", "BIO101", "--off", "--timezone", "Mars/Olympus"}, "not a known time zone"},
		{[]string{"backup", "nope"}, "expected schedule or list"},
	} {
		if code, _, stderr := cli(tt.args...); code != 2 || !strings.Contains(stderr, tt.says) {
			t.Errorf("%v: exit %d, stderr %q; want 2 saying %q", tt.args, code, stderr, tt.says)
		}
	}
	if code, _, stderr = cli("backup", "schedule", "--course", "NOPE", "--off"); code != 1 || !strings.Contains(stderr, `no course "NOPE"`) {
		t.Errorf("unknown course: %d %q", code, stderr)
	}
	code, out, _ = cli("backup", "list", "--timezone", "UTC")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.Contains(lines[0], "Default: Daily at 01:30") || !strings.HasPrefix(lines[1], "COURSE") ||
		!strings.Contains(lines[2], "BIO101") || !strings.Contains(lines[2], "Weekly on Sunday at 02:00") ||
		!strings.Contains(lines[3], "CHEM") || !strings.Contains(lines[3], "(default)") || !strings.Contains(lines[3], "01:30") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	if code, out, _ = cli("backup", "schedule", "--course", "2", "--off"); code != 0 || !strings.Contains(out, "CHEM: Off") {
		t.Errorf("off by id: %d %q", code, out)
	}
	d := openDataDir(t, dir)
	events, _ := d.AuditEvents(context.Background(), 0, 100)
	n := 0
	for _, e := range events {
		if strings.HasPrefix(e.Action, "backup.") && e.Actor == "the command line" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d schedule changes audited as the command line, want 3", n)
	}
}
