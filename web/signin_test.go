package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"coursevault/db"
)

func TestSignIn(t *testing.T) {
	f := newFixture(t)
	const sameMessage = "That email and password do not match an account"
	tests := []struct {
		name, email, password string
		status                int
		body                  string
	}{
		{"right password signs in", asTeacher, testPassword, http.StatusSeeOther, ""},
		{"email is case-insensitive", strings.ToUpper(asTeacher), testPassword, http.StatusSeeOther, ""},
		{"wrong password", asTeacher, "nope nope nope", http.StatusUnauthorized, sameMessage},
		{"unknown email gets the same message", "nobody@test.edu", testPassword, http.StatusUnauthorized, sameMessage},
		{"disabled account", asDisabled, testPassword, http.StatusUnauthorized, sameMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client()
			c.get("/signin")
			res, body := c.post("/signin", url.Values{"email": {tt.email}, "password": {tt.password}})
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			if !strings.Contains(body, tt.body) {
				t.Fatalf("body lacks %q", tt.body)
			}
			if tt.status == http.StatusSeeOther {
				if got := res.Header.Get("Location"); got != "/courses" {
					t.Fatalf("redirect to %q", got)
				}
				if res, _ := c.get("/courses"); res.StatusCode != http.StatusOK {
					t.Fatalf("/courses after sign-in: %d", res.StatusCode)
				}
			}
		})
	}
}

// A session planted before sign-in (fixation) does not ride along: sign-in
// gives a new token. Strangers get no session, so the test plants the row.
func TestSignIn_renewsPlantedSessionToken(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	u := mustURL(t, f.http.URL)
	const planted = "planted-session-token"
	exp := time.Now().Add(time.Hour)
	data, err := scs.GobCodec{}.Encode(exp, map[string]interface{}{})
	if err != nil {
		t.Fatal(err)
	}
	if err := (db.SessionStore{DB: f.db}).Commit(planted, data, exp); err != nil {
		t.Fatal(err)
	}
	c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "coursevault_session", Value: planted, Path: "/"}})
	c.get("/signin")
	c.signIn(asTeacher, testPassword)
	after := sessionCookie(c, u)
	if after == "" || after == planted {
		t.Fatalf("session token not renewed: before %q after %q", planted, after)
	}
	if res, _ := c.get("/courses"); res.StatusCode != http.StatusOK {
		t.Fatalf("/courses after sign-in: %d", res.StatusCode)
	}
}

