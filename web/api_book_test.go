package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"coursevault/db"
	"coursevault/jobs/perfbook"
)

// The streamed answer is byte for byte what encoding the whole apiBook
// (as the endpoint did before it streamed) gives.
func TestBookAPI_streamsTheSameJSONAsEncodingItWhole(t *testing.T) {
	f := newFixture(t)
	f.readyBook(demoWithPeriods)
	c := f.as(demoTeacher)
	ctx := context.Background()
	b, err := perfbook.Load(ctx, f.db.Queries, demoWithPeriods)
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.srv.exports.List(ctx, demoWithPeriods, db.ExportBook)
	if err != nil {
		t.Fatal(err)
	}
	want := apiBook{Course: apiCourse{ID: b.Course.ID, Code: b.Course.Code, Name: b.Course.Name, Term: b.Course.Term, Role: "teacher"},
		Average: b.Average, Periods: []apiPeriod{}, Assignments: []apiAssignment{}, Exports: f.srv.bookFiles(list), UpToDate: true}
	for _, p := range b.Periods {
		want.Periods = append(want.Periods, apiPeriod{ID: p.ID, Name: p.Name})
	}
	for _, a := range b.Assignments {
		want.Assignments = append(want.Assignments, apiAssignment{ID: a.ID, Name: a.Name, Kind: a.Kind, DueAt: a.DueAt, Points: a.Points,
			Average: a.Average, CompletionRate: a.CompletionRate})
	}
	for _, st := range b.Students {
		want.Students = append(want.Students, apiStudentOf(st))
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(want); err != nil {
		t.Fatal(err)
	}
	res, body := c.get(fmt.Sprintf("/api/courses/%d/performance", demoWithPeriods))
	if res.StatusCode != ok || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if body != buf.String() {
		t.Fatalf("the streamed book differs from the whole one:\n got %.400s\nwant %.400s", body, buf.String())
	}
	// An empty course still answers lists, never null.
	_, body = f.as(demoInstructor).get(fmt.Sprintf("/api/courses/%d/performance", demoEmpty))
	if !strings.Contains(body, `"students":[]`) || !strings.Contains(body, `"assignments":[]`) || !json.Valid([]byte(body)) {
		t.Fatalf("the empty course: %s", body)
	}
}

func TestBookAPI_periodNarrowsStudentsAndAverages(t *testing.T) {
	f := newFixture(t)
	c := f.as(demoTeacher)
	api := fmt.Sprintf("/api/courses/%d/performance", demoWithPeriods)
	var all apiBook
	_, body := c.get(api)
	if err := json.Unmarshal([]byte(body), &all); err != nil || len(all.Periods) < 2 {
		t.Fatalf("%v %.300s", err, body)
	}
	per := all.Periods[0]
	var one apiBook
	res, body := c.get(fmt.Sprintf("%s?period=%d", api, per.ID))
	if err := json.Unmarshal([]byte(body), &one); err != nil || res.StatusCode != ok {
		t.Fatalf("%d %v %.300s", res.StatusCode, err, body)
	}
	if len(one.Students) == 0 || len(one.Students) >= len(all.Students) || len(one.Periods) != len(all.Periods) {
		t.Fatalf("period %q: %d of %d students, %d periods listed", per.Name, len(one.Students), len(all.Students), len(one.Periods))
	}
	for _, st := range one.Students {
		if st.Period != per.Name {
			t.Fatalf("a student of %q in the book of %q", st.Period, per.Name)
		}
	}
	b, _ := perfbook.Load(context.Background(), f.db.Queries, demoWithPeriods)
	want := b.ForPeriod(per.ID)
	if (one.Average == nil) != (want.Average == nil) || one.Average != nil && *one.Average != *want.Average {
		t.Errorf("the period's class average is not the period's")
	}
	for _, bad := range []string{"x", "999999", "-1"} {
		t.Run("period="+bad, func(t *testing.T) {
			res, body := c.get(api + "?period=" + bad)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error":"The period parameter`) {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})
	}
	// Another course's period is not this course's.
	other, _ := perfbook.Load(context.Background(), f.db.Queries, demoWithoutPeriods)
	if len(other.Periods) == 0 {
		if res, _ := c.get(fmt.Sprintf("/api/courses/%d/performance?period=%d", demoWithoutPeriods, per.ID)); res.StatusCode != http.StatusBadRequest {
			t.Errorf("course %d with course %d's period: %d", demoWithoutPeriods, demoWithPeriods, res.StatusCode)
		}
	}
}
