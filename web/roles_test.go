package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/web/auth"
)

// The callers of the role matrix, in column order.
var matrixRoles = []string{"anonymous", asStudent, asOtherTeacher, asTA, asTeacher, asAdmin, asSiteAdmin}

// routeRule is the expected status per caller for one route, in matrixRoles order.
type routeRule struct {
	path   string // with :id filled in by the test
	status [7]int
}

const (
	ok     = http.StatusOK
	see    = http.StatusSeeOther
	unauth = http.StatusUnauthorized
	nf     = http.StatusNotFound
	forb   = http.StatusForbidden
)

// roleMatrix lists every GET route of the router. Unsafe methods are covered
// by their feature tests (they also need a CSRF token).
func roleMatrix(f *fixture) map[string]routeRule {
	course := fmt.Sprint(f.course)
	archive := f.readyArchive()
	exp := fmt.Sprintf("/courses/%d/exports/%d", f.course, archive.ID)
	book := f.readyBook(f.course)
	bookRow := fmt.Sprintf("/courses/%d/performance/exports/%d", f.course, book.ID)
	return map[string]routeRule{
		"/courses/:id/performance":              {"/courses/" + course + "/performance", [7]int{see, nf, nf, ok, ok, ok, ok}},
		"/courses/:id/performance/exports/:eid": {bookRow, [7]int{see, nf, nf, ok, ok, ok, ok}},
		"/api/courses/:id/performance":          {"/api/courses/" + course + "/performance", [7]int{unauth, nf, nf, ok, ok, ok, ok}},
		"/api/courses/:id/performance/exports":  {"/api/courses/" + course + "/performance/exports", [7]int{unauth, nf, nf, ok, ok, ok, ok}},
		"/courses/:id/exports":                  {"/courses/" + course + "/exports", [7]int{see, nf, nf, forb, forb, ok, ok}},
		"/courses/:id/exports/:eid":             {exp, [7]int{see, nf, nf, forb, forb, ok, ok}},
		"/api/courses/:id/exports":              {"/api/courses/" + course + "/exports", [7]int{unauth, nf, nf, forb, forb, ok, ok}},
		"/api/courses/:id/exports/:eid":         {"/api" + exp, [7]int{unauth, nf, nf, forb, forb, ok, ok}},
		"/files/:token/:name":                   {fileURL(archive.Token, archive.Filename), [7]int{nf, nf, nf, nf, nf, ok, ok}},
		"/healthz":                              {"/healthz", [7]int{ok, ok, ok, ok, ok, ok, ok}},
		"/static/*":                             {"/static/app.css", [7]int{ok, ok, ok, ok, ok, ok, ok}},
		"/":                                     {"/", [7]int{see, see, see, see, see, see, see}},
		"/signin":                               {"/signin", [7]int{ok, see, see, see, see, see, see}},
		"/courses":                              {"/courses", [7]int{see, ok, ok, ok, ok, ok, ok}},
		"/courses/:id":                          {"/courses/" + course, [7]int{see, nf, nf, see, see, see, see}},
		"/api/courses":                          {"/api/courses", [7]int{unauth, ok, ok, ok, ok, ok, ok}},
	}
}

func TestRoleMatrix(t *testing.T) {
	f := newFixture(t)
	rules := roleMatrix(f)
	clients := make([]*client, len(matrixRoles))
	for i, r := range matrixRoles {
		if r == "anonymous" {
			r = ""
		}
		clients[i] = f.as(r)
	}
	var missing []string
	for _, rt := range f.srv.echo.Routes() {
		if rt.Method != http.MethodGet {
			continue
		}
		rule, found := rules[rt.Path]
		if !found {
			missing = append(missing, rt.Path)
			continue
		}
		for i, c := range clients {
			res, _ := c.get(rule.path)
			if res.StatusCode != rule.status[i] {
				t.Errorf("GET %s as %s: status %d, want %d", rule.path, matrixRoles[i], res.StatusCode, rule.status[i])
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes without a row in roleMatrix: %s", strings.Join(missing, ", "))
	}
}

func TestBadIDs_are404NotErrors(t *testing.T) {
	f := newFixture(t)
	c := f.as(asSiteAdmin)
	for _, path := range []string{"/courses/abc", "/courses/-1", "/courses/99999", "/courses/1e3", "/nope"} {
		res, body := c.get(path)
		if res.StatusCode != nf || !strings.Contains(body, "Not found") {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}
	res, body := c.do("GET", "/api/nope", nil, nil)
	var e struct{ Error string }
	if res.StatusCode != nf || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
		t.Errorf("API 404 not JSON: %d %s", res.StatusCode, body)
	}
}

func TestBearerToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	token, hash := auth.NewAccessToken()
	revoked, revokedHash := auth.NewAccessToken()
	f.db.InTx(ctx, func(tx *db.Queries) error {
		tx.InsertAccessToken(ctx, f.users[asTeacher], hash, "ci", time.Now())
		tx.InsertAccessToken(ctx, f.users[asAdmin], revokedHash, "old", time.Now())
		return tx.RevokeAccessTokens(ctx, f.users[asAdmin], time.Now())
	})
	tests := []struct {
		name, header string
		status       int
	}{
		{"valid token", "Bearer " + token, ok},
		{"revoked token", "Bearer " + revoked, unauth},
		{"mistyped token", "Bearer " + token + "x", unauth},
		{"not a bearer header", "Basic dXNlcjpwYXNz", unauth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := f.client().do("GET", "/api/courses", nil, map[string]string{"Authorization": tt.header})
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q", res.Header.Get("Content-Type"))
			}
			if tt.status == ok {
				var cs []apiCourse
				if err := json.Unmarshal([]byte(body), &cs); err != nil || len(cs) != 1 || cs[0].Code != "PHYS101" || cs[0].Role != "teacher" {
					t.Fatalf("courses = %s", body)
				}
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	res, _ := f.client().get("/signin")
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if !strings.Contains(res.Header.Get(h), want) {
			t.Errorf("%s = %q, want it to contain %q", h, res.Header.Get(h), want)
		}
	}
	if strings.Contains(res.Header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("CSP allows inline code")
	}
}
