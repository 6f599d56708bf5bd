package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs"
	"coursevault/jobs/exports"
	"coursevault/jobs/imports"
	"coursevault/jobs/mail"
	"coursevault/jobs/mail/mailtest"
)

// mailFixture is a fixture whose exports are mailed about through smtpURL
// ("" for no mail), from the mailbox's sender, with the job runner on a
// fake clock so retries can be made due.
type mailFixture struct {
	*fixture
	box   *mailtest.Mailbox
	clock *jobs.FakeClock
	base  string // the site's address, as links in mails start
}

func newMailFixture(t *testing.T, box *mailtest.Mailbox, smtpURL string, opts ...fixtureOption) *mailFixture {
	t.Helper()
	f := newFixture(t, opts...)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mf := &mailFixture{fixture: f, box: box, clock: jobs.NewFakeClock(time.Now())}
	hs := httptest.NewUnstartedServer(nil)
	mf.base = "http://" + hs.Listener.Addr().String()
	f.runner = jobs.New(f.db, jobs.Options{Logger: log, Clock: mf.clock})
	ex := exports.New(f.db, f.runner, f.files, nil, log)
	ex.Register("test", time.UTC)
	cfg := mail.Config{URL: smtpURL, BaseURL: mf.base}
	if box != nil {
		cfg.From = box.From
	}
	ml, err := mail.New(f.db, f.runner, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ml.Register()
	ex.Notify(ml.ExportDone)
	f.srv = New(f.db, Deps{Files: f.files, Exports: ex, Imports: imports.New(f.db, f.runner, f.files, log)}, log,
		Config{Version: "test", Timezone: time.UTC, BaseURL: mf.base, MailEnabled: ml.Enabled()})
	hs.Config.Handler = f.srv.Handler()
	hs.Start()
	f.http.Close()
	f.http = hs
	t.Cleanup(hs.Close)
	return mf
}

// export asks for an export as email through the page's form and runs the
// jobs; it returns the export.
func (f *mailFixture) export(email, kind string) db.ExportView {
	f.t.Helper()
	c := f.as(email)
	path := fmt.Sprintf("/courses/%d/exports", f.course)
	if kind == db.ExportBook {
		path = fmt.Sprintf("/courses/%d/performance/exports", f.course)
	}
	c.get("/courses")
	if res, body := c.post(path, url.Values{"include_static": {"1"}}); res.StatusCode != see {
		f.t.Fatalf("ask for the export: %d %s", res.StatusCode, body)
	}
	f.drain()
	list, err := f.srv.exports.List(context.Background(), f.course, kind)
	if err != nil || len(list) == 0 {
		f.t.Fatalf("no export: %v", err)
	}
	return list[0]
}

// mailJobs lists the mail jobs, newest first.
func (f *fixture) mailJobs() []db.Job {
	f.t.Helper()
	all, err := f.db.ListJobs(context.Background(), "", 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var js []db.Job
	for _, j := range all {
		if j.Kind == mail.Kind {
			js = append(js, j)
		}
	}
	return js
}

func TestMail_readyExportMailsTheLinkNotTheFile(t *testing.T) {
	for _, tc := range []struct {
		name, as, kind, page, subject string
	}{
		{"courseArchive", asAdmin, db.ExportArchive, "/courses/%d/exports", "PHYS101: your course archive is ready"},
		{"performanceBook", asTeacher, db.ExportBook, "/courses/%d/performance", "PHYS101: your performance book is ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			box := mailtest.New(t)
			f := newMailFixture(t, box, box.SMTP)
			e := f.export(tc.as, tc.kind)
			if e.Status() != db.ExportReady {
				t.Fatalf("export is %s: %s", e.Status(), e.LastError)
			}
			got := box.Wait(t, 1)
			m := got[0]
			link := f.base + fmt.Sprintf(tc.page, f.course)
			switch {
			case len(got) != 1 || strings.Join(m.To, ",") != tc.as:
				t.Fatalf("mails = %+v, want one to %s", got, tc.as)
			case m.Subject != tc.subject:
				t.Errorf("subject = %q, want %q", m.Subject, tc.subject)
			case !strings.Contains(m.Text, link+"\r\n") && !strings.Contains(m.Text, link+"\n"):
				t.Errorf("the mail does not link to %s:\n%s", link, m.Text)
			case !strings.Contains(m.Text, e.Filename):
				t.Errorf("the mail does not name the file %s:\n%s", e.Filename, m.Text)
			case m.Attachments != 0 || strings.Contains(m.Text, "/files/") || strings.Contains(m.Text, e.Token):
				t.Errorf("the mail carries the file or its download link:\n%s", m.Text)
			}
			events, err := f.db.AuditEvents(context.Background(), f.course, 50)
			if err != nil {
				t.Fatal(err)
			}
			if n := countEvents(events, "mail.send", tc.as); n != 1 {
				t.Errorf("%d mail.send events for %s, want 1", n, tc.as)
			}
		})
	}
}

func TestMail_failedExportMailsTheReason(t *testing.T) {
	box := mailtest.New(t)
	f := newMailFixture(t, box, box.SMTP, withQuota(1500)) // the demo's two static files fit, no archive does
	e := f.export(asAdmin, db.ExportArchive)
	if e.Status() != db.ExportFailed || e.LastError == "" {
		t.Fatalf("export is %s (%q), want failed", e.Status(), e.LastError)
	}
	got := box.Wait(t, 1)
	m := got[0]
	switch {
	case len(got) != 1 || strings.Join(m.To, ",") != asAdmin:
		t.Fatalf("mails = %+v, want one to %s", got, asAdmin)
	case m.Subject != "PHYS101: your course archive failed":
		t.Errorf("subject = %q", m.Subject)
	case !strings.Contains(strings.ReplaceAll(m.Text, "\r\n", "\n"), e.LastError):
		t.Errorf("the mail does not give the reason %q:\n%s", e.LastError, m.Text)
	case !strings.Contains(m.Text, fmt.Sprintf("%s/courses/%d/exports", f.base, f.course)):
		t.Errorf("the mail does not link to the Exports tab:\n%s", m.Text)
	}
}

// TestMail_exportNobodyAskedForMailsTheCourseAdminsWhenItFails: a scheduled
// archive (no requester) that fails mails the course's admins, not its
// disabled admin nor other staff; one that is ready mails no one.
func TestMail_exportNobodyAskedForMailsTheCourseAdminsWhenItFails(t *testing.T) {
	box := mailtest.New(t)
	f := newMailFixture(t, box, box.SMTP, withQuota(1500))
	ctx := context.Background()
	e, _, err := f.srv.exports.Request(ctx, exports.Request{CourseID: f.course, Kind: db.ExportArchive})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 { // every attempt, past each backoff
		f.drain()
		f.clock.Advance(2 * time.Hour)
	}
	if e, err = f.srv.exports.Get(ctx, f.course, e.ID); err != nil || e.Status() != db.ExportFailed {
		t.Fatalf("export is %s, %v; want failed", e.Status(), err)
	}
	got := box.Wait(t, 1)
	time.Sleep(200 * time.Millisecond) // and no second one
	if got = box.Mails(t); len(got) != 1 || strings.Join(got[0].To, ",") != asAdmin ||
		got[0].Subject != "PHYS101: a scheduled course archive failed" || !strings.Contains(got[0].Text, "as an admin of PHYS101") {
		t.Fatalf("mails = %+v, want one to the course admin %s", got, asAdmin)
	}
}

func TestMail_optedOutUserGetsNone(t *testing.T) {
	box := mailtest.New(t)
	f := newMailFixture(t, box, box.SMTP)
	c := f.as(asAdmin)
	c.get("/account")
	if res, _ := c.post("/account", url.Values{}); res.StatusCode != see { // the box left unticked
		t.Fatalf("save: %d", res.StatusCode)
	}
	if e := f.export(asAdmin, db.ExportArchive); e.Status() != db.ExportReady {
		t.Fatalf("export is %s", e.Status())
	}
	if js := f.mailJobs(); len(js) != 0 {
		t.Fatalf("mail jobs = %+v, want none", js)
	}
	if got := box.Mails(t); len(got) != 0 {
		t.Fatalf("mails = %+v, want none", got)
	}
}

// TestMail_serverDownNeverFailsTheExport: with the mail server down the
// export is ready all the same; the mail is retried with the queue's backoff
// and arrives once the server is back.
func TestMail_serverDownNeverFailsTheExport(t *testing.T) {
	box := mailtest.New(t)
	relay := box.Relay(t) // down
	f := newMailFixture(t, box, relay.URL)
	e := f.export(asAdmin, db.ExportArchive)
	if e.Status() != db.ExportReady {
		t.Fatalf("export is %s (%s), want ready while the mail server is down", e.Status(), e.LastError)
	}
	js := f.mailJobs()
	if len(js) != 1 || js[0].State != db.JobQueued || js[0].Attempt != 1 || !js[0].RunAt.After(f.clock.Now()) {
		t.Fatalf("mail jobs = %+v, want one waiting to be tried again", js)
	}
	relay.Up(t)
	f.clock.Advance(time.Minute)
	f.drain()
	if got := box.Wait(t, 1); len(got) != 1 || strings.Join(got[0].To, ",") != asAdmin {
		t.Fatalf("mails = %+v, want one to %s", got, asAdmin)
	}
	if js := f.mailJobs(); js[0].State != db.JobSucceeded || js[0].Attempt != 2 {
		t.Fatalf("mail job = %+v, want sent on the second attempt", js[0])
	}
}

// TestMail_noSMTPSendsNothingAndFailsNothing needs no mail server.
func TestMail_noSMTPSendsNothingAndFailsNothing(t *testing.T) {
	f := newMailFixture(t, nil, "")
	if e := f.export(asAdmin, db.ExportArchive); e.Status() != db.ExportReady {
		t.Fatalf("export is %s (%s)", e.Status(), e.LastError)
	}
	if js := f.mailJobs(); len(js) != 0 {
		t.Fatalf("mail jobs = %+v, want none without --smtp-url", js)
	}
	c := f.as(asAdmin)
	if _, body := c.get("/account"); !strings.Contains(body, "This server sends no mail at the moment") {
		t.Fatalf("the Account page does not say mail is off: %s", body)
	}
}

func countEvents(events []db.AuditEvent, action, subject string) int {
	n := 0
	for _, e := range events {
		if e.Action == action && e.Subject == subject {
			n++
		}
	}
	return n
}
