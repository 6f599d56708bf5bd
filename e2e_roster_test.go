package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestE2E_newCourseFromScratch is issue 15 as a school lives it: the site
// admin creates a course and makes the instructor its admin on the People
// tab; the instructor uploads a roster with one bad line and sees it (line,
// column, reason; no Apply), uploads the fixed file, sees the preview,
// applies, sees the people; a role changes in its row without a reload; the
// performance book lists the new students.
func TestE2E_newCourseFromScratch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fillDemo(t, dir, "--courses", "1", "--students", "6")
	srv := startServer(t, dir)
	files := t.TempDir()
	bad, good := filepath.Join(files, "bad.csv"), filepath.Join(files, "good.csv")
	const header = "\ufeffLast Name;First Name;Email Address;Section;Student ID\r\n"
	os.WriteFile(bad, []byte(header+"Lovelace;Ada;ada@school.edu;Period 9;00417\r\nHopper;Grace;grace@school;Period 9;00418\r\n"), 0o600)
	os.WriteFile(good, []byte(header+"Lovelace;Ada;ada@school.edu;Period 9;00417\r\nHopper;Grace;grace@school.edu;Period 9;00418\r\n"), 0o600)

	// The site admin creates the course and gives it its admin.
	sa := newBrowser(t, srv.URL)
	sa.signIn("admin@demo.test")
	sa.open("/admin/courses")
	sa.do("fill in the new course",
		chromedp.SendKeys(`#new-course-form-code`, "HIST210", chromedp.ByQuery),
		chromedp.SendKeys(`#new-course-form-name`, "Modern History", chromedp.ByQuery),
		chromedp.SendKeys(`#new-course-form-term`, "Spring 2027", chromedp.ByQuery),
		chromedp.SendKeys(`#new-course-form-periods`, "Period 1\nPeriod 2", chromedp.ByQuery))
	sa.do("create it", chromedp.Click(`#new-course-form button[type=submit]`, chromedp.ByQuery))
	sa.waitFor("the new course's Settings tab", `/^\/courses\/\d+\/settings$/.test(location.pathname) && document.readyState === "complete"`, 10*time.Second)
	var base string
	sa.eval(`location.pathname.replace(/\/settings$/, "")`, &base)
	sa.open(base + "/people")
	sa.do("add the instructor as course admin",
		chromedp.SendKeys(`#add-email`, "instructor@demo.test", chromedp.ByQuery),
		chromedp.SetValue(`#add-role`, "admin", chromedp.ByQuery),
		chromedp.Click(`#add-form button[type=submit]`, chromedp.ByQuery))
	sa.waitFor("the instructor listed", `document.querySelector("#member-rows")?.textContent.includes("instructor@demo.test")`, 10*time.Second)

	b := newBrowser(t, srv.URL)
	b.signIn("instructor@demo.test")
	b.open("/courses")
	if !strings.Contains(b.text("main"), "Modern History") {
		b.fatalf("the instructor's course list lacks the new course: %q", b.text("main"))
	}
	b.open(base + "/people")
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}
	upload := func(file string) {
		b.t.Helper()
		b.open(base + "/people")
		b.tabTo(`a[href="#roster-file"]`) // the page's link past the list
		b.do("follow it", chromedp.KeyEvent(kb.Enter))
		b.tabTo(`#roster-upload`) // a file chooser cannot be driven by keys; the test sets its file
		b.do("choose "+filepath.Base(file), chromedp.SetUploadFiles(`#roster-upload`, []string{file}, chromedp.ByQuery))
		b.do("preview", chromedp.Click(`#roster-form button[type=submit]`, chromedp.ByQuery))
		b.waitFor("the preview", `location.pathname === "`+base+`/people/roster" && document.readyState === "complete"`, 10*time.Second)
	}
	upload(bad)
	if got := b.text("#bad-lines"); !strings.Contains(got, "1 bad lines") {
		b.fatalf("the bad line's heading says %q", got)
	}
	line, col, why := b.text(".bad-lines td:nth-child(1)"), b.text(".bad-lines td:nth-child(2)"), b.text(".bad-lines td:nth-child(3)")
	if line != "3" || col != "email" || why != `"grace@school" is not an email address` {
		b.errorf("the bad line reads line %q, column %q: %q", line, col, why)
	}
	if b.text("#apply-form") != "" {
		b.errorf("a file with a bad line offers Apply")
	}

	upload(good)
	if got := b.text("#to-add"); got != "To add (2)" {
		b.fatalf("the preview says %q", got)
	}
	b.do("apply", chromedp.Click(`#apply-form button[type=submit]`, chromedp.ByQuery))
	b.waitFor("the People tab", `location.pathname === "`+base+`/people" && document.readyState === "complete"`, 10*time.Second)
	if got := b.text(".notice"); got != "Roster applied: added 2, updated 0, removed 0, unchanged 0." {
		b.errorf("the notice says %q", got)
	}
	main := b.text("#member-rows")
	if !strings.Contains(main, "Grace Hoppergrace@school.edu") || !strings.Contains(main, "grace@school.edu00418") {
		b.errorf("the people list lacks the new people: %q", main)
	}

	// A role changes in its row: htmx swaps the row, the page stays.
	b.eval(`window.e2eSamePage = true`, nil)
	sel := `select[aria-label="Role of grace@school.edu"]`
	// The old row is marked, so the wait below sees the row the server sent
	// back, not the select the test has just set. Enter on the focused Save
	// button, not a click at its coordinates (which a layout shift under load
	// can move onto another row's button).
	b.eval(`document.querySelector('`+sel+`').closest("tr").dataset.old = "1"`, nil)
	b.do("make Grace a TA", chromedp.SetValue(sel, "ta", chromedp.ByQuery),
		chromedp.Focus(`//button[contains(., "Save") and contains(., "grace@school.edu")]`, chromedp.BySearch),
		chromedp.KeyEvent(kb.Enter))
	b.waitFor("the row swapped in by the server", `(() => { const r = document.querySelector('`+sel+`')?.closest("tr"); return !!r && r.dataset.old !== "1" && document.querySelector('`+sel+`').value === "ta"; })()`, 10*time.Second)
	var samePage bool
	b.eval(`window.e2eSamePage === true`, &samePage)
	if !samePage {
		b.errorf("the page reloaded; htmx should swap the row")
	}
	b.open(base + "/people")
	var role string
	b.eval(`document.querySelector('`+sel+`').value`, &role)
	if role != "ta" {
		b.errorf("after a reload Grace's role is %q", role)
	}

	b.open(base + "/performance")
	if book := b.text("main"); !strings.Contains(book, "Lovelace") || strings.Contains(book, "Hopper") {
		b.errorf("the performance book should list Ada (a student) and not Grace (now a TA): %q", book)
	}
}
