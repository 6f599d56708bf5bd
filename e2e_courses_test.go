package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestE2E_siteAdminCreatesEditsAndRemovesACourse: on Admin → Courses the
// site admin creates a course with periods by keyboard, lands on its
// Settings tab, moves and removes periods (htmx swaps, no reload), and
// removes the course by typing its code.
func TestE2E_siteAdminCreatesEditsAndRemovesACourse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fillDemo(t, dir, "--courses", "1", "--students", "4", "--assignments", "1", "--submissions", "1", "--static-files", "1")
	srv := startServer(t, dir)
	b := newBrowser(t, srv.URL)
	b.signIn("admin@demo.test")
	b.open("/admin/courses")
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("Admin → Courses: controls without an accessible name: %q", bad)
	}
	b.tabTo(`#new-course-form-code`)
	b.do("type the code", chromedp.SendKeys(`#new-course-form-code`, "BIO101", chromedp.ByQuery))
	b.tabTo(`#new-course-form-term`)
	b.do("type the term", chromedp.SendKeys(`#new-course-form-term`, "Spring 2027", chromedp.ByQuery))
	b.tabTo(`#new-course-form-name`)
	b.do("type the name", chromedp.SendKeys(`#new-course-form-name`, "Biology", chromedp.ByQuery))
	b.tabTo(`#new-course-form-periods`)
	b.do("type the periods", chromedp.SendKeys(`#new-course-form-periods`, "Morning\nAfternoon\nEvening", chromedp.ByQuery))
	b.tabTo(`#new-course-form button[type=submit]`)
	b.do("press Enter", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the new course's Settings tab", `/^\/courses\/\d+\/settings$/.test(location.pathname) && document.readyState === "complete"`, 10*time.Second)
	if n := b.text(".notice"); !strings.Contains(n, "Course BIO101 created") {
		b.errorf("the notice says %q", n)
	}
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("Settings: controls without an accessible name: %q", bad)
	}
	order := func() string {
		var names []string
		b.eval(`[...document.querySelectorAll("table.periods tbody input[name=name]")].map(i => i.value)`, &names)
		return strings.Join(names, ",")
	}
	if got := order(); got != "Morning,Afternoon,Evening" {
		b.fatalf("periods %q", got)
	}
	b.eval(`window.e2eSamePage = true`, nil)
	b.tabTo(`button[aria-label="Move Morning down"]`)
	b.do("press Enter", chromedp.KeyEvent(kb.Enter))
	b.waitFor("Morning moved down", `[...document.querySelectorAll("table.periods tbody input[name=name]")].map(i => i.value).join() === "Afternoon,Morning,Evening"`, 10*time.Second)
	b.do("remove Evening", chromedp.Click(`//button[@aria-label="Remove Evening"]`, chromedp.BySearch))
	b.waitFor("Evening removed", `[...document.querySelectorAll("table.periods tbody input[name=name]")].map(i => i.value).join() === "Afternoon,Morning"`, 10*time.Second)
	var samePage bool
	b.eval(`window.e2eSamePage === true`, &samePage)
	if !samePage {
		b.errorf("the page reloaded; htmx should swap the periods")
	}
	b.tabTo(`#confirm-code`)
	b.do("type the code", chromedp.SendKeys(`#confirm-code`, "BIO101", chromedp.ByQuery))
	b.do("press Enter", chromedp.KeyEvent(kb.Enter))
	b.waitFor("Admin → Courses", `location.pathname === "/admin/courses" && document.readyState === "complete"`, 10*time.Second)
	if n := b.text(".notice"); !strings.Contains(n, "Course BIO101 (Biology) removed") {
		b.errorf("the notice says %q", n)
	}
	if table := b.text("table"); strings.Contains(table, "BIO101") || !strings.Contains(table, "CS101") {
		b.errorf("the course list is %q", table)
	}
}
