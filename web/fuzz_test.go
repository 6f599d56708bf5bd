package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/web/auth"
)

// Fuzz targets for outside input that reaches the router: API JSON bodies
// and the ids in course URLs. Plain `go test` runs the seeds; for example
// `go test ./web -run '^$' -fuzz FuzzAPIBody -fuzztime 10s` explores.

// fuzzBearer gives the fixture's course admin a personal access token.
func (f *fixture) fuzzBearer() string {
	f.t.Helper()
	token, hash := auth.NewAccessToken()
	err := f.db.InTx(context.Background(), func(tx *db.Queries) error {
		_, err := tx.InsertAccessToken(context.Background(), f.users[asAdmin], hash, "fuzz", time.Now())
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return token
}

// serve runs one request through the real handler (sessions, middleware,
// router) without a network round trip, so the fuzzer runs fast.
func (f *fixture) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func FuzzAPIBody(f *testing.F) {
	for _, s := range []string{"", "{}", `{"include_stdout":true}`, `{"include_stdout":true,"include_files":false}`,
		`{"include_stdout":"yes"}`, `{"nope":1}`, `[]`, `null`, `{} {}`, `{"include_stdout":true}x`, "{", `"str"`, "\xff",
		`{"include_stdout":1e999}`, strings.Repeat("[", 100000), `{"include_files":true,"include_files":false}`} {
		f.Add(s)
	}
	fx := newFixture(f)
	token := fx.fuzzBearer()
	paths := []string{fmt.Sprintf("/api/courses/%d/exports", fx.course), fmt.Sprintf("/api/courses/%d/performance/export", fx.course)}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			req := httptest.NewRequest(http.MethodPost, p, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			rec := fx.serve(req)
			switch rec.Code {
			case http.StatusOK, http.StatusAccepted: // queued, or the identical pending one
			case http.StatusBadRequest:
				var e struct{ Error string }
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
					t.Fatalf("POST %s %q: 400 without a JSON error: %s", p, body, rec.Body)
				}
			default:
				t.Fatalf("POST %s %q: status %d: %s", p, body, rec.Code, rec.Body)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("POST %s %q: the answer is not JSON: %s", p, body, rec.Body)
			}
		}
	})
}

func FuzzCourseURLs(f *testing.F) {
	for _, s := range []string{"1", "1/exports", "1/exports/1", "1/exports/1/cancel", "1/exports/1/retry", "1/exports/1/delete",
		"1/performance", "1/performance/exports/1", "0", "-1", "+1", "01", "1e3", "0x1", "9223372036854775807", "9223372036854775808",
		"99999999999999999999999/exports", "1/exports/-1", "1/exports/abc", "1/exports/9223372036854775808", "..", "1/../2",
		"%2e%2e/files", "1/exports/1%00", "\x00", "1/exports/\xff", "1/", "1//exports", "١"} {
		f.Add(s)
	}
	fx := newFixture(f)
	token := fx.fuzzBearer()
	browser := fx.as(asAdmin)
	browser.get("/courses") // remember the session's CSRF token
	req, _ := http.NewRequest("GET", fx.http.URL, nil)
	var cookies []string
	for _, c := range browser.hc.Jar.Cookies(req.URL) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		for _, prefix := range []string{"/courses/", "/api/courses/"} {
			for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
				req := httptest.NewRequest(method, "/", nil)
				req.URL.Path, req.URL.RawPath = prefix+rest, ""
				req.RequestURI = req.URL.RequestURI()
				if prefix == "/api/courses/" {
					req.Header.Set("Authorization", "Bearer "+token)
				} else {
					req.Header.Set("Cookie", strings.Join(cookies, "; "))
					req.Header.Set("X-CSRF-Token", browser.csrf)
					req.Header.Set("HX-Request", "true")
				}
				if rec := fx.serve(req); rec.Code >= 500 {
					t.Fatalf("%s %q: status %d: %s", method, req.URL.Path, rec.Code, rec.Body)
				}
			}
		}
	})
}
