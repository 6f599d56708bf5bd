package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"coursevault/db/dbtest"
	"coursevault/web/auth"
)

// runCLI runs the command line in-process and returns exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), withDatabase(t, args), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLI_usageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"serve", "--nope"}, {"user"}, {"user", "add"}, {"member", "add", "--role", "boss"}, {"demo", "extra"}} {
		code, _, stderr := runCLI(t, args...)
		if code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestCLI_serveRefusesMalformedTrustedProxies(t *testing.T) {
	for _, bad := range []string{"10.0.0.0", "10.0.0.0/33", "10.0.0.0/8,proxy.internal"} {
		code, _, stderr := runCLI(t, "serve", "--data-dir", t.TempDir(), "--trusted-proxies", bad)
		if code != 2 || !strings.Contains(stderr, "trusted-proxies") || !strings.Contains(stderr, "is not a CIDR range") {
			t.Errorf("--trusted-proxies %q: exit %d, stderr %q", bad, code, stderr)
		}
	}
	t.Setenv("COURSEVAULT_TRUSTED_PROXIES", "10.0.0.0/8, nope")
	code, _, stderr := runCLI(t, "serve", "--data-dir", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "COURSEVAULT_TRUSTED_PROXIES") || !strings.Contains(stderr, `"nope" is not a CIDR range`) {
		t.Errorf("COURSEVAULT_TRUSTED_PROXIES: exit %d, stderr %q", code, stderr)
	}
}

func TestCLI_userMemberToken(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--students", "4", "--assignments", "2", "--submissions", "1", "--static-files", "1"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "demo", "--data-dir", dir)
	if code != 1 || !strings.Contains(stderr, "only fills an empty database") {
		t.Fatalf("second demo: %d %s", code, stderr)
	}
	if code, out, _ := runCLI(t, "user", "add", "--data-dir", dir, "--email", "new@school.edu", "--name", "Ada Lovelace"); code != 0 || !strings.Contains(out, "coursevault user link --email new@school.edu") {
		t.Fatalf("user add: %d %s", code, out)
	}
	if code, _, stderr := runCLI(t, "user", "add", "--data-dir", dir, "--email", "NEW@school.edu", "--name", "Again"); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("duplicate user: %d %s", code, stderr)
	}
	if code, out, stderr := runCLI(t, "member", "add", "--data-dir", dir, "--course", "1", "--email", "new@school.edu", "--role", "ta"); code != 0 {
		t.Fatalf("member add: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, "member", "add", "--data-dir", dir, "--course", "NOPE", "--email", "new@school.edu", "--role", "ta"); code != 1 || !strings.Contains(stderr, `no course "NOPE"`) {
		t.Fatalf("unknown course: %d %s", code, stderr)
	}
	code, out, _ := runCLI(t, "token", "create", "--data-dir", dir, "--email", "new@school.edu")
	if code != 0 || !regexp.MustCompile(`^cvpat_[0-9a-f]{64}\n$`).MatchString(out) {
		t.Fatalf("token: %d %q", code, out)
	}
}

