package assignments

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/demo"
	"coursevault/jobs/courses"
)

var testNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// school is a zone with daylight saving, so plain dates are tested off UTC.
var school, _ = time.LoadLocation("America/New_York")

type fixture struct {
	d *db.DB
	s *Service
}

// newFixture is a small demo: course 1 has students, assignments with
// submissions and scores; course 2 is another course.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t)
	o := demo.Defaults()
	o.Students, o.Assignments, o.SubmissionsPerStudent, o.StdoutBytes, o.StaticFiles = 5, 3, 1, 50, 0
	if _, err := demo.Generate(ctx, d, o); err != nil {
		t.Fatal(err)
	}
	return &fixture{d: d, s: New(d, school, func() time.Time { return testNow })}
}

func (f *fixture) version(t testing.TB, course int64) int64 {
	t.Helper()
	c, err := f.d.CourseByID(context.Background(), course)
	if err != nil {
		t.Fatal(err)
	}
	return c.DataVersion
}

func (f *fixture) audits(t testing.TB, course int64, action string) int {
	t.Helper()
	es, err := f.d.AuditEvents(context.Background(), course, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Action == action {
			n++
		}
	}
	return n
}

func good() Input {
	return Input{Name: "Homework 9", Kind: "homework", OpensAt: "2026-11-01", DueAt: "2026-11-08T17:00:00Z", Points: "10"}
}

func pos(n int) *int { return &n }

func TestValidate_namesTheBadField(t *testing.T) {
	long := strings.Repeat("x", MaxName+1)
	for _, tc := range []struct {
		name  string
		edit  func(*Input)
		field string
	}{
		{"name missing", func(in *Input) { in.Name = "" }, "name"},
		{"name too long", func(in *Input) { in.Name = long }, "name"},
		{"name with a control character", func(in *Input) { in.Name = "a\x00b" }, "name"},
		{"unknown kind", func(in *Input) { in.Kind = "quiz" }, "kind"},
		{"opens not a date", func(in *Input) { in.OpensAt = "next week" }, "opens_at"},
		{"due not a date", func(in *Input) { in.DueAt = "2026-13-01" }, "due_at"},
		{"due before opens", func(in *Input) { in.OpensAt, in.DueAt = "2026-11-09", "2026-11-08" }, "due_at"},
		{"points missing", func(in *Input) { in.Points = "" }, "points"},
		{"points zero", func(in *Input) { in.Points = "0" }, "points"},
		{"points negative", func(in *Input) { in.Points = "-5" }, "points"},
		{"points not a number", func(in *Input) { in.Points = "ten" }, "points"},
		{"points infinite", func(in *Input) { in.Points = "Inf" }, "points"},
		{"points NaN", func(in *Input) { in.Points = "NaN" }, "points"},
		{"key with a space", func(in *Input) { in.Key = "hw 1" }, "key"},
		{"key with a slash", func(in *Input) { in.Key = "hw/1" }, "key"},
		{"key too long", func(in *Input) { in.Key = strings.Repeat("k", MaxKey+1) }, "key"},
		{"key not ASCII", func(in *Input) { in.Key = "hwé" }, "key"},
		{"negative position", func(in *Input) { in.Position = pos(-1) }, "position"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			tc.edit(&in)
			_, err := Validate(in.Clean(), school)
			p := courses.Problems(err)
			if len(p) != 1 || p[0].Field != tc.field || p[0].Message == "" {
				t.Fatalf("problems %v, want one naming %s", p, tc.field)
			}
		})
	}
}

func TestValidate_acceptsWhatItDocuments(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opens, due string
		wantOpens  string // RFC 3339 in UTC, "" for none
		wantDue    string
	}{
		{"no dates", "", "", "", ""},
		{"RFC 3339 with an offset", "2026-11-01T08:00:00-05:00", "2026-11-08T17:00:00Z", "2026-11-01T13:00:00Z", "2026-11-08T17:00:00Z"},
		// Plain dates are the school's days: opens at its start, due at its end.
		{"plain dates in the school's zone", "2026-11-01", "2026-11-08", "2026-11-01T04:00:00Z", "2026-11-09T04:59:59Z"},
		{"a due date on the day clocks change", "", "2026-11-01", "", "2026-11-02T04:59:59Z"},
		{"the page's datetime-local", "2026-11-01T08:00", "2026-11-08T17:30", "2026-11-01T13:00:00Z", "2026-11-08T22:30:00Z"},
		{"due equals opens", "2026-11-08T17:00:00Z", "2026-11-08T17:00:00Z", "2026-11-08T17:00:00Z", "2026-11-08T17:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			in.OpensAt, in.DueAt, in.Key, in.Kind, in.Points = tc.opens, tc.due, "a-b_c.d:1", " Exam ", "0.5"
			a, err := Validate(in.Clean(), school)
			if err != nil {
				t.Fatal(err)
			}
			fmtT := func(p *time.Time) string {
				if p == nil {
					return ""
				}
				return p.Format(time.RFC3339)
			}
			if fmtT(a.OpensAt) != tc.wantOpens || fmtT(a.DueAt) != tc.wantDue || a.Kind != "exam" || a.Points != 0.5 {
				t.Fatalf("got opens %s due %s kind %s points %g", fmtT(a.OpensAt), fmtT(a.DueAt), a.Kind, a.Points)
			}
		})
	}
}

func TestPut_createsThenUpdatesThenChangesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	v0 := f.version(t, 1)
	a, created, err := f.s.Put(ctx, 1, "hw9", good(), Actor{Name: "course token \"CI\""})
	if err != nil || !created || a.ID == 0 || a.Key != "hw9" {
		t.Fatalf("create: %+v created=%v err=%v", a, created, err)
	}
	// A new assignment without a position goes after the last.
	list, _ := f.s.List(ctx, 1)
	if last := list[len(list)-1]; last.ID != a.ID || len(list) != 4 {
		t.Fatalf("new assignment is not last: %+v", list)
	}
	v1 := f.version(t, 1)
	if v1 <= v0 {
		t.Fatalf("data version did not move on create: %d → %d", v0, v1)
	}
	in := good()
	in.Name, in.Points, in.Position = "Homework nine", "20", pos(0)
	b, created, err := f.s.Put(ctx, 1, "hw9", in, Actor{})
	if err != nil || created || b.ID != a.ID || b.Name != "Homework nine" || b.Points != 20 || b.Position != 0 {
		t.Fatalf("update: %+v created=%v err=%v", b, created, err)
	}
	v2 := f.version(t, 1)
	if v2 <= v1 {
		t.Fatal("data version did not move on update")
	}
	// The same body again: 200-style, nothing written, nothing audited.
	if _, created, err := f.s.Put(ctx, 1, "hw9", in, Actor{}); err != nil || created {
		t.Fatalf("again: created=%v err=%v", created, err)
	}
	if f.version(t, 1) != v2 || f.audits(t, 1, "assignment.put") != 2 {
		t.Fatalf("an unchanged put wrote: version %d (was %d), %d audits", f.version(t, 1), v2, f.audits(t, 1, "assignment.put"))
	}
	// The same key in another course is another assignment.
	c, created, err := f.s.Put(ctx, 2, "hw9", good(), Actor{})
	if err != nil || !created || c.ID == a.ID {
		t.Fatalf("other course: %+v %v %v", c, created, err)
	}
}

func TestPut_badKeyOrFieldWritesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	v := f.version(t, 1)
	for _, tc := range []struct {
		key, field string
		edit       func(*Input)
	}{
		{"", "key", func(*Input) {}},
		{"hw 9", "key", func(*Input) {}},
		{"hw9", "kind", func(in *Input) { in.Kind = "quiz" }},
	} {
		in := good()
		tc.edit(&in)
		_, _, err := f.s.Put(ctx, 1, tc.key, in, Actor{})
		if p := courses.Problems(err); len(p) == 0 || p[0].Field != tc.field {
			t.Errorf("key %q: %v, want a problem with %s", tc.key, err, tc.field)
		}
	}
	if f.version(t, 1) != v {
		t.Fatal("a refused put moved the data version")
	}
}

func TestUpdate_keyClashIsAFieldError(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, _, err := f.s.Put(ctx, 1, "hw1", good(), Actor{}); err != nil {
		t.Fatal(err)
	}
	list, _ := f.s.List(ctx, 1)
	in := good()
	in.Key = "hw1"
	_, err := f.s.Update(ctx, 1, list[0].ID, in, Actor{})
	if !errors.Is(err, ErrKeyTaken) || courses.Problems(err)[0].Field != "key" {
		t.Fatalf("clash: %v", err)
	}
	if _, err := f.s.Update(ctx, 2, list[0].ID, good(), Actor{}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("another course's assignment: %v", err)
	}
}

func TestMove_swapsNeighboursAndStaysAtTheEnds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := func() []int64 {
		list, _ := f.s.List(ctx, 1)
		var out []int64
		for _, r := range list {
			out = append(out, r.ID)
		}
		return out
	}
	start := ids()
	if err := f.s.Move(ctx, 1, start[2], -1, Actor{}); err != nil {
		t.Fatal(err)
	}
	if got := ids(); got[1] != start[2] || got[2] != start[1] {
		t.Fatalf("up: %v from %v", got, start)
	}
	v := f.version(t, 1)
	if err := f.s.Move(ctx, 1, ids()[0], -1, Actor{}); err != nil {
		t.Fatal(err)
	}
	if f.version(t, 1) != v || f.audits(t, 1, "assignment.move") != 1 {
		t.Fatal("moving the first up wrote something")
	}
	if err := f.s.Move(ctx, 2, start[0], 1, Actor{}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("moving another course's assignment: %v", err)
	}
}

func TestRemove_takesSubmissionsAndScoresWithIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	list, _ := f.s.List(ctx, 1)
	var target Row
	for _, r := range list {
		if r.Any() {
			target = r
		}
	}
	if !target.Any() {
		t.Fatal("the demo course has no assignment with work")
	}
	before, _ := f.d.CountArchiveRows(ctx, 1)
	v := f.version(t, 1)
	got, err := f.s.Remove(ctx, 1, target.ID, Actor{UserID: 0, Name: "test"})
	if err != nil || got.Submissions != target.Submissions || got.Scores != target.Scores {
		t.Fatalf("remove: %+v, %v (listed %+v)", got, err, target)
	}
	after, _ := f.d.CountArchiveRows(ctx, 1)
	if after.Assignments != before.Assignments-1 || after.Submissions != before.Submissions-int64(target.Submissions) ||
		after.Scores > before.Scores-int64(target.Scores) {
		t.Fatalf("rows before %+v after %+v, removed %+v", before, after, target)
	}
	if f.version(t, 1) <= v || f.audits(t, 1, "assignment.remove") != 1 {
		t.Fatal("a removal is not versioned and audited once")
	}
	if _, err := f.s.Remove(ctx, 1, target.ID, Actor{}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("removing again: %v", err)
	}
	if _, err := f.s.RemoveByKey(ctx, 1, "nope", Actor{}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
}
