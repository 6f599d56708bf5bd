package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCourseBody sends any body to POST /api/courses and PATCH
// /api/courses/:id as a site admin: the answer is JSON, a success or a 400 or
// 409 with a sentence, never a 500; a course it creates or changes has valid fields.
func FuzzCourseBody(f *testing.F) {
	for _, s := range []string{"", "{}", `{"code":"A1","name":"N"}`, `{"code":"A1","name":"N","periods":["x","X"]}`,
		`{"periods":[]}`, `{"periods":null}`, `{"code":null}`, `{"term":"` + strings.Repeat("t", 101) + `"}`, `{"name":"\u0000"}`,
		`{"code":"phys101"}`, `{"code":"A/B","name":"N"}`, `{"periods":["a",1]}`, `{"nope":1}`, `[]`, `{} {}`, "\xff"} {
		f.Add(s)
	}
	fx := newFixture(f)
	hdr := fx.bearer(asSiteAdmin)
	f.Fuzz(func(t *testing.T, body string) {
		for _, rt := range []struct{ method, path string }{{http.MethodPost, "/api/courses"}, {http.MethodPatch, fmt.Sprintf("/api/courses/%d", fx.course)}} {
			req := httptest.NewRequest(rt.method, rt.path, strings.NewReader(body))
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			rec := fx.serve(req)
			switch rec.Code {
			case http.StatusOK, http.StatusCreated:
				var c apiCourseDetail
				if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || c.Code == "" || c.Name == "" ||
					utf8.RuneCountInString(c.Code) > 40 || utf8.RuneCountInString(c.Name) > 200 {
					t.Fatalf("%s %s %q: %d %s", rt.method, rt.path, body, rec.Code, rec.Body)
				}
			case http.StatusBadRequest, http.StatusConflict:
				var e struct{ Error string }
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
					t.Fatalf("%s %s %q: %d without a JSON error: %s", rt.method, rt.path, body, rec.Code, rec.Body)
				}
			default:
				t.Fatalf("%s %s %q: status %d: %s", rt.method, rt.path, body, rec.Code, rec.Body)
			}
		}
	})
}
