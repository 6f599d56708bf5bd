package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs/assignments"
)

// withWork gives assignment a of the fixture course a submission and a
// score by its student.
func (f *fixture) withWork(a int64) {
	f.t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	half := 0.5
	err := f.db.InTx(ctx, func(tx *db.Queries) error {
		subs, err := tx.PrepareInsertSubmission(ctx)
		if err != nil {
			return err
		}
		defer subs.Close()
		if _, err := subs.Exec(ctx, db.Submission{AssignmentID: a, UserID: f.users[asStudent], CommitSHA: "abc", State: db.SubmissionPassed, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		scores, err := tx.PrepareInsertScore(ctx)
		if err != nil {
			return err
		}
		defer scores.Close()
		_, err = scores.Exec(ctx, db.Score{AssignmentID: a, UserID: f.users[asStudent], Fraction: &half, Status: db.ScoreCompleted, UpdatedAt: now})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

func TestAPIAssignments_putStatuses(t *testing.T) {
	f := newFixture(t)
	teacher := f.bearer(asTeacher)
	base := fmt.Sprintf("/api/courses/%d/assignments/", f.course)
	tests := []struct {
		name   string
		key    string
		body   string
		status int
		says   string
	}{
		{"created", "hw1", `{"name":"Homework 1","kind":"homework","opens_at":"2026-11-02T08:00:00Z","due_at":"2026-11-09","points":10}`, http.StatusCreated, `"key":"hw1"`},
		{"updated", "hw1", `{"name":"Homework one","kind":"homework","due_at":"2026-11-09T17:00:00Z","points":12,"position":3}`, http.StatusOK, `"name":"Homework one"`},
		{"the same again", "hw1", `{"name":"Homework one","kind":"homework","due_at":"2026-11-09T17:00:00Z","points":12,"position":3}`, http.StatusOK, `"position":3`},
		{"kind defaults to homework", "read1", `{"name":"Chapter 1","points":1,"opens_at":null}`, http.StatusCreated, `"kind":"homework"`},
		{"unknown kind", "hw2", `{"name":"X","kind":"quiz","points":1}`, http.StatusBadRequest, "kind: "},
		{"bad date", "hw2", `{"name":"X","due_at":"next week","points":1}`, http.StatusBadRequest, "due_at: "},
		{"due before opens", "hw2", `{"name":"X","opens_at":"2026-11-09","due_at":"2026-11-08","points":1}`, http.StatusBadRequest, "due_at: "},
		{"zero points", "hw2", `{"name":"X","points":0}`, http.StatusBadRequest, "points: "},
		{"no points", "hw2", `{"name":"X"}`, http.StatusBadRequest, "points: "},
		{"points as text", "hw2", `{"name":"X","points":"ten"}`, http.StatusBadRequest, "points"},
		{"no name", "hw2", `{"points":1}`, http.StatusBadRequest, "name: "},
		{"negative position", "hw2", `{"name":"X","points":1,"position":-1}`, http.StatusBadRequest, "position: "},
		{"unknown field", "hw2", `{"name":"X","points":1,"weight":2}`, http.StatusBadRequest, `unknown field \"weight\"`},
		{"bad key", "hw%202", `{"name":"X","points":1}`, http.StatusBadRequest, "key: "},
		{"not JSON", "hw2", `name=X`, http.StatusBadRequest, "JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := f.client().do("PUT", base+tt.key, strings.NewReader(tt.body), teacher)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.says) {
				t.Fatalf("%d %s; want %d saying %q", res.StatusCode, body, tt.status, tt.says)
			}
		})
	}
	// Refusals wrote nothing: two assignments, hw1 due at 17:00 UTC.
	res, body := f.client().do("GET", fmt.Sprintf("/api/courses/%d/assignments", f.course), nil, f.bearer(asTA))
	var list []apiAssignmentDef
	if err := json.Unmarshal([]byte(body), &list); err != nil || res.StatusCode != ok || len(list) != 2 {
		t.Fatalf("list: %d %s", res.StatusCode, body)
	}
	if *list[1].Key != "read1" || list[0].DueAt.Format(time.RFC3339) != "2026-11-09T17:00:00Z" || list[0].ID == 0 {
		t.Fatalf("list: %s", body)
	}
}

func TestAPIAssignments_whoMayCall(t *testing.T) {
	f := newFixture(t)
	token, _ := f.courseToken(f.course, "Autograder")
	viaToken := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	put := func(course int64, key string, hdr map[string]string) int {
		res, _ := f.client().do("PUT", fmt.Sprintf("/api/courses/%d/assignments/%s", course, key), strings.NewReader(`{"name":"N","points":1}`), hdr)
		return res.StatusCode
	}
	del := func(course int64, key string, hdr map[string]string) int {
		res, _ := f.client().do("DELETE", fmt.Sprintf("/api/courses/%d/assignments/%s", course, key), nil, hdr)
		return res.StatusCode
	}
	for _, tt := range []struct {
		name string
		got  func() int
		want int
	}{
		{"course admin creates", func() int { return put(f.course, "a1", f.bearer(asAdmin)) }, http.StatusCreated},
		{"course token creates on its course", func() int { return put(f.course, "t1", viaToken) }, http.StatusCreated},
		{"course token on another course", func() int { return put(f.other, "t1", viaToken) }, nf},
		{"TA may not put", func() int { return put(f.course, "ta1", f.bearer(asTA)) }, forb},
		{"student does not see the course", func() int { return put(f.course, "s1", f.bearer(asStudent)) }, nf},
		{"another course's teacher", func() int { return put(f.course, "o1", f.bearer(asOtherTeacher)) }, nf},
		{"TA may not delete", func() int { return del(f.course, "a1", f.bearer(asTA)) }, forb},
		{"course token deletes on another course", func() int { return del(f.other, "t1", viaToken) }, nf},
		{"course token deletes", func() int { return del(f.course, "t1", viaToken) }, http.StatusNoContent},
		{"unknown key", func() int { return del(f.course, "t1", viaToken) }, nf},
		{"teacher deletes", func() int { return del(f.course, "a1", f.bearer(asTeacher)) }, http.StatusNoContent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got(); got != tt.want {
				t.Fatalf("%d, want %d", got, tt.want)
			}
		})
	}
	// The token's writes are audited under its name.
	events, _ := f.db.AuditEvents(context.Background(), f.course, 100)
	var byToken int
	for _, e := range events {
		if strings.HasPrefix(e.Action, "assignment.") && strings.Contains(e.Actor, "Autograder") {
			byToken++
		}
	}
	if byToken != 2 {
		t.Fatalf("%d assignment events by the token, want 2 (put, remove)", byToken)
	}
}

func TestAPIAssignments_deleteTakesItsWork(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, _, err := f.srv.assignments.Put(ctx, f.course, "hw1", assignments.Input{Name: "HW", Kind: "homework", Points: "1"}, assignments.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	f.withWork(a.ID)
	res, _ := f.client().do("DELETE", fmt.Sprintf("/api/courses/%d/assignments/hw1", f.course), nil, f.bearer(asTeacher))
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if n, _ := f.db.CountArchiveRows(ctx, f.course); n.Submissions != 0 || n.Scores != 0 || n.Assignments != 0 {
		t.Fatalf("left behind: %+v", n)
	}
}

func TestAssignmentsPage_addEditMoveRemove(t *testing.T) {
	f := newFixture(t)
	c := f.as(asTeacher)
	page := fmt.Sprintf("/courses/%d/performance/assignments", f.course)
	if _, body := c.get(fmt.Sprintf("/courses/%d/performance", f.course)); !strings.Contains(body, `href="`+page+`"`) {
		t.Fatal("the book does not link to the assignments page")
	}
	// A refused add keeps the input and names the field.
	res, body := c.post(page, url.Values{"name": {"Lab 1"}, "kind": {"project"}, "points": {"-1"}, "due_at": {"2026-11-09T17:00"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="add-points-error" role="alert"`) || !strings.Contains(body, `value="Lab 1"`) {
		t.Fatalf("bad add: %d %s", res.StatusCode, body)
	}
	v := f.courseVersion(f.course)
	for _, name := range []string{"Lab 1", "Lab 2"} {
		if res, _ := c.post(page, url.Values{"name": {name}, "kind": {"project"}, "points": {"10"}, "due_at": {"2026-11-09T17:00"}}); res.StatusCode != see {
			t.Fatalf("add %s: %d", name, res.StatusCode)
		}
	}
	if f.courseVersion(f.course) <= v {
		t.Fatal("adding did not move the data version")
	}
	_, body = c.get(page)
	if !strings.Contains(body, "Added Lab 2.") || strings.Index(body, "<td>Lab 1") > strings.Index(body, "<td>Lab 2") {
		t.Fatalf("page after add: %s", body)
	}
	list, _ := f.srv.assignments.List(context.Background(), f.course)
	first, second := list[0].ID, list[1].ID
	// Edit: htmx gets the form row, then the saved row.
	res, body = c.do("GET", fmt.Sprintf("%s?edit=%d", page, first), nil, map[string]string{"HX-Request": "true"})
	if res.StatusCode != ok || !strings.HasPrefix(strings.TrimSpace(body), "<tr") || !strings.Contains(body, `<label for="edit-assignment-`) {
		t.Fatalf("edit form: %d %s", res.StatusCode, body)
	}
	res, body = c.htmxPost(fmt.Sprintf("%s/%d", page, first), url.Values{"name": {"Lab one"}, "kind": {"exam"}, "points": {"x"}})
	if res.StatusCode != ok || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `value="Lab one"`) {
		t.Fatalf("refused edit: %d %s", res.StatusCode, body)
	}
	res, body = c.htmxPost(fmt.Sprintf("%s/%d", page, first), url.Values{"name": {"Lab one"}, "kind": {"exam"}, "points": {"20"}, "key": {"lab1"}})
	if res.StatusCode != ok || !strings.Contains(body, "Lab one") || !strings.Contains(body, "lab1") || strings.Contains(body, "<form method=\"post\" action=\""+fmt.Sprintf("%s/%d\"", page, first)) {
		t.Fatalf("edit: %d %s", res.StatusCode, body)
	}
	// Without JavaScript the same edit redirects with a notice.
	if res, _ := c.post(fmt.Sprintf("%s/%d", page, first), url.Values{"name": {"Lab one"}, "kind": {"exam"}, "points": {"20"}, "key": {"lab1"}}); res.StatusCode != see {
		t.Fatalf("plain edit: %d", res.StatusCode)
	}
	// Move the second up: htmx gets the body with the new order.
	res, body = c.htmxPost(fmt.Sprintf("%s/%d/down", page, first), nil)
	if res.StatusCode != ok || !strings.HasPrefix(body, `<tbody id="assignment-rows">`) || strings.Index(body, "<td>Lab 2") > strings.Index(body, "<td>Lab one") {
		t.Fatalf("move: %d %s", res.StatusCode, body)
	}
	if res, _ := c.post(fmt.Sprintf("%s/%d/up", page, first), nil); res.StatusCode != see {
		t.Fatalf("plain move: %d", res.StatusCode)
	}
	// Remove one with work: a page asks first, saying what goes with it.
	f.withWork(second)
	res, body = c.post(fmt.Sprintf("%s/%d/remove", page, second), nil)
	if res.StatusCode != ok || !strings.Contains(body, "1 submissions (with their build and test results) and 1 scores are removed with it") {
		t.Fatalf("ask first: %d %s", res.StatusCode, body)
	}
	if n, _ := f.db.CountArchiveRows(context.Background(), f.course); n.Assignments != 2 {
		t.Fatal("asking removed something")
	}
	if res, _ := c.post(fmt.Sprintf("%s/%d/remove", page, second), url.Values{"confirm": {"1"}}); res.StatusCode != see {
		t.Fatalf("confirmed remove: %d", res.StatusCode)
	}
	if n, _ := f.db.CountArchiveRows(context.Background(), f.course); n.Assignments != 1 || n.Submissions != 0 || n.Scores != 0 {
		t.Fatalf("after removal: %+v", n)
	}
	// One without work goes at once (htmx: the body without it).
	res, body = c.htmxPost(fmt.Sprintf("%s/%d/remove", page, first), nil)
	if res.StatusCode != ok || strings.Contains(body, "Lab one") {
		t.Fatalf("remove without work: %d %s", res.StatusCode, body)
	}
	// Another course's assignment is not found through this one.
	other, _, _ := f.srv.assignments.Put(context.Background(), f.other, "x", assignments.Input{Name: "Other", Kind: "exam", Points: "1"}, assignments.Actor{})
	for _, p := range []string{"", "/up", "/remove"} {
		if res, _ := c.post(fmt.Sprintf("%s/%d%s", page, other.ID, p), url.Values{"name": {"N"}, "kind": {"exam"}, "points": {"1"}, "confirm": {"1"}}); res.StatusCode != nf {
			t.Errorf("other course's assignment%s: %d", p, res.StatusCode)
		}
	}
	if res, _ := c.get(page + "?edit=abc"); res.StatusCode != nf {
		t.Errorf("bad edit id: %d", res.StatusCode)
	}
}

func TestAssignmentsPage_TASeesWithoutControls(t *testing.T) {
	f := newFixture(t)
	if _, _, err := f.srv.assignments.Put(context.Background(), f.course, "hw1", assignments.Input{Name: "Homework 1", Kind: "homework", Points: "1"}, assignments.Actor{}); err != nil {
		t.Fatal(err)
	}
	res, body := f.as(asTA).get(fmt.Sprintf("/courses/%d/performance/assignments", f.course))
	if res.StatusCode != ok || !strings.Contains(body, "Homework 1") || strings.Contains(body, "Add an assignment") || strings.Contains(body, "/remove") {
		t.Fatalf("TA page: %d %s", res.StatusCode, body)
	}
}

// Saving a row as the form shows it changes nothing, even a due time with
// seconds (a plain due date is the end of the day, 23:59:59).
func TestAssignmentsPage_savingUnchangedKeepsTimes(t *testing.T) {
	f := newFixture(t)
	a, _, err := f.srv.assignments.Put(context.Background(), f.course, "hw1",
		assignments.Input{Name: "Homework 1", Kind: "reading", Points: "2.5", DueAt: "2026-11-09"}, assignments.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	c := f.as(asAdmin)
	page := fmt.Sprintf("/courses/%d/performance/assignments", f.course)
	_, body := c.get(fmt.Sprintf("%s?edit=%d", page, a.ID))
	if !strings.Contains(body, `value="2026-11-09T23:59:59"`) || !strings.Contains(body, `<label for="edit-assignment-`) {
		t.Fatalf("edit form: %s", body)
	}
	v := f.courseVersion(f.course)
	res, _ := c.post(fmt.Sprintf("%s/%d", page, a.ID), url.Values{"name": {"Homework 1"}, "kind": {"reading"}, "points": {"2.5"},
		"due_at": {"2026-11-09T23:59:59"}, "opens_at": {""}, "key": {"hw1"}})
	if res.StatusCode != see || f.courseVersion(f.course) != v {
		t.Fatalf("unchanged save: %d, version %d → %d", res.StatusCode, v, f.courseVersion(f.course))
	}
}