func TestSignIn_nextStaysOnSite(t *testing.T) {
	for next, want := range map[string]string{
		"/courses/1/exports": "/courses/1/exports",
		"//evil.example":     "/courses",
		"https://evil.test":  "/courses",
		`/\evil.example`:     "/courses",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestSignOut_endsSession(t *testing.T) {
	f := newFixture(t)
	c := f.as(asTeacher)
	c.get("/courses")
	res, _ := c.post("/signout", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	if res, _ := c.get("/courses"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/signin") {
		t.Fatalf("after sign-out /courses gave %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestCSRF_unsafeMethodWithoutTokenIs403(t *testing.T) {
	f := newFixture(t)
	c := f.as(asTeacher)
	c.get("/courses")
	res, body := c.post("/signout", url.Values{"_csrf": {"0000"}})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Reload the page") {
		t.Fatalf("wrong token: %d", res.StatusCode)
	}
	res, _ = c.do("POST", "/signout", nil, map[string]string{"X-CSRF-Token": c.csrf})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("right token in the htmx header: %d", res.StatusCode)
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func sessionCookie(c *client, u *url.URL) string {
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == "coursevault_session" {
			return ck.Value
		}
	}
	return ""
}

func TestSignIn_throttlesRepeatedFailures(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	c.get("/signin")
	for i := range maxFailuresPerAccount {
		if res, _ := c.post("/signin", url.Values{"email": {asTeacher}, "password": {"wrong"}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, res.StatusCode)
		}
	}
	res, body := c.post("/signin", url.Values{"email": {asTeacher}, "password": {testPassword}})
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("after %d failures the right password gave %d", maxFailuresPerAccount, res.StatusCode)
	}
	// Another account from the same address is not locked by this one.
	if res := c.signIn(asAdmin, testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("other account: %d", res.StatusCode)
	}
	// The lock ends when the window has passed.
	f.srv.cfg.Now = func() time.Time { return time.Now().Add(throttleWindow + time.Minute) }
	if res := f.client().signIn(asTeacher, testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %d", res.StatusCode)
	}
}

func TestSession_endsAfterIdleTime(t *testing.T) {
	f := newFixture(t)
	clock := time.Now()
	f.srv.cfg.Now = func() time.Time { return clock }
	c := f.as(asTeacher)
	c.get("/courses")
	// A request within a minute of the last one does not save the session:
	// a page polling every 2 s costs no write.
	if res, _ := c.get("/courses"); res.Header.Get("Set-Cookie") != "" {
		t.Fatal("an ordinary request saved the session")
	}
	// Within the idle time the session stays.
	clock = clock.Add(f.srv.cfg.SessionIdle - time.Minute)
	if res, _ := c.get("/courses"); res.StatusCode != http.StatusOK {
		t.Fatalf("within the idle time: %d", res.StatusCode)
	}
	// Idle for longer than SessionIdle: signed out.
	clock = clock.Add(f.srv.cfg.SessionIdle + time.Minute)
	if res, _ := c.get("/courses"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the idle time: %d, want a redirect to sign in", res.StatusCode)
	}
}

// The session cookie is HttpOnly and SameSite=Lax everywhere, and Secure
// when the base URL is https.
func TestSessionCookie_attributes(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		baseURL string
		secure  bool
	}{{"", false}, {"http://vault.example.edu", false}, {"https://vault.example.edu", true}} {
		f.restart(Config{BaseURL: tc.baseURL})
		res := f.client().signIn(asTeacher, testPassword)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("base URL %q: sign in: %d", tc.baseURL, res.StatusCode)
		}
		var session *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "coursevault_session" {
				session = c
			}
		}
		switch {
		case session == nil:
			t.Errorf("base URL %q: sign-in set no session cookie", tc.baseURL)
		case !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure != tc.secure:
			t.Errorf("base URL %q: session cookie HttpOnly=%v SameSite=%v Secure=%v; want true, Lax, %v",
				tc.baseURL, session.HttpOnly, session.SameSite, session.Secure, tc.secure)
		}
	}
}

// A session in use all along still ends when its absolute lifetime is over.
func TestSession_endsAfterItsLifetimeEvenWhenInUse(t *testing.T) {
	f := newFixture(t)
	start := time.Now()
	clock := start
	f.restart(Config{Now: func() time.Time { return clock }, SessionIdle: 8 * time.Hour, SessionLifetime: 48 * time.Hour})
	c := f.as(asTeacher)
	for clock.Before(start.Add(48*time.Hour - 8*time.Hour)) {
		clock = clock.Add(8*time.Hour - time.Minute)
		if res, _ := c.get("/courses"); res.StatusCode != http.StatusOK {
			t.Fatalf("%s after sign-in, active all along: %d", clock.Sub(start), res.StatusCode)
		}
	}
	clock = start.Add(48*time.Hour + time.Minute)
	if res, _ := c.get("/courses"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("past the lifetime: %d, want a redirect to sign in", res.StatusCode)
	}
}

func TestSignIn_recordsLastSignInWithoutMovingDataVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	lastSignIn := func() *time.Time {
		ms, err := f.db.CourseMembers(ctx, f.course)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Email == asTeacher {
				return m.LastSignIn
			}
		}
		t.Fatal("teacher not a member")
		return nil
	}
	if lastSignIn() != nil {
		t.Fatal("a new member has a last sign-in")
	}
	before, _ := f.db.CourseByID(ctx, f.course)
	start := time.Now().Add(-time.Second)
	f.as(asTeacher)
	got := lastSignIn()
	if got == nil || got.Before(start) || got.After(time.Now().Add(time.Second)) {
		t.Fatalf("last sign-in %v, want about now", got)
	}
	if after, _ := f.db.CourseByID(ctx, f.course); after.DataVersion != before.DataVersion {
		t.Errorf("a sign-in moved the data version %d → %d", before.DataVersion, after.DataVersion)
	}
}
