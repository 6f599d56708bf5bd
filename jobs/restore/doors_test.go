package restore

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"coursevault/db/files"
	"coursevault/jobs/archive"
	"coursevault/jobs/assignments"
	"coursevault/jobs/courses"
	"coursevault/jobs/gradebook"
	"coursevault/jobs/roster"
	"coursevault/jobs/submissions"
)

// A course filled only through the doors that let data in (a new course, a
// roster file, assignments by key, autograder results, a gradebook file and
// course files) survives export, import into a fresh instance and export
// again with equal data files and static bytes, as a demo course does.
func TestImport_roundTripOfACourseFilledThroughTheDoors(t *testing.T) {
	ctx := context.Background()
	src := freshInstance(t)
	clock := func() time.Time { return testNow }

	c, err := courses.New(src.d, src.files, clock).Create(ctx,
		courses.Input{Code: "DOORS1", Name: "Through the doors", Term: "Fall 2026", Periods: []string{"Period 1", "Period 2"}}, courses.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	rf, err := roster.Read(strings.NewReader("\ufeffEmail;Name;Role;Section;Student ID\r\n" +
		"teach@school.test;Tea Cher;teacher;;\r\n" +
		"ada@school.test;\"Lovelace, Ada\";student;Period 1;00417\r\n" +
		"bob@school.test;Bob Stone;student;Period 2;00418\r\n" +
		"cy@school.test;Cy Young;student;Period 3;00419\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p, _, err := roster.Apply(ctx, src.d, c.ID, rf, roster.Options{}, testNow); err != nil || len(p.Errors) > 0 {
		t.Fatalf("roster: %v %+v", err, p.Errors)
	}
	work := assignments.New(src.d, time.UTC, clock)
	for key, in := range map[string]assignments.Input{
		"hw1":  {Name: "Homework 1", Kind: "homework", Points: "10", OpensAt: "2026-09-01T08:00:00Z", DueAt: "2026-09-08T23:59:00Z"},
		"proj": {Name: "Project", Kind: "project", Points: "50", DueAt: "2026-10-01"},
	} {
		if _, _, err := work.Put(ctx, c.ID, key, in, assignments.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	results := `{"id":"ag-1","assignment":"hw1","student":"ada@school.test","commit":"3f2a9c","state":"passed","submitted_at":"2026-09-07T10:00:00Z","build":{"passed":true,"stdout":"ok\n"},"tests":[{"name":"test_add","passed":true,"message":"","stdout":"1 + 1 = 2\n"},{"name":"test_sub","passed":false,"message":"want 0","stdout":"1 - 1 = 1\n"}],"score":0.5,"late":false}
{"id":"ag-2","assignment":"hw1","student":"00418","commit":"9b1c","state":"failed","submitted_at":"2026-09-09T01:00:00Z","build":{"passed":false,"stdout":"error: missing ;\n"},"late":true}
`
	if r, err := submissions.Ingest(ctx, src.d, c.ID, strings.NewReader(results), submissions.Options{Now: testNow}); err != nil || r.Accepted != 2 {
		t.Fatalf("autograder results: %v %+v", err, r)
	}
	gf, err := gradebook.Read(strings.NewReader("email,assignment,score\r\nbob@school.test,proj,40\r\ncy@school.test,proj,85%\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p, _, err := gradebook.Apply(ctx, src.d, c.ID, gf, testNow); err != nil || len(p.Errors) > 0 {
		t.Fatalf("gradebook: %v %+v", err, p.Errors)
	}
	pdf := []byte("%PDF-1.4\n% a lecture\n")
	if _, _, err := src.files.PutStatic(ctx, c.ID, files.StaticInput{Path: "lectures/week 1.pdf"}, bytes.NewReader(pdf)); err != nil {
		t.Fatal(err)
	}

	first := src.export(t, c.ID)
	dst := freshInstance(t)
	res, err := dst.importArchive(first, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Members != 4 || res.Assignments != 2 || res.Submissions != 2 || res.TestResults != 2 || res.Scores != 3 || res.StaticFiles != 1 {
		t.Errorf("imported %+v", res)
	}
	second := dst.export(t, res.CourseID)
	a, b := canonical(t, first), canonical(t, second)
	for _, name := range archive.DataFiles {
		if len(a[name]) == 0 && name != "data/build_results.json" {
			t.Errorf("%s is empty: the doors did not fill it", name)
		}
		if !slices.Equal(a[name], b[name]) {
			t.Errorf("%s differs after the round trip:\n%s", name, firstDifference(a[name], b[name]))
		}
	}
	if got := unpack(t, second).data[archive.StaticDir+"lectures/week 1.pdf"]; !bytes.Equal(got, pdf) {
		t.Errorf("the course file came back as %q", got)
	}
}
