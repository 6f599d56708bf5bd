package courses

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/demo"
	"coursevault/db/files"
)

var testNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	d     *db.DB
	files *files.Service
	s     *Service
}

// newFixture is a small demo (course 1 has periods, students, assignments
// and static files) with the service over it.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t) // SQLite, or PostgreSQL with COURSEVAULT_TEST_DATABASE=postgres
	fs, err := files.New(d, filepath.Join(t.TempDir(), "attachments"), files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := demo.Defaults()
	o.Students, o.Assignments, o.SubmissionsPerStudent, o.StdoutBytes, o.StaticFiles = 6, 3, 1, 100, 2
	o.Static = func(ctx context.Context, courseID int64, p string, content []byte) error {
		_, err := fs.AddStatic(ctx, courseID, p, bytes.NewReader(content))
		return err
	}
	if _, err := demo.Generate(ctx, d, o); err != nil {
		t.Fatal(err)
	}
	return &fixture{d: d, files: fs, s: New(d, fs, func() time.Time { return testNow })}
}

func (f *fixture) version(t testing.TB, id int64) int64 {
	t.Helper()
	c, err := f.d.CourseByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.DataVersion
}

func TestValidate_namesTheField(t *testing.T) {
	ok := Input{Code: "PHYS-101_a.2", Name: "Physics", Term: "Fall 2026", Periods: []string{"P1", "P2"}}
	tests := []struct {
		name  string
		in    func(in *Input)
		field string
	}{
		{"valid", func(*Input) {}, ""},
		{"code missing", func(in *Input) { in.Code = "" }, "code"},
		{"code too long", func(in *Input) { in.Code = strings.Repeat("a", 41) }, "code"},
		{"code with a slash", func(in *Input) { in.Code = "a/b" }, "code"},
		{"code with a space", func(in *Input) { in.Code = "PHYS 101" }, "code"},
		{"code starting with a dot", func(in *Input) { in.Code = ".x" }, "code"},
		{"code not ASCII", func(in *Input) { in.Code = "Übung" }, "code"},
		{"name missing", func(in *Input) { in.Name = "" }, "name"},
		{"name too long", func(in *Input) { in.Name = strings.Repeat("n", 201) }, "name"},
		{"name 200 characters", func(in *Input) { in.Name = strings.Repeat("ü", 200) }, ""},
		{"term too long", func(in *Input) { in.Term = strings.Repeat("t", 101) }, "term"},
		{"term empty is fine", func(in *Input) { in.Term = "" }, ""},
		{"period twice ignoring case", func(in *Input) { in.Periods = []string{"Period 1", "period 1"} }, "periods"},
		{"period too long", func(in *Input) { in.Periods = []string{strings.Repeat("p", 101)} }, "periods"},
		{"period with a tab", func(in *Input) { in.Periods = []string{"a\tb"} }, "periods"},
		{"blank period", func(in *Input) { in.Periods = []string{"a", " "} }, "periods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			in.Periods = append([]string(nil), ok.Periods...)
			tt.in(&in)
			err := Validate(in.Clean())
			p := Problems(err)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if p.For(tt.field) == "" || len(p) != 1 {
				t.Fatalf("Validate = %v, want one error on %s", err, tt.field)
			}
		})
	}
}

