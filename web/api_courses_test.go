package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/web/auth"
)

// bearer gives the fixture user email a personal access token.
func (f *fixture) bearer(email string) map[string]string {
	f.t.Helper()
	token, hash := auth.NewAccessToken()
	err := f.db.InTx(context.Background(), func(tx *db.Queries) error {
		_, err := tx.InsertAccessToken(context.Background(), f.users[email], hash, "test", time.Now())
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
}

func TestAPICourses_create(t *testing.T) {
	f := newFixture(t)
	admin := f.bearer(asSiteAdmin)
	tests := []struct {
		name   string
		as     map[string]string
		body   string
		status int
		says   string
	}{
		{"created", admin, `{"code":"BIO1","name":"Biology","term":"Spring","periods":["P1","P2"]}`, http.StatusCreated, `"periods":[{"id":`},
		{"code clash", admin, `{"code":"phys101","name":"Again"}`, http.StatusConflict, "code: A course with code phys101 already exists"},
		{"no code", admin, `{"name":"Nameless"}`, http.StatusBadRequest, "code: "},
		{"no name", admin, `{"code":"X1"}`, http.StatusBadRequest, "name: "},
		{"bad code", admin, `{"code":"a b","name":"N"}`, http.StatusBadRequest, "code: Use letters"},
		{"periods twice", admin, `{"code":"X2","name":"N","periods":["A","a"]}`, http.StatusBadRequest, "periods: "},
		{"unknown field", admin, `{"code":"X3","name":"N","teacher":"me"}`, http.StatusBadRequest, `unknown field \"teacher\"`},
		{"blank period", admin, `{"code":"X8","name":"N","periods":["A"," "]}`, http.StatusBadRequest, "periods: Give the period a name."},
		{"periods not a list", admin, `{"code":"X4","name":"N","periods":"A"}`, http.StatusBadRequest, "periods"},
		{"empty body", admin, ``, http.StatusBadRequest, "code: "},
		{"course admin", f.bearer(asAdmin), `{"code":"X5","name":"N"}`, http.StatusForbidden, "Only site admins"},
		{"student", f.bearer(asStudent), `{"code":"X6","name":"N"}`, http.StatusForbidden, "Only site admins"},
		{"revoked or mistyped token", map[string]string{"Authorization": "Bearer cvpat_nope"}, `{"code":"X7","name":"N"}`, http.StatusUnauthorized, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := f.client().do("POST", "/api/courses", strings.NewReader(tt.body), tt.as)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.says) {
				t.Fatalf("%d %s; want %d saying %q", res.StatusCode, body, tt.status, tt.says)
			}
		})
	}
	var created apiCourseDetail
	_, body := f.client().do("GET", "/api/courses", nil, admin)
	if !strings.Contains(body, `"code":"BIO1"`) {
		t.Fatalf("the new course is not listed: %s", body)
	}
	res, body := f.client().do("POST", "/api/courses", strings.NewReader(`{"code":"BIO2","name":"Biology II","periods":["Late","Early"]}`), admin)
	if res.StatusCode != http.StatusCreated || json.Unmarshal([]byte(body), &created) != nil ||
		created.Code != "BIO2" || created.Term != "" || len(created.Periods) != 2 || created.Periods[0].Name != "Late" {
		t.Fatalf("created = %s", body)
	}
	for _, n := range []string{"X1", "X2", "X3", "X4", "X5", "X6", "X7", "X8"} {
		if _, err := f.db.CourseByCode(context.Background(), n); err == nil {
			t.Errorf("course %s was created by a refused request", n)
		}
	}
}

