package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"coursevault/db"
)

// bigBook adds n students (Family "Student", given "S001".."Snnn", student
// ids "id-001"...) and one assignment "Quiz" to f.course; student k scores
// k/n on it, so sorting by the quiz reverses the name order. It returns the
// course's book path and the quiz's id.
func (f *fixture) bigBook(n int) (string, int64) {
	f.t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var quiz int64
	err := f.db.InTx(ctx, func(tx *db.Queries) error {
		var err error
		if quiz, err = tx.InsertAssignment(ctx, db.Assignment{CourseID: f.course, Name: "Quiz", Kind: db.KindHomework, Points: 10}); err != nil {
			return err
		}
		set, err := tx.PrepareSetScore(ctx)
		if err != nil {
			return err
		}
		defer set.Close()
		for k := 1; k <= n; k++ {
			uid, err := tx.InsertUser(ctx, db.User{Email: fmt.Sprintf("s%03d@big.test", k), Name: fmt.Sprintf("S%03d Student", k),
				GivenName: fmt.Sprintf("S%03d", k), FamilyName: "Student", CreatedAt: now})
			if err != nil {
				return err
			}
			if _, err := tx.InsertMembership(ctx, db.Membership{CourseID: f.course, UserID: uid, Role: db.RoleStudent,
				StudentIdentifier: fmt.Sprintf("id-%03d", k), CreatedAt: now}); err != nil {
				return err
			}
			if err := set.Exec(ctx, quiz, uid, float64(n-k)/float64(n), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return fmt.Sprintf("/courses/%d/performance", f.course), quiz
}

var bookRowName = regexp.MustCompile(`<th scope="row" class="name">([^<]*)</th>`)

// bookNames lists the student rows of a book page, without the footer.
func bookNames(body string) []string {
	var out []string
	for _, m := range bookRowName.FindAllStringSubmatch(body, -1) {
		if m[1] != "Assignment average" {
			out = append(out, html.UnescapeString(m[1]))
		}
	}
	return out
}

func TestBookPage_bigCourseShowsOnePageOfStudentsWithWorkingPager(t *testing.T) {
	f := newFixture(t)
	base, _ := f.bigBook(120)
	c := f.as(asTeacher)
	res, body := c.get(base)
	if res.StatusCode != ok {
		t.Fatalf("status %d", res.StatusCode)
	}
	// 121 students: the fixture's own student sorts first ("student" has no
	// family name, so it is listed under its display name).
	names := bookNames(body)
	if len(names) != 50 {
		t.Fatalf("the first page shows %d students, want 50", len(names))
	}
	for _, want := range []string{"Students 1–50 of 121", `aria-label="Pages of students"`, `href="` + base + `?page=2"`, `href="` + base + `?page=3"`, `rel="next"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the first page lacks %q", want)
		}
	}
	if strings.Contains(body, `rel="prev"`) {
		t.Error("the first page links to a previous page")
	}
	_, body = c.get(base + "?page=3")
	if names := bookNames(body); len(names) != 21 || names[20] != "Student, S120" {
		t.Fatalf("the last page shows %d students: %q", len(names), names)
	}
	if !strings.Contains(body, "Students 101–121 of 121") || strings.Contains(body, `rel="next"`) || !strings.Contains(body, `aria-current="page" aria-label="Page 3"`) {
		t.Error("the last page does not say where it is")
	}
	for _, page := range []string{"99", "0", "x", "-4"} { // clamped or read as the first page, never an error
		if res, _ := c.get(base + "?page=" + page); res.StatusCode != ok {
			t.Errorf("?page=%s: status %d", page, res.StatusCode)
		}
	}
}

func TestBookPage_searchFindsByNameOrStudentID(t *testing.T) {
	f := newFixture(t)
	base, _ := f.bigBook(120)
	c := f.as(asTeacher)
	for _, tc := range []struct{ q, want string }{
		{"s042", "Student, S042"},
		{"STUDENT, S043", "Student, S043"},
		{"id-044", "Student, S044"},
		{"S045 student", "Student, S045"},
	} {
		t.Run(tc.q, func(t *testing.T) {
			_, body := c.get(base + "?q=" + strings.ReplaceAll(tc.q, " ", "+"))
			if names := bookNames(body); len(names) != 1 || names[0] != tc.want {
				t.Fatalf("found %q, want only %q", names, tc.want)
			}
			if !strings.Contains(body, "Students 1–1 of 1 found among 121") || strings.Contains(body, `aria-label="Pages of students"`) {
				t.Error("a search on one page should say what it found, without a pager")
			}
		})
	}
	_, body := c.get(base + "?q=nobody-at-all")
	if !strings.Contains(body, "No student&#39;s name or student id contains") && !strings.Contains(body, "No student's name or student id contains") {
		t.Errorf("a search that finds nobody should say so: %.2000s", body)
	}
}

func TestBookPage_sortsByAColumnAndKeepsTheViewInLinks(t *testing.T) {
	f := newFixture(t)
	base, quiz := f.bigBook(120)
	c := f.as(asTeacher)
	sortQuiz := fmt.Sprintf("?sort=a%d", quiz)
	_, body := c.get(base + sortQuiz)
	// Student k scored (120-k)/120: ascending puts S120 (0%) first; the
	// fixture's student has no score and goes last, past this page.
	if names := bookNames(body); len(names) != 50 || names[0] != "Student, S120" || names[49] != "Student, S071" {
		t.Fatalf("sorted by the quiz, ascending: %q ... ", names[:3])
	}
	if !strings.Contains(body, `aria-sort="ascending"><a href="`+base+`?dir=desc&amp;sort=a`) {
		t.Error("the sorted column should say so (aria-sort) and link to the reverse order")
	}
	if !strings.Contains(body, `href="`+base+`?page=2&amp;sort=a`) {
		t.Error("the pager should keep the sort")
	}
	_, body = c.get(base + sortQuiz + "&dir=desc")
	if names := bookNames(body); names[0] != "Student, S001" {
		t.Fatalf("sorted by the quiz, descending: %q", names[:3])
	}
	_, body = c.get(base + "?sort=id&dir=desc")
	if names := bookNames(body); names[0] != "Student, S120" {
		t.Fatalf("sorted by student id, descending: %q", names[:3])
	}
	_, body = c.get(base + "?sort=a999999")
	if names := bookNames(body); !strings.Contains(body, `class="name" aria-sort="ascending"`) || len(names) != 50 {
		t.Error("an unknown sort should show the name order")
	}
}

func TestBookPage_periodFilterKeepsSearchAndPagesThePeriod(t *testing.T) {
	f := newFixture(t)
	c := f.as(demoTeacher)
	_, body := c.get(fmt.Sprintf("/courses/%d/performance?q=a", demoWithPeriods))
	period := regexp.MustCompile(`href="(/courses/1/performance\?period=\d+&amp;q=a)"`).FindStringSubmatch(body)
	if period == nil {
		t.Fatalf("the period filters should keep the search: %.3000s", body)
	}
	res, pbody := c.get(html.UnescapeString(period[1]))
	if res.StatusCode != ok || !strings.Contains(pbody, `name="period" value=`) {
		t.Fatalf("the period's search form should carry the period: %d", res.StatusCode)
	}
}

func TestBookPage_htmxGetsTheViewAlone(t *testing.T) {
	f := newFixture(t)
	base, _ := f.bigBook(150)
	c := f.as(asTeacher)
	res, body := c.do(http.MethodGet, base+"?page=2", nil, map[string]string{"HX-Request": "true", "HX-Target": "book-view"})
	if res.StatusCode != ok || !strings.HasPrefix(strings.TrimSpace(body), `<div id="book-view"`) || strings.Contains(body, "Excel exports") {
		t.Fatalf("htmx should get #book-view alone: %d %.300s", res.StatusCode, body)
	}
	if names := bookNames(body); len(names) != 50 {
		t.Errorf("the fragment's page 2 shows %d students, want 50", len(names))
	}
	// A history restore asks with the same headers and wants the whole page.
	_, body = c.do(http.MethodGet, base+"?page=2", nil, map[string]string{"HX-Request": "true", "HX-Target": "book-view", "HX-History-Restore-Request": "true"})
	if !strings.Contains(body, "Excel exports") {
		t.Error("a history restore should get the whole page")
	}
}

func TestBookPage_smallCourseIsOnePageWithoutPager(t *testing.T) {
	f := newFixture(t)
	_, body := f.as(demoTeacher).get(fmt.Sprintf("/courses/%d/performance", demoWithPeriods))
	if strings.Contains(body, `aria-label="Pages of students"`) || strings.Contains(body, "Students 1–") || !strings.Contains(body, " students · class average") {
		t.Error("a course of one page should show no pager and its student count, as before")
	}
}

// TestBookPage_andAPIShowAScoreChangedAfterTheFirstView views the book (so
// the server keeps it), changes a score, and expects the page's row, its
// class average and the API's cell and averages to follow the change.
func TestBookPage_andAPIShowAScoreChangedAfterTheFirstView(t *testing.T) {
	f := newFixture(t)
	base, quiz := f.bigBook(120)
	c := f.as(asTeacher)
	api := fmt.Sprintf("/api/courses/%d/performance", f.course)
	read := func() (apiBook, string) {
		t.Helper()
		var b apiBook
		if _, body := c.get(api); json.Unmarshal([]byte(body), &b) != nil {
			t.Fatalf("the API answered %.300s", body)
		}
		_, page := c.get(base + "?q=S001")
		return b, page
	}
	cell := func(b apiBook) (*float64, *float64) {
		t.Helper()
		j := slices.IndexFunc(b.Assignments, func(a apiAssignment) bool { return a.ID == quiz })
		i := slices.IndexFunc(b.Students, func(s apiStudent) bool { return s.GivenName == "S001" })
		if i < 0 || j < 0 {
			t.Fatal("no quiz or no S001 in the API's book")
		}
		return b.Students[i].Scores[j].Fraction, b.Assignments[j].Average
	}
	before, page := read()
	if f1, _ := cell(before); f1 == nil || *f1 != 119.0/120 || !strings.Contains(page, "<td>99%</td>") {
		t.Fatalf("S001's quiz before the change: %v", f1)
	}
	err := f.db.InTx(context.Background(), func(tx *db.Queries) error {
		set, err := tx.PrepareSetScore(context.Background())
		if err != nil {
			return err
		}
		defer set.Close()
		var uid int64
		for _, s := range before.Students {
			if s.GivenName == "S001" {
				uid = s.UserID
			}
		}
		return set.Exec(context.Background(), quiz, uid, 0.25, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	after, page := read()
	f1, avg := cell(after)
	_, avg0 := cell(before)
	if f1 == nil || *f1 != 0.25 || !strings.Contains(page, "<td>25%</td>") {
		t.Errorf("S001's quiz after the change: %v in the API; the page's row %q", value(f1), bookRowCells(page))
	}
	if avg == nil || math.Abs(*avg-(*avg0-(119.0/120-0.25)/120)) > 1e-9 {
		t.Errorf("the quiz average went from %v to %v, want it lower by (119/120 - 0.25)/120", value(avg0), value(avg))
	}
	if after.Average == nil || !strings.Contains(page, "class average "+percent(after.Average)) || *after.Average >= *before.Average {
		t.Errorf("class average %v → %v; the page says %q", value(before.Average), value(after.Average), bookSummary.FindString(page))
	}
}

// value is what p points at, for messages; nil when p is.
func value(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

var bookSummary = regexp.MustCompile(`class average [0-9]*%`)

// bookRowCells is the text of the page's first student row, for messages.
func bookRowCells(body string) string {
	i := strings.Index(body, `<th scope="row" class="name">Student`)
	if i < 0 {
		return ""
	}
	return body[i:min(len(body), i+400)]
}
