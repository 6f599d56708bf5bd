package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// canvasGradebook is a Canvas export for the fixture's course: the student,
// someone from elsewhere, the Points Possible row and the computed totals.
const canvasGradebook = "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Lab 1 (501),Current Score,Final Score\r\n" +
	"    Points Possible,,,,,20.00,(read only),(read only)\r\n" +
	"\"Student, Sam\",9,,student@test.edu,P1,15.00,75,75\r\n" +
	"\"Else, Someone\",10,,someone@elsewhere.edu,P1,20.00,100,100\r\n"

func (c *client) uploadGradebook(t *testing.T, content string) (*http.Response, string) {
	t.Helper()
	if c.csrf == "" {
		c.get(fmt.Sprintf("/courses/%d/performance", c.f.course))
	}
	ctype, form := rosterForm(t, c.csrf, "grades.csv", content, false)
	return c.do("POST", fmt.Sprintf("/courses/%d/performance/gradebook", c.f.course), form, map[string]string{"Content-Type": ctype})
}

func TestGradebook_teacherPreviewsThenApplies(t *testing.T) {
	f := newFixture(t)
	c := f.as(asTeacher)
	book := fmt.Sprintf("/courses/%d/performance", f.course)
	res, body := c.get(book)
	if res.StatusCode != ok || !strings.Contains(body, `<label for="gradebook-upload">Gradebook CSV file</label>`) {
		t.Fatalf("book page: %d, no upload form", res.StatusCode)
	}
	before := f.version(f.course)

	res, body = c.uploadGradebook(t, "email,Lab 1\nstudent@test.edu,abc\n")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "1 bad cells: nothing can be applied") ||
		!strings.Contains(body, `<td>2</td><td class="code">Lab 1</td>`) || strings.Contains(body, `name="upload"`) {
		t.Fatalf("bad cell: %d\n%s", res.StatusCode, body)
	}

	res, body = c.uploadGradebook(t, canvasGradebook)
	if res.StatusCode != ok || f.version(f.course) != before {
		t.Fatalf("preview: %d", res.StatusCode)
	}
	for _, want := range []string{"Read as a Canvas file: 1 students matched", "someone@elsewhere.edu", "Not students of this course, skipped (1)",
		"Lab 1 · 20 points", "canvas-501", "Scores: 1 to set, 0 to change", "15 / 20"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	m := uploadField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no upload token in the preview")
	}
	t.Run("another user cannot apply the preview", func(t *testing.T) {
		admin := f.as(asAdmin)
		admin.get(book)
		res, _ := admin.post(book+"/gradebook/apply", map[string][]string{"upload": {m[1]}})
		if res.StatusCode != http.StatusGone {
			t.Errorf("status %d", res.StatusCode)
		}
	})
	if res, _ = c.post(book+"/gradebook/apply", map[string][]string{"upload": {m[1]}}); res.StatusCode != see {
		t.Fatalf("apply: %d", res.StatusCode)
	}
	res, body = c.get(book)
	if res.StatusCode != ok || !strings.Contains(body, "Gradebook applied: created 1 assignments, set 1 scores, changed 0, unchanged 0.") ||
		!strings.Contains(body, ">Lab 1<") || !strings.Contains(body, ">75%<") {
		t.Fatalf("apply: %d\n%s", res.StatusCode, body)
	}
	if f.version(f.course) == before {
		t.Error("data version did not move")
	}
	res, _ = c.post(book+"/gradebook/apply", map[string][]string{"upload": {m[1]}})
	if res.StatusCode != http.StatusGone {
		t.Errorf("second apply: %d", res.StatusCode)
	}
	events, _ := f.db.AuditEvents(context.Background(), f.course, 10)
	if len(events) == 0 || events[0].Action != "gradebook.apply" || events[0].Detail != "created 1 assignments, set 1 scores, changed 0, unchanged 0" {
		t.Errorf("audit %+v", events)
	}
}

func TestGradebook_refusedFilesShowOnTheBook(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	res, body := c.uploadGradebook(t, "name,Lab\nAnn,3\n")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert" id="gradebook-error">The gradebook file has no email or student id column`) {
		t.Errorf("no id column: %d", res.StatusCode)
	}
	res, body = f.as(asTA).get(fmt.Sprintf("/courses/%d/performance", f.course))
	if res.StatusCode != ok || strings.Contains(body, "gradebook-upload") {
		t.Errorf("a TA sees the upload form: %d", res.StatusCode)
	}
}