func TestCLI_tokenCreateForACourse(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--students", "2", "--assignments", "1", "--submissions", "1", "--static-files", "0"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	var tokens []string
	for _, ref := range []string{"1", "cs101"} {
		code, out, stderr := runCLI(t, "token", "create", "--data-dir", dir, "--course", ref, "--name", "Autograder")
		if code != 0 || !regexp.MustCompile(`^cvct_[0-9a-f]{64}\n$`).MatchString(out) {
			t.Fatalf("token create --course %s: %d %q %s", ref, code, out, stderr)
		}
		tokens = append(tokens, strings.TrimSpace(out))
	}
	ctx := context.Background()
	d := openDataDir(t, dir)
	tok, err := d.CourseTokenByHash(ctx, auth.HashAccessToken(tokens[1]))
	events, _ := d.AuditEvents(ctx, 1, 1)
	if err != nil || tok.CourseID != 1 || tok.Name != "Autograder" || tok.CreatedBy != 0 {
		t.Fatalf("stored token %+v, %v", tok, err)
	}
	if len(events) != 1 || events[0].Action != "token.create" || events[0].Actor != "the command line" {
		t.Fatalf("audit %+v", events)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"both --email and --course", []string{"--course", "1", "--email", "a@b.c", "--name", "x"}, 2, "exactly one of --email and --course"},
		{"neither", []string{"--name", "x"}, 2, "exactly one of --email and --course"},
		{"no name", []string{"--course", "1"}, 2, "--name is required"},
		{"a name too long", []string{"--course", "1", "--name", strings.Repeat("x", 101)}, 2, "at most 100"},
		{"unknown course", []string{"--course", "NOPE", "--name", "x"}, 1, `no course "NOPE"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, append([]string{"token", "create", "--data-dir", dir}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
			}
		})
	}
}

func TestCLI_envVarsSetFlags(t *testing.T) {
	skipOnPostgres(t, "checks where the variables put the data directory's coursevault.db")
	dir := t.TempDir()
	t.Setenv("COURSEVAULT_DATA_DIR", dir)
	if code, _, stderr := runCLI(t, "user", "add", "--email", "env@school.edu", "--name", "Env"); code != 0 {
		t.Fatalf("%d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "coursevault.db")); err != nil {
		t.Fatal("COURSEVAULT_DATA_DIR was not used")
	}
	// An empty variable is as if unset: the flag keeps its default.
	t.Setenv("COURSEVAULT_DATA_DIR", "")
	t.Setenv("COURSEVAULT_STUDENTS", "")
	t.Chdir(t.TempDir())
	if code, _, stderr := runCLI(t, "demo", "--assignments", "1", "--submissions", "1", "--static-files", "0"); code != 0 {
		t.Fatalf("demo with empty COURSEVAULT_STUDENTS and COURSEVAULT_DATA_DIR: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join("data", "coursevault.db")); err != nil {
		t.Fatal("an empty COURSEVAULT_DATA_DIR did not leave --data-dir at its default ./data")
	}
}

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServe_demoThenGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	ctx, stop := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, withDatabase(t, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data-dir", dir}), &out, io.Discard)
	}()

	serving := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := serving.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve did not start: %s", out.String())
	}
	if !strings.Contains(out.String(), "instructor@demo.test") {
		t.Error("serve --demo did not print the demo sign-ins")
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", err, res)
	}
	res.Body.Close()
	stop() // what SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

func TestCLI_exportThenVerify(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--students", "6", "--assignments", "3", "--submissions", "1", "--static-files", "2"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	out := filepath.Join(dir, "course.zip")
	if code, _, stderr := runCLI(t, "export", "course", "--data-dir", dir, "--course", "1", "--include-stdout", "--out", out); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "verify", out)
	if code != 0 || !strings.Contains(stdout, "is intact") {
		t.Fatalf("verify: %d %s %s", code, stdout, stderr)
	}
	// One flipped byte in the middle makes verify fail, naming what is wrong.
	b, _ := os.ReadFile(out)
	b[len(b)/2] ^= 0xff
	os.WriteFile(out, b, 0o600)
	if code, _, stderr := runCLI(t, "verify", out); code != 1 || !strings.Contains(stderr, "NOT intact") {
		t.Fatalf("verify of a damaged archive: %d %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "export", "course", "--data-dir", dir, "--course", "NOPE", "--out", out); code != 1 {
		t.Fatalf("unknown course: %d", code)
	}
}

func TestCLI_exportPerfbook(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--students", "6", "--assignments", "3", "--submissions", "1", "--static-files", "1"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "export", "perfbook", "--data-dir", dir, "--course", "CS101", "--out", dir, "--timezone", "Europe/Berlin")
	if code != 0 || !strings.Contains(stdout, "Introduction_to_Programming_Performance_") {
		t.Fatalf("export perfbook: %d %s %s", code, stdout, stderr)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "Introduction_to_Programming_Performance_*.xlsx"))
	if len(matches) != 1 {
		t.Fatalf("workbook files: %v", matches)
	}
	if code, _, _ := runCLI(t, "export", "perfbook", "--data-dir", dir, "--course", "CS101", "--out", dir, "--timezone", "Mars/Olympus"); code != 2 {
		t.Fatalf("a bad zone: exit %d, want 2", code)
	}
}

// --database (or COURSEVAULT_DATABASE) names the database instead of the data
// directory's coursevault.db: a SQLite file elsewhere, or with
// COURSEVAULT_TEST_DATABASE=postgres a PostgreSQL database.
func TestCLI_databaseFlagPicksTheDatabase(t *testing.T) {
	dir, database := t.TempDir(), dbtest.URL(t)
	if code, _, stderr := runCLI(t, "demo", "--data-dir", dir, "--database", database, "--students", "4", "--assignments", "2", "--submissions", "1", "--static-files", "1"); code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	t.Setenv("COURSEVAULT_DATABASE", database)
	if code, out, stderr := runCLI(t, "user", "add", "--data-dir", dir, "--email", "new@school.edu", "--name", "Ada Lovelace"); code != 0 {
		t.Fatalf("user add: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, "member", "add", "--data-dir", dir, "--course", "1", "--email", "NEW@school.edu", "--role", "ta"); code != 0 {
		t.Fatalf("member add on the same database: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "coursevault.db")); !os.IsNotExist(err) {
		t.Fatalf("the data directory got a database of its own (%v)", err)
	}
}
