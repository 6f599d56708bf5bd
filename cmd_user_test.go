package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"coursevault/web"
)

func TestCLI_userLinkPrintsAOneTimeLink(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "user", "add", "--data-dir", dir, "--email", "new@school.edu", "--name", "Ada Lovelace"); code != 0 {
		t.Fatalf("user add: %d %s", code, stderr)
	}
	link := func(want string, args ...string) string {
		t.Helper()
		code, out, stderr := runCLI(t, append([]string{"user", "link", "--data-dir", dir}, args...)...)
		m := regexp.MustCompile(`^(.*)/password/([0-9a-f]{64})\n$`).FindStringSubmatch(out)
		if code != 0 || m == nil || m[1] != want {
			t.Fatalf("user link %v: %d %q %s", args, code, out, stderr)
		}
		return "/password/" + m[2]
	}
	first := link("http://127.0.0.1:8080", "--email", "NEW@school.edu")
	link("https://vault.example.edu", "--email", "new@school.edu", "--base-url", "https://vault.example.edu/")
	t.Setenv("COURSEVAULT_BASE_URL", "https://env.example.edu")
	last := link("https://env.example.edu", "--email", "new@school.edu")

	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"user", "link", "--data-dir", dir, "--email", "nobody@school.edu"}, 1, "no user with email nobody@school.edu"},
		{[]string{"user", "link", "--data-dir", dir}, 2, "--email is required"},
		{[]string{"user", "nope"}, 2, `expected "add" or "link"`},
	} {
		if code, _, stderr := runCLI(t, tt.args...); code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, code, stderr)
		}
	}

	// The last link opens the set-password page; the earlier ones no longer do.
	ctx := context.Background()
	d := openDataDir(t, dir)
	srv := httptest.NewServer(web.New(d, web.Deps{}, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Config{}).Handler())
	defer srv.Close()
	for path, want := range map[string]int{last: http.StatusOK, first: http.StatusGone} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, want)
		}
	}
	events, err := d.AuditEvents(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Action == "user.link" && e.Subject == "new@school.edu" && e.Detail == "from the command line" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d user.link events, want 3", n)
	}
}