func TestAPICourses_patchIsPartial(t *testing.T) {
	f := newFixture(t)
	admin := f.bearer(asAdmin)
	path := fmt.Sprintf("/api/courses/%d", f.course)
	send := func(method, body string, hdr map[string]string) (int, apiCourseDetail, string) {
		res, raw := f.client().do(method, path, strings.NewReader(body), hdr)
		var c apiCourseDetail
		json.Unmarshal([]byte(raw), &c)
		return res.StatusCode, c, raw
	}
	v := f.courseVersion(f.course)
	code, c, raw := send("PATCH", `{"term":"Spring 2027"}`, admin)
	if code != ok || c.Term != "Spring 2027" || c.Name != "Physics I" || c.Code != "PHYS101" {
		t.Fatalf("term only: %d %s", code, raw)
	}
	if f.courseVersion(f.course) <= v {
		t.Fatal("PATCH did not move the data version")
	}
	code, c, raw = send("PATCH", `{"periods":["P1","P2","P3"]}`, admin)
	if code != ok || len(c.Periods) != 3 {
		t.Fatalf("periods: %d %s", code, raw)
	}
	p2 := c.Periods[1].ID
	code, c, raw = send("PATCH", `{"periods":["p2","P4"]}`, admin)
	if code != ok || len(c.Periods) != 2 || c.Periods[0].ID != p2 || c.Periods[0].Name != "p2" || c.Periods[1].Name != "P4" {
		t.Fatalf("periods replaced: %d %s (P2 was %d)", code, raw, p2)
	}
	if code, _, raw = send("GET", "", admin); code != ok || !strings.Contains(raw, `"name":"p2"`) {
		t.Fatalf("GET: %d %s", code, raw)
	}
	if code, _, raw = send("PATCH", `{"code":"CHEM201"}`, admin); code != http.StatusConflict || !strings.Contains(raw, "code: ") {
		t.Fatalf("clash: %d %s", code, raw)
	}
	if code, _, raw = send("PATCH", `{"name":""}`, admin); code != http.StatusBadRequest || !strings.Contains(raw, "name: ") {
		t.Fatalf("empty name: %d %s", code, raw)
	}
	if code, _, raw = send("PATCH", `{"name":"x","id":3}`, admin); code != http.StatusBadRequest || !strings.Contains(raw, `unknown field \"id\"`) {
		t.Fatalf("unknown field: %d %s", code, raw)
	}
	if code, _, _ = send("PATCH", `{"name":"x"}`, f.bearer(asTeacher)); code != forb {
		t.Fatalf("a teacher's PATCH: %d, want 403", code)
	}
	if code, _, _ = send("PATCH", `{"name":"x"}`, f.bearer(asOtherTeacher)); code != nf {
		t.Fatalf("another course's teacher: %d, want 404", code)
	}
	if got, _ := f.db.CourseByID(context.Background(), f.course); got.Name != "Physics I" {
		t.Fatalf("a refused PATCH changed the name to %q", got.Name)
	}
}

func TestAPICourses_delete(t *testing.T) {
	f := newFixture(t)
	path := fmt.Sprintf("/api/courses/%d", f.course)
	if res, _ := f.client().do("DELETE", path, nil, f.bearer(asAdmin)); res.StatusCode != forb {
		t.Fatalf("a course admin's DELETE: %d, want 403", res.StatusCode)
	}
	if res, _ := f.client().do("DELETE", "/api/courses/99999", nil, f.bearer(asSiteAdmin)); res.StatusCode != nf {
		t.Fatalf("an unknown course: %d, want 404", res.StatusCode)
	}
	admin := f.bearer(asSiteAdmin)
	res, body := f.client().do("DELETE", path, nil, admin)
	if res.StatusCode != http.StatusNoContent || body != "" {
		t.Fatalf("DELETE: %d %q", res.StatusCode, body)
	}
	if res, _ := f.client().do("GET", path, nil, admin); res.StatusCode != nf {
		t.Fatalf("GET after DELETE: %d, want 404", res.StatusCode)
	}
	if res, _ := f.client().do("DELETE", path, nil, admin); res.StatusCode != nf {
		t.Fatalf("second DELETE: %d, want 404", res.StatusCode)
	}
	if e := f.lastAudit(); e.Action != "course.remove" || e.Subject != "PHYS101" {
		t.Fatalf("audit = %+v", e)
	}
}
