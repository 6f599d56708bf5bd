package web

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/db/files/filestest"
	"coursevault/jobs/courses"
	"coursevault/jobs/exports"
)

// staffedCourse creates a course with the fixture's admin, teacher, TA and
// student in it, as the fixture's own course has them.
func (f *fixture) staffedCourse(code string) int64 {
	f.t.Helper()
	ctx := context.Background()
	c, err := f.srv.courses.Create(ctx, courses.Input{Code: code, Name: "Course " + code}, courses.Actor{})
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.db.InTx(ctx, func(tx *db.Queries) error {
		for email, role := range map[string]string{asAdmin: db.RoleAdmin, asTeacher: db.RoleTeacher, asTA: db.RoleTA, asStudent: db.RoleStudent} {
			if _, err := tx.InsertMembership(ctx, db.Membership{CourseID: c.ID, UserID: f.users[email], Role: role, CreatedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ID
}

// courseVersion reads a course's data version.
func (f *fixture) courseVersion(id int64) int64 {
	f.t.Helper()
	c, err := f.db.CourseByID(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c.DataVersion
}

// lastAudit returns the newest audit event of every course.
func (f *fixture) lastAudit() db.AuditEvent {
	f.t.Helper()
	events, err := f.db.AuditEvents(context.Background(), 0, 1)
	if err != nil || len(events) == 0 {
		f.t.Fatalf("audit: %v", err)
	}
	return events[0]
}

func TestAdminCourses_listsEveryCourseWithFigures(t *testing.T) {
	f := newFixture(t)
	res, body := f.as(asSiteAdmin).get("/admin/courses")
	if res.StatusCode != ok {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{"PHYS101", "Physics I", "CHEM201", "Fall 2026", "Never", `title="Bytes of the files the course keeps`, "New course", `name="periods"`,
		fmt.Sprintf(`href="/courses/%d/settings"`, f.course), `href="/admin/courses">Manage courses</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// PHYS101 has 5 members; the demo's first course keeps static files.
	if !regexp.MustCompile(`PHYS101</a></td><td><a [^>]*>Physics I</a></td><td>Fall 2026</td><td>5</td>`).MatchString(body) {
		t.Errorf("PHYS101's row does not show 5 members")
	}
}

func TestAdminCourses_createOpensSettingsWithNotice(t *testing.T) {
	f := newFixture(t)
	c := f.as(asSiteAdmin)
	c.get("/admin/courses")
	res, _ := c.post("/admin/courses", url.Values{"code": {"BIO-110"}, "name": {"Biology"}, "term": {"Spring 2027"}, "periods": {"Period 1\r\n\r\nPeriod 2\n"}})
	if res.StatusCode != see || !strings.HasSuffix(res.Header.Get("Location"), "/settings") {
		t.Fatalf("create: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := c.get(res.Header.Get("Location"))
	if res.StatusCode != ok || !strings.Contains(body, "Course BIO-110 created") || !strings.Contains(body, `value="Period 1"`) ||
		!strings.Contains(body, `value="Period 2"`) || !strings.Contains(body, `aria-current="page">Settings`) {
		t.Fatalf("settings after create: %d %s", res.StatusCode, body)
	}
	if e := f.lastAudit(); e.Action != "course.create" || e.Subject != "BIO-110" || e.UserID != f.users[asSiteAdmin] {
		t.Fatalf("audit = %+v", e)
	}
	// With htmx: the browser is sent to the new Settings tab.
	res, _ = c.do("POST", "/admin/courses", strings.NewReader("code=BIO-111&name=Biology+II"), map[string]string{
		"HX-Request": "true", "X-CSRF-Token": c.csrf, "Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != ok || !strings.HasSuffix(res.Header.Get("HX-Redirect"), "/settings") {
		t.Fatalf("htmx create: %d %q", res.StatusCode, res.Header.Get("HX-Redirect"))
	}
}

func TestAdminCourses_badInputIsShownAtItsField(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		status  int
		field   string
		message string
	}{
		{"code missing", url.Values{"name": {"X"}}, http.StatusBadRequest, "code", "Give the course a code"},
		{"code with a slash", url.Values{"code": {"a/b"}, "name": {"X"}}, http.StatusBadRequest, "code", "letters, digits"},
		{"code too long", url.Values{"code": {strings.Repeat("A", 41)}, "name": {"X"}}, http.StatusBadRequest, "code", "at most 40"},
		{"code taken, any case", url.Values{"code": {"phys101"}, "name": {"X"}}, http.StatusConflict, "code", "A course with code phys101 already exists"},
		{"name missing", url.Values{"code": {"NEW1"}}, http.StatusBadRequest, "name", "Give the course a name"},
		{"name too long", url.Values{"code": {"NEW1"}, "name": {strings.Repeat("n", 201)}}, http.StatusBadRequest, "name", "at most 200"},
		{"term too long", url.Values{"code": {"NEW1"}, "name": {"X"}, "term": {strings.Repeat("t", 101)}}, http.StatusBadRequest, "term", "at most 100"},
		{"period twice", url.Values{"code": {"NEW1"}, "name": {"X"}, "periods": {"A\na"}}, http.StatusBadRequest, "periods", "listed twice"},
	}
	f := newFixture(t)
	c := f.as(asSiteAdmin)
	before, _ := f.db.CountCourses(context.Background())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.get("/admin/courses")
			res, body := c.post("/admin/courses", tt.form)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			id := "new-course-form-" + tt.field
			if !strings.Contains(body, `id="`+id+`-error" role="alert">`+html.EscapeString(tt.message)) &&
				!regexp.MustCompile(`id="`+id+`-error" role="alert">[^<]*`+regexp.QuoteMeta(html.EscapeString(tt.message))).MatchString(body) {
				t.Fatalf("no %q at field %s:\n%s", tt.message, tt.field, body)
			}
			if !strings.Contains(body, `aria-describedby="`+id+`-error"`) {
				t.Errorf("the field is not tied to its error")
			}
			for k, vs := range tt.form {
				if k != "periods" && !strings.Contains(body, `value="`+html.EscapeString(vs[0])+`"`) {
					t.Errorf("input %s=%q not kept", k, vs[0])
				}
			}
			// htmx gets the form back (200, so it is swapped in) with the same message.
			tt.form.Set("_csrf", c.csrf)
			res, body = c.do("POST", "/admin/courses", strings.NewReader(tt.form.Encode()), map[string]string{
				"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"})
			if res.StatusCode != ok || strings.Contains(body, "<html") || !strings.Contains(body, id+`-error`) {
				t.Fatalf("htmx: %d %s", res.StatusCode, body)
			}
		})
	}
	if after, _ := f.db.CountCourses(context.Background()); after != before {
		t.Fatalf("%d courses created by bad input", after-before)
	}
}

func TestSettings_editsBumpTheDataVersionAndAreAudited(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	settings := fmt.Sprintf("/courses/%d/settings", f.course)
	res, body := c.get(settings)
	if res.StatusCode != ok || strings.Contains(body, "Remove course") {
		t.Fatalf("a course admin's Settings tab: %d (Remove course shown: %t)", res.StatusCode, strings.Contains(body, "Remove course"))
	}
	v := f.courseVersion(f.course)
	res, _ = c.post(settings, url.Values{"code": {"PHYS101"}, "name": {"Physics One"}, "term": {"Spring 2027"}})
	if res.StatusCode != see {
		t.Fatalf("save: %d", res.StatusCode)
	}
	got, _ := f.db.CourseByID(context.Background(), f.course)
	if got.Name != "Physics One" || got.Term != "Spring 2027" || got.DataVersion <= v {
		t.Fatalf("after save: %+v (version was %d)", got, v)
	}
	if e := f.lastAudit(); e.Action != "course.edit" || e.CourseID != f.course || !strings.Contains(e.Detail, "Physics One") {
		t.Fatalf("audit = %+v", e)
	}
	_, body = c.get(settings)
	if !strings.Contains(body, "Course saved.") {
		t.Error("no notice after saving")
	}
	res, body = c.post(settings, url.Values{"code": {"CHEM201"}, "name": {"Physics One"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "A course with code CHEM201 already exists") || !strings.Contains(body, `value="CHEM201"`) {
		t.Fatalf("code clash: %d", res.StatusCode)
	}
	// htmx: a wrong field comes back as the form; a save reloads the tab.
	res, body = c.do("POST", settings, strings.NewReader(url.Values{"_csrf": {c.csrf}, "code": {"PHYS101"}, "name": {""}}.Encode()),
		map[string]string{"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != ok || !strings.Contains(body, "Give the course a name.") || !strings.HasPrefix(body, `<form id="course-form"`) {
		t.Fatalf("htmx refusal: %d %s", res.StatusCode, body)
	}
	res, _ = c.do("POST", settings, strings.NewReader(url.Values{"_csrf": {c.csrf}, "code": {"PHYS101"}, "name": {"Physics I"}}.Encode()),
		map[string]string{"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != ok || res.Header.Get("HX-Redirect") != settings {
		t.Fatalf("htmx save: %d %q", res.StatusCode, res.Header.Get("HX-Redirect"))
	}
	if res, _ := f.as(asTeacher).get(settings); res.StatusCode != forb {
		t.Errorf("a teacher's Settings tab: %d, want 403", res.StatusCode)
	}
}

func periodOrder(t *testing.T, f *fixture, course int64) string {
	t.Helper()
	ps, err := f.db.Periods(context.Background(), course)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names, ",")
}

func TestSettings_periodsAddRenameAndReorderWithoutJS(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	c.get(fmt.Sprintf("/courses/%d/settings", f.course))
	base := fmt.Sprintf("/courses/%d/settings/periods", f.course)
	for _, name := range []string{"A", "B", "C"} {
		if res, _ := c.post(base, url.Values{"name": {name}}); res.StatusCode != see {
			t.Fatalf("add %s: %d", name, res.StatusCode)
		}
	}
	ps, _ := f.db.Periods(context.Background(), f.course)
	step := func(path string, form url.Values, want string) {
		t.Helper()
		v := f.courseVersion(f.course)
		res, _ := c.post(path, form)
		if res.StatusCode != see || res.Header.Get("Location") != fmt.Sprintf("/courses/%d/settings#periods", f.course) {
			t.Fatalf("%s: %d %q", path, res.StatusCode, res.Header.Get("Location"))
		}
		if got := periodOrder(t, f, f.course); got != want {
			t.Fatalf("%s: periods %s, want %s", path, got, want)
		}
		if f.courseVersion(f.course) <= v {
			t.Fatalf("%s did not move the data version", path)
		}
	}
	step(fmt.Sprintf("%s/%d/down", base, ps[0].ID), nil, "B,A,C")
	step(fmt.Sprintf("%s/%d/up", base, ps[2].ID), nil, "B,C,A")
	step(fmt.Sprintf("%s/%d", base, ps[1].ID), url.Values{"name": {"Bee"}}, "Bee,C,A")
	if e := f.lastAudit(); e.Action != "period.rename" || e.Subject != "B → Bee" {
		t.Fatalf("audit = %+v", e)
	}
	_, body := c.get(fmt.Sprintf("/courses/%d/settings", f.course))
	for _, want := range []string{`aria-label="Move Bee down"`, `aria-label="Move A up"`, "0 students", `aria-label="Name of period C"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the tab lacks %q", want)
		}
	}
	if strings.Contains(body, `aria-label="Move Bee up"`) || strings.Contains(body, `aria-label="Move A down"`) {
		t.Error("the first period can move up, or the last down")
	}
	res, body := c.post(base, url.Values{"name": {"bee"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "There is already a period called &#34;Bee&#34;") || !strings.Contains(body, `value="bee"`) {
		t.Fatalf("duplicate add: %d", res.StatusCode)
	}
	res, body = c.do("POST", fmt.Sprintf("%s/%d/down", base, ps[1].ID), strings.NewReader("_csrf="+c.csrf),
		map[string]string{"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != ok || !strings.HasPrefix(body, `<section id="periods"`) || periodOrder(t, f, f.course) != "C,Bee,A" {
		t.Fatalf("htmx move: %d %s", res.StatusCode, body)
	}
	other, _ := f.srv.courses.Create(context.Background(), courses.Input{Code: "OTHER", Name: "Other", Periods: []string{"X"}}, courses.Actor{})
	if res, _ := c.post(fmt.Sprintf("%s/%d/remove", base, other.Periods[0].ID), nil); res.StatusCode != nf {
		t.Errorf("a period of another course: %d, want 404", res.StatusCode)
	}
	if res, _ := c.post(base+"/abc/up", nil); res.StatusCode != nf {
		t.Errorf("a bad period id: %d, want 404", res.StatusCode)
	}
}

func TestSettings_removingAPeriodWithStudentsAsksFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const course = 1 // the demo's first course: periods with students
	ps, _ := f.db.PeriodViews(ctx, course)
	p := ps[0]
	members := func() int {
		o, _ := f.db.CourseOverviewByID(ctx, course)
		return int(o.Members)
	}
	before := members()
	c := f.as(asSiteAdmin)
	_, body := c.get(fmt.Sprintf("/courses/%d/settings", course))
	if !strings.Contains(body, fmt.Sprintf("%d students", p.Students)) {
		t.Fatalf("the tab does not say %d students", p.Students)
	}
	remove := fmt.Sprintf("/courses/%d/settings/periods/%d/remove", course, p.ID)
	res, body := c.post(remove, nil)
	if res.StatusCode != ok || !strings.Contains(body, "Remove period "+p.Name+"?") || !strings.Contains(body, fmt.Sprintf("%d students in it stay in the course", p.Students)) {
		t.Fatalf("no question: %d", res.StatusCode)
	}
	if after, _ := f.db.PeriodViews(ctx, course); len(after) != len(ps) {
		t.Fatal("the period went before the question was answered")
	}
	res, _ = c.post(remove, url.Values{"confirm": {"1"}})
	if res.StatusCode != see {
		t.Fatalf("confirmed removal: %d", res.StatusCode)
	}
	if after, _ := f.db.PeriodViews(ctx, course); len(after) != len(ps)-1 {
		t.Fatalf("%d periods, want %d", len(after), len(ps)-1)
	}
	if members() != before {
		t.Fatalf("members %d, want %d: the period's students must stay", members(), before)
	}
	if e := f.lastAudit(); e.Action != "period.remove" || e.Subject != p.Name {
		t.Fatalf("audit = %+v", e)
	}
}

func TestRemoveCourse_typeTheCodeThenEverythingGoes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const course = 1 // the demo's first course keeps static files
	owned, err := f.files.Owned(ctx, files.Course(course))
	if err != nil || len(owned) == 0 {
		t.Fatalf("the demo course owns %d files: %v", len(owned), err)
	}
	c := f.as(asSiteAdmin)
	settings := fmt.Sprintf("/courses/%d/settings", course)
	_, body := c.get(settings)
	if !strings.Contains(body, "Remove course") || !strings.Contains(body, `id="confirm-code"`) {
		t.Fatal("a site admin's Settings tab has no Remove course section")
	}
	remove := fmt.Sprintf("/courses/%d/remove", course)
	for _, typed := range []string{"", "CS10", "PHYS101"} {
		res, body := c.post(remove, url.Values{"code": {typed}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Type the code CS101 to confirm; nothing was removed.") {
			t.Fatalf("typed %q: %d", typed, res.StatusCode)
		}
	}
	if _, err := f.db.CourseByID(ctx, course); err != nil {
		t.Fatalf("the course went on a wrong code: %v", err)
	}
	if res, _ := f.as(asAdmin).post(fmt.Sprintf("/courses/%d/remove", f.course), url.Values{"code": {"PHYS101"}}); res.StatusCode != forb {
		t.Fatalf("a course admin removing: %d, want 403", res.StatusCode)
	}
	res, _ := c.post(remove, url.Values{"code": {"cs101"}})
	if res.StatusCode != see || res.Header.Get("Location") != "/admin/courses" {
		t.Fatalf("remove: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = c.get("/admin/courses")
	if !strings.Contains(body, "Course CS101") || !strings.Contains(body, "removed") || strings.Contains(body, `>CS101</a>`) {
		t.Fatal("the list does not say the course was removed, or still lists it")
	}
	if res, _ := c.get(settings); res.StatusCode != nf {
		t.Fatalf("the removed course answers %d", res.StatusCode)
	}
	for _, fl := range owned {
		if filestest.Has(t, f.files.Blobs(), fl.Token) {
			t.Fatalf("%s is still on disk", fl.Filename)
		}
	}
	if left, _ := f.files.Owned(ctx, files.Course(course)); len(left) != 0 {
		t.Fatalf("%d file rows left", len(left))
	}
	e := f.lastAudit()
	if e.Action != "course.remove" || e.Subject != "CS101" || e.UserID != f.users[asSiteAdmin] {
		t.Fatalf("audit = %+v", e)
	}
	if _, body := c.get("/admin/audit"); !strings.Contains(body, "Removed a course") {
		t.Fatal("the site audit log does not show the removal")
	}
}

func TestRemoveCourse_withAnExportRunning(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ready := f.readyBook(f.course)
	queued, _, err := f.srv.exports.Request(ctx, exports.Request{CourseID: f.course, UserID: f.users[asAdmin], Kind: db.ExportArchive})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.courses.Remove(ctx, f.course, courses.Actor{}); err != nil {
		t.Fatal(err)
	}
	j, err := f.db.GetJob(ctx, queued.JobID)
	if err != nil || j.State != db.JobCancelled {
		t.Fatalf("the queued export's job: %+v, %v", j, err)
	}
	if _, err := f.files.GetByID(ctx, ready.FileID); !errors.Is(err, files.ErrNotFound) {
		t.Fatalf("the ready workbook: %v", err)
	}
	f.drain() // the worker finds nothing to do and nothing breaks
}

func TestCourses_emptyListLeadsTheSiteAdminOn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	list, _ := f.db.CourseOverviews(ctx)
	for _, o := range list {
		if _, err := f.srv.courses.Remove(ctx, o.ID, courses.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	_, body := f.as(asSiteAdmin).get("/courses")
	if !strings.Contains(body, `<a href="/admin/courses#new-course">Create your first course</a>`) {
		t.Fatalf("a site admin's empty course list: %s", body)
	}
	_, body = f.as(asTeacher).get("/courses")
	if strings.Contains(body, "Create your first course") || !strings.Contains(body, "You are not on the staff of any course yet") {
		t.Fatal("a teacher's empty course list changed")
	}
}
