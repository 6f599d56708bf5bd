package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Issue 18: nothing a stranger or a script sends writes a session row; only
// signing in does.

const strangerRequests = 1000

func (f *fixture) sessionRows() int64 {
	f.t.Helper()
	n, err := f.db.CountSessions(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// stranger is one anonymous request in three guises, by i: no cookies; an
// unknown session cookie and a forged CSRF token; a valid double-submit
// CSRF cookie and token (what a browser that loaded the form sends).
func (f *fixture) stranger(method, path string, i int, nonce, token string) *http.Request {
	var body string
	switch i % 3 {
	case 1:
		body = url.Values{"_csrf": {"forged"}, "email": {asTeacher}, "password": {"wrong"}}.Encode()
	case 2:
		body = url.Values{"_csrf": {token}, "email": {fmt.Sprintf("nobody%d@test.edu", i)}, "password": {"wrong"}}.Encode()
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	switch i % 3 {
	case 1:
		req.AddCookie(&http.Cookie{Name: "coursevault_session", Value: fmt.Sprintf("unknown-%d", i)})
	case 2:
		req.AddCookie(&http.Cookie{Name: "coursevault_csrf", Value: nonce})
	}
	return req
}

// strangerRoutes is every route of the router and the 404, made concrete.
func (f *fixture) strangerRoutes() [][2]string {
	var rs [][2]string
	for _, r := range f.srv.echo.Routes() {
		if r.Method == "echo_route_not_found" { // Echo's internal any-method 404 entry
			continue
		}
		rs = append(rs, [2]string{r.Method, concretePath(r.Path, f.course)})
	}
	return append(rs, [2]string{"GET", "/no/such/page"}, [2]string{"POST", "/no/such/page"},
		[2]string{"GET", "/password/" + strings.Repeat("cd", 32)}, [2]string{"GET", "/static/app.css"})
}

func TestSessions_strangersWriteNoSessionRow(t *testing.T) {
	f := newFixture(t)
	// A browser's form: the nonce cookie GET /signin sets and the token on the page.
	res, page := f.client().get("/signin")
	var nonce string
	for _, ck := range res.Cookies() {
		if ck.Name == "coursevault_csrf" {
			nonce = ck.Value
		}
		if ck.Name == "coursevault_session" {
			t.Fatalf("GET /signin set a session cookie: %v", ck)
		}
	}
	m := csrfField.FindStringSubmatch(page)
	if nonce == "" || m == nil {
		t.Fatalf("GET /signin: no CSRF cookie (%q) or form token", nonce)
	}
	before := f.sessionRows()
	statuses := map[int]int{}
	for _, r := range f.strangerRoutes() {
		for i := 0; i < strangerRequests; i++ {
			statuses[f.serve(f.stranger(r[0], r[1], i, nonce, m[1])).Code]++
		}
	}
	if got := f.sessionRows(); got != before {
		t.Fatalf("strangers' requests wrote %d session rows", got-before)
	}
	t.Logf("%d routes × %d requests, statuses %v", len(f.strangerRoutes()), strangerRequests, statuses)
}

func TestSessions_bearerRequestsWriteNoSessionRow(t *testing.T) {
	f := newFixture(t)
	personal := f.bearer(asTeacher)["Authorization"]
	course, _ := f.courseToken(f.course, "sessions")
	before := f.sessionRows()
	n := 0
	for _, r := range f.srv.echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") && !strings.HasPrefix(r.Path, "/files/") {
			continue
		}
		path := concretePath(r.Path, f.course)
		for i := 0; i < strangerRequests; i++ {
			req := httptest.NewRequest(r.Method, path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if i%2 == 0 {
				req.Header.Set("Authorization", personal)
			} else {
				req.Header.Set("Authorization", "Bearer "+course)
			}
			f.serve(req)
			n++
		}
	}
	if got := f.sessionRows(); got != before {
		t.Fatalf("%d bearer requests wrote %d session rows", n, got-before)
	}
	if n == 0 {
		t.Fatal("no API routes walked")
	}
}

// A session row comes with sign-in and goes with sign-out.
func TestSessions_onlySignInWritesOne(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.get("/signin")
	if res, _ := c.post("/signin", url.Values{"email": {asTeacher}, "password": {"wrong"}}); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	if n := f.sessionRows(); n != 0 {
		t.Fatalf("%d session rows before sign-in", n)
	}
	if res := c.signIn(asTeacher, testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	if n := f.sessionRows(); n != 1 {
		t.Fatalf("%d session rows after sign-in, want 1", n)
	}
	c.get("/courses")
	if res, _ := c.post("/signout", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	if n := f.sessionRows(); n != 0 {
		t.Fatalf("%d session rows after sign-out", n)
	}
	if res, _ := c.get("/courses"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("/courses after sign-out: %d, want a redirect to sign in", res.StatusCode)
	}
}

// BenchmarkSessions_anonymousSignInForm is strangers loading the sign-in
// form, in parallel: requests/s, and session rows written per request
// (1 before issue 18, 0 after). README "Sessions" has the figures.
func BenchmarkSessions_anonymousSignInForm(b *testing.B) {
	f := newFixture(b)
	h := f.srv.Handler()
	before := f.sessionRows()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/signin", nil))
			if rec.Code != http.StatusOK {
				b.Errorf("GET /signin: %d", rec.Code)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(f.sessionRows()-before)/float64(b.N), "session-rows/op")
}

// The sign-in form's CSRF needs no session: a wrong token, a token without
// its cookie, or another browser's token is refused; the form's own token
// works, also after a restart (the key is in the database, not the process).
func TestCSRF_signInFormWithoutSession(t *testing.T) {
	f := newFixture(t)
	form := func(token string) url.Values {
		return url.Values{"_csrf": {token}, "email": {asTeacher}, "password": {testPassword}}
	}
	t.Run("wrong token is 403", func(t *testing.T) {
		c := f.client()
		c.get("/signin")
		if res, body := c.post("/signin", form(strings.Repeat("0", 64))); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Reload the page") {
			t.Fatalf("%d", res.StatusCode)
		}
	})
	t.Run("token without its cookie is 403", func(t *testing.T) {
		c := f.client()
		c.get("/signin")
		fresh := f.client()
		if res, _ := fresh.post("/signin", form(c.csrf)); res.StatusCode != http.StatusForbidden {
			t.Fatalf("%d", res.StatusCode)
		}
	})
	t.Run("another browser's token is 403", func(t *testing.T) {
		a, b := f.client(), f.client()
		a.get("/signin")
		b.get("/signin")
		if a.csrf == b.csrf {
			t.Fatal("two browsers got the same token")
		}
		if res, _ := b.post("/signin", form(a.csrf)); res.StatusCode != http.StatusForbidden {
			t.Fatalf("%d", res.StatusCode)
		}
	})
	t.Run("the form's token signs in after a restart", func(t *testing.T) {
		c := f.client()
		c.get("/signin")
		f.restart(Config{})
		if res, _ := c.post("/signin", form(c.csrf)); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d", res.StatusCode)
		}
		if n := f.sessionRows(); n != 1 {
			t.Fatalf("%d session rows after one sign-in", n)
		}
	})
}

// Over HTTPS the nonce cookie is __Host- prefixed (no subdomain can plant
// one) and Secure, and signing in works with it.
func TestCSRF_hostCookieOverHTTPS(t *testing.T) {
	f := newFixture(t)
	f.restart(Config{BaseURL: "https://vault.test"})
	c := f.client()
	res, _ := c.get("/signin")
	var ck *http.Cookie
	for _, k := range res.Cookies() {
		if strings.HasSuffix(k.Name, "coursevault_csrf") {
			ck = k
		}
	}
	if ck == nil || ck.Name != "__Host-coursevault_csrf" || !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" {
		t.Fatalf("CSRF cookie %+v", ck)
	}
	if res := c.signIn(asTeacher, testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in over HTTPS: %d", res.StatusCode)
	}
}

// A notice put before a redirect shows on the next page, once.
func TestSessions_noticeAfterRedirect(t *testing.T) {
	f := newFixture(t)
	c := f.as(asSiteAdmin)
	c.get("/admin/courses")
	res, _ := c.post("/admin/courses", url.Values{"code": {"NOTE1"}, "name": {"Notices"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create course: %d", res.StatusCode)
	}
	if _, body := c.get(res.Header.Get("Location")); !strings.Contains(body, "Course NOTE1 created") {
		t.Fatal("notice not shown after the redirect")
	}
	if _, body := c.get(res.Header.Get("Location")); strings.Contains(body, "Course NOTE1 created") {
		t.Fatal("notice shown twice")
	}
}