type gradebookAnswer struct {
	CreatedAssignments int `json:"created_assignments"`
	Set, Changed       int
	Unchanged          int
	UnknownStudents    []struct {
		Line    int
		Student string
	} `json:"unknown_students"`
	Errors []struct {
		Line            int
		Column, Message string
	}
}

func TestAPIGradebook(t *testing.T) {
	f := newFixture(t)
	token, _ := f.courseToken(f.course, "Grades")
	script := f.tokenClient(token)
	put := func(c *client, course int64, query, ctype, body string) (int, gradebookAnswer, string) {
		t.Helper()
		res, b := c.do("PUT", fmt.Sprintf("/api/courses/%d/gradebook%s", course, query), strings.NewReader(body), map[string]string{"Content-Type": ctype})
		var a gradebookAnswer
		json.Unmarshal([]byte(b), &a)
		return res.StatusCode, a, b
	}
	before := f.version(f.course)
	st, a, body := put(script, f.course, "?dry_run=1", "text/csv", canvasGradebook)
	if st != ok || a.CreatedAssignments != 1 || a.Set != 1 || len(a.UnknownStudents) != 1 || a.UnknownStudents[0].Student != "someone@elsewhere.edu" ||
		a.UnknownStudents[0].Line != 4 || f.version(f.course) != before || !strings.Contains(body, `"errors":[]`) {
		t.Fatalf("dry run: %d %s", st, body)
	}
	st, a, body = put(script, f.course, "", "text/csv", "email,assignment,score\nstudent@test.edu,Lab 1,-2\n")
	if st != http.StatusUnprocessableEntity || len(a.Errors) != 1 || a.Errors[0].Line != 2 || a.Errors[0].Column != "score" ||
		a.Set != 0 || f.version(f.course) != before {
		t.Fatalf("bad cell: %d %s", st, body)
	}
	st, a, body = put(f.apiClient(asTeacher), f.course, "", "text/csv", canvasGradebook)
	if st != ok || a.CreatedAssignments != 1 || a.Set != 1 || f.version(f.course) == before {
		t.Fatalf("apply: %d %s", st, body)
	}
	after := f.version(f.course)
	if st, a, body = put(script, f.course, "", "text/csv", canvasGradebook); st != ok || a.Unchanged != 1 || a.Set+a.Changed+a.CreatedAssignments != 0 || f.version(f.course) != after {
		t.Fatalf("same file again: %d %s", st, body)
	}
	st, a, _ = put(script, f.course, "", "text/csv", "email,assignment,score\nstudent@test.edu,canvas-501,50%\n")
	if st != ok || a.Changed != 1 {
		t.Fatalf("change by key: %d %+v", st, a)
	}

	otherToken, _ := f.courseToken(f.other, "Other")
	for name, tt := range map[string]struct {
		c      *client
		course int64
		ctype  string
		body   string
		status int
		msg    string
	}{
		"wrong content type":                     {script, f.course, "application/json", `{}`, http.StatusUnsupportedMediaType, "Content-Type: text/csv"},
		"no id column":                           {script, f.course, "text/csv", "name,Lab\nAnn,1\n", http.StatusBadRequest, "no email or student id column"},
		"too large":                              {script, f.course, "text/csv", "email,Lab\n" + strings.Repeat("x", 20<<20), http.StatusRequestEntityTooLarge, "larger than 20 MiB"},
		"another course's token is 404":          {f.tokenClient(otherToken), f.course, "text/csv", canvasGradebook, nf, ""},
		"a teacher of another course is 404":     {f.apiClient(asOtherTeacher), f.course, "text/csv", canvasGradebook, nf, ""},
		"a TA is 403":                            {f.apiClient(asTA), f.course, "text/csv", canvasGradebook, forb, ""},
		"a student is 404 (not staff, not seen)": {f.apiClient(asStudent), f.course, "text/csv", canvasGradebook, nf, ""},
	} {
		t.Run(name, func(t *testing.T) {
			st, _, body := put(tt.c, tt.course, "", tt.ctype, tt.body)
			var e struct{ Error string }
			if st != tt.status || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, tt.msg) {
				t.Errorf("status %d, want %d: %s", st, tt.status, body)
			}
		})
	}
	events, _ := f.db.AuditEvents(context.Background(), f.course, 10)
	if len(events) < 3 || events[0].Action != "gradebook.apply" || events[0].Detail != "created 0 assignments, set 0 scores, changed 1, unchanged 0" {
		t.Errorf("audit %+v", events[0])
	}
}
