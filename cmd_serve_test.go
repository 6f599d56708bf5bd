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

func TestCLI_serveRefusesMailSettingsThatCannotWork(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--smtp-url", "smtp://127.0.0.1:2525"}, "--smtp-url needs --mail-from"},
		{[]string{"--smtp-url", "http://u:s3cret@mail.example.edu", "--mail-from", "vault@school.edu"}, "the scheme must be smtp://"},
		{[]string{"--smtp-url", "smtp://127.0.0.1:2525", "--mail-from", "vault"}, `--mail-from "vault" is not a mail address`},
	} {
		code, _, stderr := runCLI(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "s3cret") {
			t.Errorf("%v: exit %d, stderr %q, want it to say %q without the password", tt.args, code, stderr, tt.want)
		}
	}
	t.Setenv("COURSEVAULT_SMTP_URL", "smtp://127.0.0.1:2525")
	code, _, stderr := runCLI(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "--smtp-url needs --mail-from") {
		t.Errorf("COURSEVAULT_SMTP_URL alone: exit %d, stderr %q", code, stderr)
	}
}