func TestCreate_writesCoursePeriodsAndAuditTogether(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := f.s.Create(ctx, Input{Code: " BIO1 ", Name: "Biology", Term: "Spring", Periods: PeriodLines("A\r\n\r\n B \n")}, Actor{UserID: 1, RemoteIP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Code != "BIO1" || c.Name != "Biology" || len(c.Periods) != 2 || c.Periods[0].Name != "A" || c.Periods[1].Name != "B" {
		t.Fatalf("created %+v", c)
	}
	events, _ := f.d.AuditEvents(ctx, c.ID, 10)
	if len(events) != 1 || events[0].Action != "course.create" || events[0].Subject != "BIO1" || events[0].RemoteIP != "192.0.2.1" {
		t.Fatalf("audit = %+v", events)
	}
	_, err = f.s.Create(ctx, Input{Code: "bio1", Name: "Again"}, Actor{})
	if !errors.Is(err, ErrCodeTaken) || Problems(err).For("code") == "" {
		t.Fatalf("clash: %v", err)
	}
	_, err = f.s.Create(ctx, Input{Code: "X", Name: ""}, Actor{})
	if Problems(err).For("name") == "" {
		t.Fatalf("no name: %v", err)
	}
}

func TestUpdate_isPartialAndKeepsPeriodIDsByName(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := f.s.Create(ctx, Input{Code: "ART", Name: "Art", Term: "Fall", Periods: []string{"One", "Two", "Three"}}, Actor{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, p := range c.Periods {
		ids[p.Name] = p.ID
	}
	name := "Art history"
	periods := []string{"three", "One", "Four"}
	v := f.version(t, c.ID)
	got, err := f.s.Update(ctx, c.ID, Patch{Name: &name, Periods: &periods}, Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != name || got.Code != "ART" || got.Term != "Fall" {
		t.Fatalf("fields = %+v", got.Course)
	}
	var names []string
	for _, p := range got.Periods {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "three,One,Four" || got.Periods[0].ID != ids["Three"] || got.Periods[1].ID != ids["One"] {
		t.Fatalf("periods = %+v (ids before %v)", got.Periods, ids)
	}
	if f.version(t, c.ID) <= v {
		t.Fatal("data version did not move")
	}
	v = f.version(t, c.ID)
	if _, err := f.s.Update(ctx, c.ID, Patch{Name: &name}, Actor{}); err != nil {
		t.Fatal(err)
	}
	if f.version(t, c.ID) != v {
		t.Fatal("an update that changes nothing moved the data version")
	}
	taken := "cs101"
	if _, err := f.s.Update(ctx, c.ID, Patch{Code: &taken}, Actor{}); !errors.Is(err, ErrCodeTaken) {
		t.Fatalf("taken code: %v", err)
	}
	if _, err := f.s.Update(ctx, 999, Patch{Name: &name}, Actor{}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unknown course: %v", err)
	}
}

func TestPeriods_addRenameMoveRemove(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const course = 1 // demo CS101 with periods and students in them
	before, err := f.d.PeriodViews(ctx, course)
	if err != nil || len(before) < 2 || before[0].Students == 0 {
		t.Fatalf("demo periods = %+v, %v", before, err)
	}
	step := func(name string, fn func() error) {
		t.Helper()
		v := f.version(t, course)
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.version(t, course) <= v {
			t.Fatalf("%s did not move the data version", name)
		}
	}
	step("add", func() error { return f.s.AddPeriod(ctx, course, " Evening ", Actor{}) })
	step("rename", func() error { return f.s.RenamePeriod(ctx, course, before[0].ID, "Morning", Actor{}) })
	step("move down", func() error { return f.s.MovePeriod(ctx, course, before[0].ID, +1, Actor{}) })
	step("remove", func() error { return f.s.RemovePeriod(ctx, course, before[1].ID, Actor{}) })
	after, _ := f.d.PeriodViews(ctx, course)
	var names []string
	for _, p := range after {
		names = append(names, p.Name)
	}
	if len(after) != len(before) || after[0].ID != before[0].ID || after[0].Name != "Morning" || after[len(after)-1].Name != "Evening" {
		t.Fatalf("periods after = %v", names)
	}
	if err := f.s.AddPeriod(ctx, course, "morning", Actor{}); Problems(err).For("period") == "" {
		t.Fatalf("duplicate add: %v", err)
	}
	if err := f.s.RenamePeriod(ctx, course, after[0].ID, "", Actor{}); Problems(err).For("period") == "" {
		t.Fatalf("empty rename: %v", err)
	}
	if err := f.s.RemovePeriod(ctx, 2, after[0].ID, Actor{}); !errors.Is(err, ErrPeriodNotFound) {
		t.Fatalf("period of another course: %v", err)
	}
	v := f.version(t, course)
	if err := f.s.MovePeriod(ctx, course, after[0].ID, -1, Actor{}); err != nil {
		t.Fatal(err)
	}
	if f.version(t, course) != v {
		t.Fatal("moving the first period up changed something")
	}
}

func TestRemove_takesRowsFilesAndBytes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const course = 1
	owned, err := f.files.Owned(ctx, files.Course(course))
	if err != nil || len(owned) == 0 {
		t.Fatalf("demo course owns %d files, %v", len(owned), err)
	}
	other, _ := f.files.Owned(ctx, files.Course(2))
	r, err := f.s.Remove(ctx, course, Actor{UserID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != "CS101" || r.Members == 0 || r.Bytes == 0 {
		t.Fatalf("removed = %+v", r)
	}
	f.assertGone(t, course, owned)
	if left, _ := f.files.Owned(ctx, files.Course(2)); len(left) != len(other) {
		t.Fatalf("another course's files went too: %d of %d left", len(left), len(other))
	}
	events, _ := f.d.AuditEvents(ctx, 0, 5)
	if events[0].Action != "course.remove" || events[0].Subject != "CS101" {
		t.Fatalf("audit = %+v", events[0])
	}
	if _, err := f.s.Remove(ctx, course, Actor{}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("second removal: %v", err)
	}
}

// assertGone checks no row of the course is left and its files' bytes are off disk.
func (f *fixture) assertGone(t *testing.T, course int64, owned []files.File) {
	t.Helper()
	ctx := context.Background()
	if n, _ := f.d.CountCourses(ctx); n != 2 {
		t.Fatalf("%d courses left, want 2", n)
	}
	if left, _ := f.files.Owned(ctx, files.Course(course)); len(left) != 0 {
		t.Fatalf("%d files rows left", len(left))
	}
	if as, _ := f.d.RestoreAssignments(ctx, course); len(as) != 0 {
		t.Fatalf("%d assignments left", len(as))
	}
	for _, fl := range owned {
		if _, err := os.Stat(filepath.Join(f.files.Dir(), fl.Token)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("bytes of %s still on disk: %v", fl.Filename, err)
		}
	}
}

// A process killed after hiding the course leaves it hidden: no page sees it,
// and FinishRemovals (the janitor, the next start) takes the rest.
func TestFinishRemovals_completesAKilledRemoval(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const course = 1
	owned, _ := f.files.Owned(ctx, files.Course(course))
	// What Remove's first transaction does, then the "kill": one assignment
	// deleted of the rest.
	if err := f.d.InTx(ctx, func(tx *db.Queries) error { return tx.HideCourseForRemoval(ctx, course) }); err != nil {
		t.Fatal(err)
	}
	as, _ := f.d.RestoreAssignments(ctx, course)
	if err := f.d.InTx(ctx, func(tx *db.Queries) error { return tx.DeleteRestoreAssignment(ctx, course, as[0]) }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.CourseByID(ctx, course); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("a course being removed is visible: %v", err)
	}
	if list, _ := f.d.CourseOverviews(ctx); len(list) != 2 {
		t.Fatalf("course list shows %d courses, want 2", len(list))
	}
	// The import janitor leaves it alone: only FinishRemovals also deletes the files.
	if ids, _ := f.d.AbandonedRestores(ctx, testNow.Add(24*time.Hour), ""); len(ids) != 0 {
		t.Fatalf("the import janitor would take %v", ids)
	}
	if err := New(f.d, f.files, nil).FinishRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	f.assertGone(t, course, owned)
}

// An export that stores its file after the course was hidden is deleted too:
// the course row does not go while a file names it.
func TestRemove_fileStoredDuringRemovalGoesToo(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const course = 2
	if err := f.d.InTx(ctx, func(tx *db.Queries) error { return tx.HideCourseForRemoval(ctx, course) }); err != nil {
		t.Fatal(err)
	}
	late, err := f.files.Store(ctx, files.Input{Owner: files.Course(course), Category: files.CourseArchive, Filename: "late.zip"}, strings.NewReader("PK"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.FinishRemovals(ctx); err != nil {
		t.Fatal(err)
	}
	f.assertGone(t, course, []files.File{late})
}

func TestCourseOverviews_countsMembersBytesAndLastExport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	list, err := f.d.CourseOverviews(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("%d courses, %v", len(list), err)
	}
	usage, _ := f.files.Usage(ctx, files.Course(list[0].ID))
	if list[0].Members == 0 || list[0].DataBytes != usage || usage == 0 || list[0].LastExport != nil {
		t.Fatalf("first = %+v, usage %d", list[0], usage)
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	err = f.d.InTx(ctx, func(tx *db.Queries) error {
		fid, err := tx.InsertFile(ctx, db.FileRow{Token: strings.Repeat("ab", 16), OwnerType: "course", OwnerID: list[0].ID, Category: db.ExportBook,
			Filename: "b.xlsx", ContentType: "x", Size: 10, SHA256: strings.Repeat("0", 64), CreatedAt: at})
		if err != nil {
			return err
		}
		id, err := tx.InsertExport(ctx, db.Export{CourseID: list[0].ID, Kind: db.ExportBook, CreatedAt: at})
		if err != nil {
			return err
		}
		return tx.FinishExport(ctx, id, fid, 1, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.d.CourseOverviewByID(ctx, list[0].ID)
	if err != nil || o.LastExport == nil || !o.LastExport.Equal(at) || o.DataBytes != usage+10 {
		t.Fatalf("after an export: %+v, %v", o, err)
	}
}

// An imported course may hold periods that differ only in case, which
// Validate refuses for new ones: it can still be renamed, and a new list
// keeps one of them.
func TestUpdate_courseWithPeriodsDifferingInCase(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const course = 3 // the demo's empty course
	err := f.d.InTx(ctx, func(tx *db.Queries) error {
		for i, n := range []string{"A", "a"} {
			if _, err := tx.InsertPeriod(ctx, db.Period{CourseID: course, Name: n, Position: i}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	name := "Renamed"
	if _, err := f.s.Update(ctx, course, Patch{Name: &name}, Actor{}); err != nil {
		t.Fatalf("rename: %v", err)
	}
	periods := []string{"A", "B"}
	c, err := f.s.Update(ctx, course, Patch{Periods: &periods}, Actor{})
	if err != nil || len(c.Periods) != 2 || c.Periods[0].Name != "A" || c.Periods[1].Name != "B" {
		t.Fatalf("periods: %+v, %v", c.Periods, err)
	}
}

func TestPeriods_editsOfACourseWithImportedNamesStayPossible(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const course = 3
	var ids []int64
	err := f.d.InTx(ctx, func(tx *db.Queries) error {
		for i, n := range []string{"A", "a", strings.Repeat("x", 150)} {
			id, err := tx.InsertPeriod(ctx, db.Period{CourseID: course, Name: n, Position: i})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.MovePeriod(ctx, course, ids[0], +1, Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddPeriod(ctx, course, "B", Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.RenamePeriod(ctx, course, ids[2], "Long", Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.RemovePeriod(ctx, course, ids[1], Actor{}); err != nil {
		t.Fatal(err)
	}
	ps, _ := f.d.Periods(ctx, course)
	var got []string
	for _, p := range ps {
		got = append(got, fmt.Sprintf("%d:%s", p.Position, p.Name))
	}
	if strings.Join(got, ",") != "0:A,1:Long,2:B" {
		t.Fatalf("periods = %v", got)
	}
}
