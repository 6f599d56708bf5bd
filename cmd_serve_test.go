package main

import (
	"strings"
	"testing"
)

func TestCLI_serveRefusesIngestLimitsThatRefuseEverything(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--ingest-max-line", "100"}, "--ingest-max-line 100 is too small"},
		{[]string{"--ingest-max-stdout", "0"}, "--ingest-max-stdout 0 must be from 1 to --ingest-max-line"},
		{[]string{"--ingest-max-line", "4096", "--ingest-max-stdout", "8192"}, "--ingest-max-stdout 8192 must be from 1 to --ingest-max-line (4096)"},
		{[]string{"--ingest-max-body", "1024"}, "--ingest-max-body 1024 must be at least --ingest-max-line"},
		{[]string{"--ingest-max-line", "64MiB"}, "ingest-max-line"},
	} {
		code, _, stderr := runCLI(t, append([]string{"serve", "--data-dir", t.TempDir()}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to say %q", tt.args, code, stderr, tt.want)
		}
	}
}
