package mail

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/jobs"
	"coursevault/jobs/mail/mailtest"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		want      server
		problem   string // "" when it parses
	}{
		{"smtpDefaultsToTheSubmissionPort", "smtp://mail.example.edu", server{host: "mail.example.edu", port: 587}, ""},
		{"smtpsDefaultsTo465WithTLS", "smtps://mail.example.edu", server{host: "mail.example.edu", port: 465, tls: true}, ""},
		{"userPasswordAndPort", "smtp://vault%40school.edu:s3cret@127.0.0.1:2525", server{host: "127.0.0.1", port: 2525, user: "vault@school.edu", pass: "s3cret"}, ""},
		{"otherSchemeRefused", "http://mail.example.edu", server{}, "the scheme must be smtp://"},
		{"noHostRefused", "smtp://:25", server{}, "names no host"},
		{"badPortRefused", "smtp://u:s3cret@mail.example.edu:99999", server{}, "is not a number from 1 to 65535"},
		{"pathRefused", "smtp://mail.example.edu/x", server{}, "only smtp://user:pass@host:port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseURL(tc.url)
			if tc.problem == "" {
				if err != nil || got != tc.want {
					t.Fatalf("parseURL(%q) = %+v, %v; want %+v", tc.url, got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("parseURL(%q) error = %v, want ErrConfig saying %q", tc.url, err, tc.problem)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

func TestNew_settings(t *testing.T) {
	d := dbtest.Open(t)
	runner := jobs.New(d, jobs.Options{Logger: quiet()})
	for _, tc := range []struct {
		name    string
		cfg     Config
		enabled bool
		problem string
	}{
		{"noURLIsOff", Config{From: "vault@school.edu"}, false, ""},
		{"urlAndFromIsOn", Config{URL: "smtp://127.0.0.1:2525", From: "Course Vault <vault@school.edu>"}, true, ""},
		{"urlNeedsFrom", Config{URL: "smtp://127.0.0.1:2525"}, false, "needs --mail-from"},
		{"fromMustBeAnAddress", Config{URL: "smtp://127.0.0.1:2525", From: "not an address"}, false, "is not a mail address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(d, runner, tc.cfg, quiet())
			if tc.problem != "" {
				if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("New error = %v, want ErrConfig saying %q", err, tc.problem)
				}
				return
			}
			if err != nil || s.Enabled() != tc.enabled {
				t.Fatalf("New = enabled %v, %v; want enabled %v", s != nil && s.Enabled(), err, tc.enabled)
			}
		})
	}
}

// send queues m on a mail service with cfg and runs the due jobs, on a fake
// clock; it returns the database and the clock.
func send(t *testing.T, cfg Config, m Message) (*db.DB, *jobs.FakeClock) {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t)
	clock := jobs.NewFakeClock(time.Now())
	runner := jobs.New(d, jobs.Options{Logger: quiet(), Clock: clock})
	s, err := New(d, runner, cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	s.Register()
	if err := d.InTx(ctx, func(tx *db.Queries) error { return s.Queue(ctx, tx, m) }); err != nil {
		t.Fatal(err)
	}
	if err := runner.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	return d, clock
}

// TestSend_deliversPlainTextAndAudits sends one queued mail through the real
// SMTP server.
func TestSend_deliversPlainTextAndAudits(t *testing.T) {
	box := mailtest.New(t)
	m := Message{To: "ada@school.edu", Name: "Ada Lovelace", Subject: "Grüße: PHYS101", Text: "Hello Ada,\n\nLine two.\n"}
	d, _ := send(t, Config{URL: box.SMTP, From: "Course Vault <" + box.From + ">"}, m)
	got := box.Wait(t, 1)
	if len(got) != 1 || got[0].Subject != m.Subject || strings.Join(got[0].To, ",") != m.To || got[0].Attachments != 0 ||
		strings.TrimSpace(strings.ReplaceAll(got[0].Text, "\r\n", "\n")) != strings.TrimSpace(m.Text) || got[0].HTML != "" {
		t.Fatalf("arrived %+v, want one plain-text mail %+v", got, m)
	}
	if h := got[0].Headers["Auto-Submitted"]; len(h) != 1 || h[0] != "auto-generated" {
		t.Errorf("Auto-Submitted = %v, want auto-generated", h)
	}
	events, err := d.AuditEvents(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Action != "mail.send" || events[0].Subject != m.To || events[0].Detail != m.Subject {
		t.Fatalf("audit = %+v, want one mail.send to %s", events, m.To)
	}
}

// TestSend_withoutSMTPEndsUnsent: a mail queued before a restart without
// --smtp-url ends without sending and without failing.
func TestSend_withoutSMTPEndsUnsent(t *testing.T) {
	d, _ := send(t, Config{}, Message{To: "ada@school.edu", Subject: "x", Text: "x"})
	if js := mailJobs(t, d); len(js) != 1 || js[0].State != db.JobSucceeded {
		t.Fatalf("jobs = %+v, want the mail job ended", js)
	}
	if events, _ := d.AuditEvents(context.Background(), 0, 10); len(events) != 0 {
		t.Fatalf("audit = %+v, want no mail.send", events)
	}
}

// TestSend_serverDownIsRetried: an SMTP server that does not answer fails
// the attempt; the queue retries it later.
func TestSend_serverDownIsRetried(t *testing.T) {
	d, clock := send(t, Config{URL: "smtp://127.0.0.1:" + closedPort(t), From: "vault@school.edu"}, Message{To: "ada@school.edu", Subject: "x", Text: "x"})
	js := mailJobs(t, d)
	if len(js) != 1 || js[0].State != db.JobQueued || js[0].Attempt != 1 || !js[0].RunAt.After(clock.Now()) ||
		!strings.Contains(js[0].LastError, "the mail server did not take the mail to ada@school.edu") {
		t.Fatalf("jobs = %+v, want the mail queued for a later attempt with the reason", js)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// mailJobs lists the mail jobs, newest first.
func mailJobs(t *testing.T, d *db.DB) []db.Job {
	t.Helper()
	all, err := d.ListJobs(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var js []db.Job
	for _, j := range all {
		if j.Kind == Kind {
			js = append(js, j)
		}
	}
	return js
}
