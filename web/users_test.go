package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/web/auth"
)

// addUser inserts a user without a password (as imports and rosters do).
func (f *fixture) addUser(email string, disabled bool) int64 {
	f.t.Helper()
	ctx := context.Background()
	var id int64
	err := f.db.InTx(ctx, func(tx *db.Queries) (err error) {
		id, err = tx.InsertUser(ctx, db.User{Email: email, Name: "Person " + email, Disabled: disabled, CreatedAt: time.Now()})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// htmxPost posts a form as htmx does: the CSRF token in the header.
func (c *client) htmxPost(path string, form url.Values) (*http.Response, string) {
	if form == nil {
		form = url.Values{}
	}
	return c.do("POST", path, strings.NewReader(form.Encode()), map[string]string{
		"HX-Request": "true", "X-CSRF-Token": c.csrf, "Content-Type": "application/x-www-form-urlencoded"})
}

var newLinkURL = regexp.MustCompile(`readonly value="([^"]+/password/([0-9a-f]{64}))"`)

// makeLink has the site admin c make a set-password link for user id, as
// htmx does, and returns the link's path.
func (c *client) makeLink(id int64) string {
	t := c.f.t
	t.Helper()
	if c.csrf == "" {
		c.get("/admin/users")
	}
	res, row := c.htmxPost(fmt.Sprintf("/admin/users/%d/link", id), nil)
	m := newLinkURL.FindStringSubmatch(row)
	if res.StatusCode != ok || m == nil || !strings.Contains(row, "it is shown only once") {
		t.Fatalf("make link: %d %.300s", res.StatusCode, row)
	}
	if !strings.HasPrefix(m[1], c.f.http.URL+"/password/") {
		t.Fatalf("link %q is not on this site", m[1])
	}
	return "/password/" + m[2]
}

// auditCount counts events of action about subject.
func (f *fixture) auditCount(action, subject string) int {
	f.t.Helper()
	events, err := f.db.AuditEvents(context.Background(), 0, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Action == action && e.Subject == subject {
			n++
		}
	}
	return n
}

const linkGoneText = "This link has expired"

func TestUsersPage_searchesAndPages(t *testing.T) {
	f := newFixture(t)
	for i := range 60 {
		f.addUser(fmt.Sprintf("p%02d@paging.edu", i), false)
	}
	c := f.as(asSiteAdmin)
	tests := []struct {
		name, path string
		has        []string
		lacks      []string
	}{
		{"first page", "/admin/users?q=paging", []string{"Users 1–50 of 60", "p00@paging.edu", "p49@paging.edu", `href="/admin/users?page=2&amp;q=paging"`}, []string{"p50@paging.edu", "Previous page"}},
		{"second page", "/admin/users?q=paging&page=2", []string{"Users 51–60 of 60", "p59@paging.edu", "Previous page"}, []string{"p49@paging.edu", "Next page"}},
		{"any case, by email", "/admin/users?q=P07%40PAGING", []string{"Users 1–1 of 1", "p07@paging.edu"}, []string{"p08@paging.edu"}},
		{"by name", "/admin/users?q=person+p12", []string{"Users 1–1 of 1", "p12@paging.edu"}, nil},
		{"no match", "/admin/users?q=nobody", []string{`No user&#39;s email or name contains &#34;nobody&#34;.`}, []string{"<table"}},
		{"a bad page number is the first", "/admin/users?q=paging&page=x", []string{"Users 1–50 of 60"}, nil},
		{"columns", "/admin/users?q=teacher", []string{"teacher@test.edu", "Has a password", "Enabled"}, nil},
		{"disabled users show so", "/admin/users?q=gone", []string{"Disabled"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := c.get(tt.path)
			if res.StatusCode != ok {
				t.Fatalf("status %d", res.StatusCode)
			}
			for _, s := range tt.has {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(body, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
	t.Run("active search swaps the list only", func(t *testing.T) {
		res, body := c.do("GET", "/admin/users?q=p03", nil, map[string]string{"HX-Request": "true"})
		if res.StatusCode != ok || strings.Contains(body, "<html") || !strings.HasPrefix(body, `<div id="users-list">`) || !strings.Contains(body, "p03@paging.edu") {
			t.Fatalf("%d %.200s", res.StatusCode, body)
		}
		res, body = c.do("GET", "/admin/users?q=p03", nil, map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"})
		if res.StatusCode != ok || !strings.Contains(body, "<html") {
			t.Fatalf("history restore is not the whole page: %d", res.StatusCode)
		}
	})
	t.Run("the nav links to it", func(t *testing.T) {
		if _, body := c.get("/courses"); !strings.Contains(body, `href="/admin/users"`) {
			t.Fatal("no Users link for a site admin")
		}
		if _, body := f.as(asAdmin).get("/courses"); strings.Contains(body, `href="/admin/users"`) {
			t.Fatal("a Users link for a course admin")
		}
	})
}

func TestUsers_disableStopsSessionsAndTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	token, hash := auth.NewAccessToken()
	if err := f.db.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertAccessToken(ctx, f.users[asTeacher], hash, "ci", time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	teacher := f.as(asTeacher)
	api := func() int {
		res, _ := f.client().do("GET", "/api/courses", nil, map[string]string{"Authorization": "Bearer " + token})
		return res.StatusCode
	}
	admin := f.as(asSiteAdmin)
	admin.get("/admin/users?q=teacher")
	path := fmt.Sprintf("/admin/users/%d", f.users[asTeacher])

	res, _ := admin.post(path+"/disable", url.Values{"q": {"teacher"}, "page": {"1"}})
	if res.StatusCode != see || res.Header.Get("Location") != "/admin/users?q=teacher" {
		t.Fatalf("disable: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, body := admin.get("/admin/users?q=teacher"); !strings.Contains(body, "teacher@test.edu is disabled") || !strings.Contains(body, `data-disabled="true"`) {
		t.Fatal("no notice or row not disabled")
	}
	if res, _ := teacher.get("/courses"); res.StatusCode != see {
		t.Fatalf("disabled user's session still works: %d", res.StatusCode)
	}
	if got := api(); got != unauth {
		t.Fatalf("disabled user's token: %d", got)
	}
	if res := f.client().signIn(asTeacher, testPassword); res.StatusCode != unauth {
		t.Fatalf("disabled user signs in: %d", res.StatusCode)
	}

	res, row := admin.htmxPost(path+"/enable", nil)
	if res.StatusCode != ok || !strings.Contains(row, `data-disabled="false"`) || !strings.HasPrefix(row, "<tr") || !strings.Contains(res.Header.Get("HX-Trigger"), "is enabled") {
		t.Fatalf("enable: %d %q %.200s", res.StatusCode, res.Header.Get("HX-Trigger"), row)
	}
	if got := api(); got != ok {
		t.Fatalf("re-enabled user's token: %d", got)
	}
	if res := f.client().signIn(asTeacher, testPassword); res.StatusCode != see {
		t.Fatalf("re-enabled user cannot sign in: %d", res.StatusCode)
	}
	if f.auditCount("user.disable", asTeacher) != 1 || f.auditCount("user.enable", asTeacher) != 1 {
		t.Fatal("disable/enable not audited")
	}
}

func TestUsers_siteAdminToggle(t *testing.T) {
	f := newFixture(t)
	admin := f.as(asSiteAdmin)
	admin.get("/admin/users")
	teacher := f.as(asTeacher)
	path := fmt.Sprintf("/admin/users/%d", f.users[asTeacher])
	if res, _ := teacher.get("/admin/users"); res.StatusCode != nf {
		t.Fatalf("before: %d", res.StatusCode)
	}
	if res, row := admin.htmxPost(path+"/promote", nil); res.StatusCode != ok || !strings.Contains(row, `data-site-admin="true"`) || !strings.Contains(row, "Remove site admin") {
		t.Fatalf("promote: %d %.200s", res.StatusCode, row)
	}
	if res, _ := teacher.get("/admin/users"); res.StatusCode != ok {
		t.Fatalf("promoted teacher: %d", res.StatusCode)
	}
	if res, _ := admin.post(path+"/demote", nil); res.StatusCode != see {
		t.Fatalf("demote: %d", res.StatusCode)
	}
	if res, _ := teacher.get("/admin/users"); res.StatusCode != nf {
		t.Fatalf("demoted teacher: %d", res.StatusCode)
	}
	if f.auditCount("user.promote", asTeacher) != 1 || f.auditCount("user.demote", asTeacher) != 1 {
		t.Fatal("not audited")
	}
}

func TestUsers_cannotDisableOrDemoteSelf(t *testing.T) {
	f := newFixture(t)
	admin := f.as(asSiteAdmin)
	_, body := admin.get("/admin/users?q=site-admin")
	if strings.Contains(body, ">Disable<") || strings.Contains(body, "Remove site admin") {
		t.Fatal("own row offers disable or demote")
	}
	path := fmt.Sprintf("/admin/users/%d", f.users[asSiteAdmin])
	for _, action := range []string{"/disable", "/demote"} {
		res, body := admin.post(path+action, nil)
		if res.StatusCode != forb || !strings.Contains(body, "You cannot") {
			t.Errorf("%s self: %d", action, res.StatusCode)
		}
	}
	if res, _ := admin.get("/admin/users"); res.StatusCode != ok {
		t.Fatalf("site admin locked out: %d", res.StatusCode)
	}
	for _, p := range []string{"/admin/users/99999/disable", "/admin/users/abc/enable"} {
		if res, _ := admin.post(p, nil); res.StatusCode != nf {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}

func TestPasswordLink_setsPasswordAndSignsIn(t *testing.T) {
	f := newFixture(t)
	const email = "new.person@test.edu"
	id := f.addUser(email, false)
	admin := f.as(asSiteAdmin)
	admin.get("/admin/users?q=new.person")
	link := admin.makeLink(id)
	if f.auditCount("user.link", email) != 1 {
		t.Fatal("link not audited")
	}
	if _, body := admin.get("/admin/users?q=new.person"); !strings.Contains(body, "Link pending until") || newLinkURL.MatchString(body) {
		t.Fatal("list does not say pending, or shows the link again")
	}

	person := f.client()
	res, body := person.get(link)
	if res.StatusCode != ok || !strings.Contains(body, email) || !strings.Contains(body, `name="repeat"`) {
		t.Fatalf("form: %d", res.StatusCode)
	}
	res, _ = person.post(link, url.Values{"password": {"a new secret 1"}, "repeat": {"a new secret 1"}})
	if res.StatusCode != see || res.Header.Get("Location") != "/courses" {
		t.Fatalf("set: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, body := person.get("/courses"); res.StatusCode != ok || !strings.Contains(body, "Your password is set and you are signed in") {
		t.Fatalf("not signed in after setting: %d", res.StatusCode)
	}
	if res := f.client().signIn(email, "a new secret 1"); res.StatusCode != see {
		t.Fatalf("sign in with the new password: %d", res.StatusCode)
	}
	if res, body := f.client().get(link); res.StatusCode != http.StatusGone || !strings.Contains(body, linkGoneText) {
		t.Fatalf("used link: %d", res.StatusCode)
	}
	if res, _ := person.post(link, url.Values{"password": {"another one 22"}, "repeat": {"another one 22"}}); res.StatusCode != http.StatusGone {
		t.Fatalf("used link posted again: %d", res.StatusCode)
	}
	if f.auditCount("user.password", email) != 1 || f.auditCount("signin", email) != 2 {
		t.Fatal("password set or sign-in not audited")
	}
	if _, body := admin.get("/admin/users?q=new.person"); strings.Contains(body, "Link pending") || !strings.Contains(body, "Has a password") {
		t.Fatal("list still pending or without password")
	}
}

func TestPasswordLink_withoutJavaScript(t *testing.T) {
	f := newFixture(t)
	id := f.addUser("plain@test.edu", false)
	admin := f.as(asSiteAdmin)
	admin.get("/admin/users")
	res, body := admin.post(fmt.Sprintf("/admin/users/%d/link", id), url.Values{"q": {"plain"}})
	m := newLinkURL.FindStringSubmatch(body)
	if res.StatusCode != ok || m == nil || !strings.Contains(body, "<html") || !strings.Contains(body, "Users 1–1 of 1") {
		t.Fatalf("%d %v", res.StatusCode, m)
	}
	if res, _ := f.client().get("/password/" + m[2]); res.StatusCode != ok {
		t.Fatalf("link: %d", res.StatusCode)
	}
}

func TestPasswordLink_expiresAfter72Hours(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	f.restart(Config{Now: func() time.Time { return now }})
	id := f.addUser("late@test.edu", false)
	link := f.as(asSiteAdmin).makeLink(id)
	now = now.Add(72*time.Hour - time.Minute)
	if res, _ := f.client().get(link); res.StatusCode != ok {
		t.Fatalf("just before 72 h: %d", res.StatusCode)
	}
	now = now.Add(time.Minute)
	if res, body := f.client().get(link); res.StatusCode != http.StatusGone || !strings.Contains(body, linkGoneText) {
		t.Fatalf("at 72 h: %d", res.StatusCode)
	}
}

func TestPasswordLink_revokedOrReplacedIsGone(t *testing.T) {
	f := newFixture(t)
	const email = "twice@test.edu"
	id := f.addUser(email, false)
	admin := f.as(asSiteAdmin)
	admin.get("/admin/users")
	first := admin.makeLink(id)
	second := admin.makeLink(id)
	gone := func(name, link string) {
		t.Helper()
		res, body := f.client().get(link)
		if res.StatusCode != http.StatusGone || !strings.Contains(body, linkGoneText) {
			t.Fatalf("%s: %d", name, res.StatusCode)
		}
	}
	gone("first after second", first)
	if res, _ := f.client().get(second); res.StatusCode != ok {
		t.Fatalf("second: %d", res.StatusCode)
	}
	revoke := fmt.Sprintf("/admin/users/%d/link/revoke", id)
	res, row := admin.htmxPost(revoke, nil)
	if res.StatusCode != ok || strings.Contains(row, "Link pending") || strings.Contains(row, "Revoke link") {
		t.Fatalf("revoke: %d %.200s", res.StatusCode, row)
	}
	gone("revoked", second)
	gone("unknown", "/password/"+strings.Repeat("ab", 32))
	gone("not hex", "/password/nope")
	if res, _ := admin.htmxPost(revoke, nil); res.StatusCode != http.StatusConflict {
		t.Fatalf("revoke with nothing pending: %d", res.StatusCode)
	}
	if f.auditCount("user.link.revoke", email) != 1 || f.auditCount("user.link", email) != 2 {
		t.Fatal("not audited")
	}
}

func TestPasswordLink_rules(t *testing.T) {
	f := newFixture(t)
	const email = "Rules@Test.edu"
	id := f.addUser(email, false)
	link := f.as(asSiteAdmin).makeLink(id)
	tests := []struct {
		name, password, repeat, field, message string
	}{
		{"too short", "short", "short", "password-error", "at least 8 characters"},
		{"equals the email in any case", "rules@test.EDU", "rules@test.EDU", "password-error", "other than your email"},
		{"too long for bcrypt", strings.Repeat("x", 73), strings.Repeat("x", 73), "password-error", "at most 72"},
		{"repeat differs", "long enough 1", "long enough 2", "repeat-error", "the two passwords differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client()
			c.get(link)
			res, body := c.post(link, url.Values{"password": {tt.password}, "repeat": {tt.repeat}})
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert" id="`+tt.field+`"`) || !strings.Contains(body, tt.message) {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
			if strings.Contains(body, `value="`+tt.password) || strings.Contains(body, `value="`+tt.repeat) {
				t.Fatal("a password is echoed back")
			}
		})
	}
	t.Run("without the CSRF token", func(t *testing.T) {
		c := f.client()
		c.get(link)
		if res, _ := c.post(link, url.Values{"_csrf": {"wrong"}, "password": {"long enough 1"}, "repeat": {"long enough 1"}}); res.StatusCode != forb {
			t.Fatalf("%d", res.StatusCode)
		}
	})
	if res, _ := f.client().get(link); res.StatusCode != ok {
		t.Fatalf("refused attempts used the link up: %d", res.StatusCode)
	}
}

func TestPasswordLink_disabledUserStaysDisabled(t *testing.T) {
	f := newFixture(t)
	link := f.as(asSiteAdmin).makeLink(f.users[asDisabled])
	c := f.client()
	c.get(link)
	res, _ := c.post(link, url.Values{"password": {"brand new pass"}, "repeat": {"brand new pass"}})
	if res.StatusCode != see || res.Header.Get("Location") != "/signin" {
		t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, body := c.get("/signin"); !strings.Contains(body, "your account is disabled") {
		t.Fatal("not told the account is disabled")
	}
	if res, _ := c.get("/courses"); res.StatusCode != see {
		t.Fatalf("a disabled user is signed in: %d", res.StatusCode)
	}
	if res := f.client().signIn(asDisabled, "brand new pass"); res.StatusCode != unauth {
		t.Fatalf("disabled user signs in: %d", res.StatusCode)
	}
}

func TestPasswordLink_badLinksAreThrottledPerAddress(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	for i := range maxFailuresPerIP {
		if res, _ := c.get(fmt.Sprintf("/password/%064x", i)); res.StatusCode != http.StatusGone {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
	}
	if res, _ := c.get("/password/" + strings.Repeat("0", 64)); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after %d bad links: %d", maxFailuresPerIP, res.StatusCode)
	}
}

func TestPasswordLink_tokenStaysOutOfTheLog(t *testing.T) {
	f := newFixture(t)
	var logged bytes.Buffer
	srv := New(f.db, Deps{}, slog.New(slog.NewTextHandler(&logged, nil)), Config{})
	token := strings.Repeat("7", 64)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/password/"+token, nil))
	if rec.Code != http.StatusGone || strings.Contains(logged.String(), token) || !strings.Contains(logged.String(), "path=/password/<token>") {
		t.Fatalf("%d, log: %s", rec.Code, logged.String())
	}
}
