package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/demo"
	"coursevault/db/files"
	"coursevault/db/files/filestest"
	"coursevault/jobs"
	"coursevault/jobs/exports"
	"coursevault/jobs/imports"
	"coursevault/web/auth"
)

const testPassword = "correct horse battery"

var (
	hashOnce sync.Once
	testHash string
)

func passwordHash(t testing.TB) string {
	hashOnce.Do(func() {
		var err error
		if testHash, err = auth.HashPassword(testPassword); err != nil {
			t.Fatal(err)
		}
	})
	return testHash
}

// fixture is a running server over a real database file with one course
// ("course") staffed in every role, and a second course with its own teacher.
type fixture struct {
	t      testing.TB
	db     *db.DB
	srv    *Server
	http   *httptest.Server
	files  *files.Service
	runner *jobs.Runner // not started: tests run jobs with drain
	course int64        // PHYS101: admin, teacher, ta, student members
	other  int64        // CHEM201: other-teacher only
	users  map[string]int64
}

// Test users by the role they play.
const (
	asSiteAdmin    = "site-admin@test.edu"
	asAdmin        = "admin@test.edu"
	asTeacher      = "teacher@test.edu"
	asTA           = "ta@test.edu"
	asStudent      = "student@test.edu"
	asOtherTeacher = "other@test.edu"
	asDisabled     = "gone@test.edu"
)

// fixtureOption changes how newFixture builds the app.
type fixtureOption func(*files.Options)

// withQuota gives every course a storage quota of n bytes.
func withQuota(n int64) fixtureOption { return func(o *files.Options) { o.CourseQuota = n } }

func newFixture(t testing.TB, opts ...fixtureOption) *fixture {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t)
	var err error
	f := &fixture{t: t, db: d, users: map[string]int64{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var fo files.Options
	for _, o := range opts {
		o(&fo)
	}
	if fo.Blobs == nil {
		fo.Blobs = filestest.Blobs(t) // COURSEVAULT_TEST_STORE=s3 runs the web tests on object storage
	}
	f.files, err = files.New(d, filepath.Join(t.TempDir(), "attachments"), fo)
	if err != nil {
		t.Fatal(err)
	}
	// A small demo gives the performance tests real course data.
	_, err = demo.Generate(ctx, d, demo.Options{Seed: 7, Courses: 3, Students: 12, Assignments: 4, SubmissionsPerStudent: 1,
		StdoutBytes: 256, StaticFiles: 2, PasswordHash: passwordHash(t),
		Static: func(ctx context.Context, courseID int64, path string, content []byte) error {
			_, err := f.files.AddStatic(ctx, courseID, path, bytes.NewReader(content))
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	err = d.InTx(ctx, func(tx *db.Queries) error {
		for _, email := range []string{asSiteAdmin, asAdmin, asTeacher, asTA, asStudent, asOtherTeacher, asDisabled} {
			id, err := tx.InsertUser(ctx, db.User{Email: email, Name: strings.Split(email, "@")[0], PasswordHash: passwordHash(t),
				SiteAdmin: email == asSiteAdmin, Disabled: email == asDisabled, CreatedAt: now})
			if err != nil {
				return err
			}
			f.users[email] = id
		}
		if f.course, err = tx.InsertCourse(ctx, db.Course{Code: "PHYS101", Name: "Physics I", Term: "Fall 2026", CreatedAt: now}); err != nil {
			return err
		}
		if f.other, err = tx.InsertCourse(ctx, db.Course{Code: "CHEM201", Name: "Chemistry II", Term: "Fall 2026", CreatedAt: now}); err != nil {
			return err
		}
		for email, role := range map[string]string{asAdmin: db.RoleAdmin, asTeacher: db.RoleTeacher, asTA: db.RoleTA, asStudent: db.RoleStudent, asDisabled: db.RoleAdmin} {
			if _, err := tx.InsertMembership(ctx, db.Membership{CourseID: f.course, UserID: f.users[email], Role: role, CreatedAt: now}); err != nil {
				return err
			}
		}
		_, err := tx.InsertMembership(ctx, db.Membership{CourseID: f.other, UserID: f.users[asOtherTeacher], Role: db.RoleTeacher, CreatedAt: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var deps Deps
	deps, f.runner = newDeps(d, f.files, log)
	f.srv = New(d, deps, log, Config{Version: "test", Timezone: time.UTC})
	f.http = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.http.Close)
	return f
}

// newDeps builds the services as serve does, with a runner that is not
// started: tests run its jobs with Drain.
func newDeps(d *db.DB, fs *files.Service, log *slog.Logger) (Deps, *jobs.Runner) {
	runner := jobs.New(d, jobs.Options{Logger: log})
	ex := exports.New(d, runner, fs, nil, log)
	ex.Register("test", time.UTC)
	return Deps{Files: fs, Exports: ex, Imports: imports.New(d, runner, fs, log)}, runner
}

// drain runs every queued job to the end, as the worker would.
func (f *fixture) drain() {
	f.t.Helper()
	if err := f.runner.Drain(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

// client is a browser-like HTTP client: cookies, no automatic redirects.
type client struct {
	f      *fixture
	hc     *http.Client
	csrf   string
	header map[string]string // sent with every request
}

func (f *fixture) client() *client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	if f.http.TLS != nil {
		hc.Transport = f.http.Client().Transport // trusts the test server's certificate
	}
	return &client{f: f, hc: hc}
}

// restart serves f's database again with cfg (Version and Timezone filled
// in), over TLS when cfg.BaseURL is https; f's clients then talk to it.
func (f *fixture) restart(cfg Config) {
	cfg.Version, cfg.Timezone = "test", time.UTC
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	deps, runner := newDeps(f.db, f.files, log)
	f.runner = runner
	f.srv = New(f.db, deps, log, cfg)
	f.http.Close()
	if strings.HasPrefix(cfg.BaseURL, "https://") {
		f.http = httptest.NewTLSServer(f.srv.Handler())
	} else {
		f.http = httptest.NewServer(f.srv.Handler())
	}
	f.t.Cleanup(f.http.Close)
}

// as returns a client signed in as email (anonymous for "").
func (f *fixture) as(email string) *client {
	c := f.client()
	if email != "" {
		res := c.signIn(email, testPassword)
		if res.StatusCode != http.StatusSeeOther {
			f.t.Fatalf("sign in as %s: status %d", email, res.StatusCode)
		}
	}
	return c
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([0-9a-f]+)"`)

// do sends a request; on 200 HTML it remembers the page's CSRF token.
func (c *client) do(method, path string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	c.f.t.Helper()
	req, err := http.NewRequest(method, c.f.http.URL+path, body)
	if err != nil {
		c.f.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.f.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := csrfField.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return res, string(b)
}

func (c *client) get(path string) (*http.Response, string) { return c.do("GET", path, nil, nil) }

// post sends a form with the page's CSRF token (fetched from /signin if none yet).
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	if c.csrf == "" {
		c.get("/signin")
	}
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("_csrf") {
		form.Set("_csrf", c.csrf)
	}
	return c.do("POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func (c *client) signIn(email, password string) *http.Response {
	res, _ := c.post("/signin", url.Values{"email": {email}, "password": {password}})
	c.csrf = "" // the session's token is new after sign-in
	return res
}
