package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"coursevault/db"
	"coursevault/jobs/exports"
)

// The demo's courses come first: 1 has periods, 2 has none, 3 is empty.
const (
	demoWithPeriods    = 1
	demoWithoutPeriods = 2
	demoEmpty          = 3
	demoTeacher        = "teacher@demo.test"
	demoTA             = "ta@demo.test"
	demoStudent        = "student@demo.test"
	demoInstructor     = "instructor@demo.test"
)

// readyBook makes a finished performance-book export of course.
func (f *fixture) readyBook(course int64) db.ExportView {
	f.t.Helper()
	ctx := context.Background()
	e, _, err := f.srv.exports.Request(ctx, exports.Request{CourseID: course, UserID: f.users[asTeacher], Kind: db.ExportBook})
	if err != nil {
		f.t.Fatal(err)
	}
	f.drain()
	if e, err = f.srv.exports.Get(ctx, course, e.ID); err != nil || e.Status() != db.ExportReady {
		f.t.Fatalf("book not ready: %v %s %s", err, e.Status(), e.LastError)
	}
	return e
}

func TestPerformancePage_showsGridAndPeriods(t *testing.T) {
	f := newFixture(t)
	c := f.as(demoTeacher)
	res, body := c.get(fmt.Sprintf("/courses/%d/performance", demoWithPeriods))
	if res.StatusCode != ok {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{"000417", `class="book"`, "Assignment average", "%</td>", ">All</a>", "Export to Excel", "No workbooks yet"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	period := regexp.MustCompile(`href="(/courses/1/performance\?period=\d+)"`).FindStringSubmatch(body)
	if period == nil {
		t.Fatal("no period filter")
	}
	res, pbody := c.get(strings.ReplaceAll(period[1], "&amp;", "&"))
	if res.StatusCode != ok || strings.Count(pbody, `scope="row"`) >= strings.Count(body, `scope="row"`) {
		t.Fatalf("period view: %d, rows %d of %d", res.StatusCode, strings.Count(pbody, `scope="row"`), strings.Count(body, `scope="row"`))
	}
	if res, _ := c.get(fmt.Sprintf("/courses/%d/performance?period=999999", demoWithPeriods)); res.StatusCode != nf {
		t.Fatalf("unknown period: %d", res.StatusCode)
	}
	_, body = c.get(fmt.Sprintf("/courses/%d/performance", demoWithoutPeriods))
	if strings.Contains(body, `aria-label="Periods"`) {
		t.Error("a course without periods shows period filters")
	}
	_, body = f.as(demoInstructor).get(fmt.Sprintf("/courses/%d/performance", demoEmpty))
	if !strings.Contains(body, "No students yet") {
		t.Error("the empty course does not say so")
	}
}

func TestBookExport_seedAPI(t *testing.T) {
	f := newFixture(t)
	c := f.as(demoTeacher)
	c.get("/courses")
	api := fmt.Sprintf("/api/courses/%d/performance", demoWithPeriods)
	res, body := c.do("POST", api+"/export", nil, map[string]string{"X-CSRF-Token": c.csrf})
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST export with an empty body: %d %s", res.StatusCode, body)
	}
	if res, body := c.do("POST", api+"/export", strings.NewReader(`{"x":1}`), map[string]string{"X-CSRF-Token": c.csrf}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST export with a body: %d %s", res.StatusCode, body)
	}
	_, body = c.get(api + "/exports")
	if body != "[]\n" {
		t.Fatalf("exports before the job ran: %s", body)
	}
	f.drain()
	var list []apiBookFile
	_, body = c.get(api + "/exports")
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 1 {
		t.Fatalf("exports: %s", body)
	}
	got := list[0]
	if !regexp.MustCompile(`^Introduction_to_Programming_Performance_\d{8}-\d{6}\.xlsx$`).MatchString(got.Filename) || got.CreatedAt.IsZero() {
		t.Fatalf("export = %+v", got)
	}
	if !strings.HasSuffix(got.URL, "/"+got.Filename) || !strings.Contains(got.URL, "/files/") {
		t.Fatalf("url = %s", got.URL)
	}
	path := got.URL[strings.Index(got.URL, "/files/"):]
	res, xlsx := c.get(path)
	if res.StatusCode != ok || res.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("download: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	wb, err := excelize.OpenReader(bytes.NewReader([]byte(xlsx)))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	if sheets := wb.GetSheetList(); len(sheets) < 3 || sheets[0] != "Summary" {
		t.Fatalf("sheets = %v, want Summary then one per period", sheets)
	}
	// Staff may download; a student may not, even with the URL.
	if res, _ := f.as(demoTA).get(path); res.StatusCode != ok {
		t.Errorf("TA download: %d", res.StatusCode)
	}
	if res, _ := f.as(demoStudent).get(path); res.StatusCode != nf {
		t.Errorf("student download: %d, want 404", res.StatusCode)
	}
	var book apiBook
	_, body = c.get(api)
	if err := json.Unmarshal([]byte(body), &book); err != nil || len(book.Exports) != 1 || !book.UpToDate || len(book.Students) == 0 {
		t.Fatalf("book: %v %.300s", err, body)
	}
}

func TestBookExport_pageButtonAddsPendingRow(t *testing.T) {
	f := newFixture(t)
	c := f.as(demoTeacher)
	page := fmt.Sprintf("/courses/%d/performance", demoWithoutPeriods)
	c.get(page)
	res, row := c.do("POST", page+"/exports", nil, htmx(c))
	if m := rowStatus.FindStringSubmatch(row); res.StatusCode != ok || m == nil || m[1] != "queued" {
		t.Fatalf("%d %s", res.StatusCode, row)
	}
	f.drain()
	_, body := c.get(page)
	if !rowLink.MatchString(body) || !strings.Contains(body, "Up to date") {
		t.Fatal("the page does not list the ready, up-to-date workbook")
	}
}

// A course set up by hand has students before it has work: the book lists
// them rather than calling itself empty.
func TestPerformancePage_listsStudentsBeforeAnyAssignment(t *testing.T) {
	f := newFixture(t)
	_, body := f.as(asTeacher).get(fmt.Sprintf("/courses/%d/performance", f.course))
	if !strings.Contains(body, "No assignments yet") || !strings.Contains(body, `<th scope="row" class="name">student</th>`) {
		t.Fatalf("the book of a course without assignments: %.3000s", body)
	}
}
