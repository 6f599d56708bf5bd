package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestE2E_teacherManagesAssignments is issue 16's assignments in a browser:
// a teacher follows the book's Assignments link by keyboard, adds one, edits
// it in its row and moves it up (htmx swaps, the page stays), removes an
// assignment that has work after the question, and the book follows.
func TestE2E_teacherManagesAssignments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fillDemo(t, dir, "--courses", "1", "--students", "4", "--assignments", "2")
	srv := startServer(t, dir)
	b := newBrowser(t, srv.URL)
	b.signIn("teacher@demo.test")
	b.open("/courses/1/performance")
	b.tabTo(`a[href="/courses/1/performance/assignments"]`)
	b.do("follow Assignments", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the assignments page", `location.pathname === "/courses/1/performance/assignments" && document.readyState === "complete"`, 10*time.Second)
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}
	before := b.rowIDs("#assignment-rows")
	if len(before) != 2 {
		b.fatalf("the demo course lists %d assignments: %v", len(before), before)
	}

	b.tabTo(`#add-name`)
	b.do("add Lab 7",
		chromedp.SendKeys(`#add-name`, "Lab 7", chromedp.ByQuery),
		chromedp.SetValue(`#add-kind`, "project", chromedp.ByQuery),
		chromedp.SendKeys(`#add-points`, "25", chromedp.ByQuery),
		chromedp.SendKeys(`#add-key`, "lab7", chromedp.ByQuery),
		chromedp.Click(`#add-assignment-form button[type=submit]`, chromedp.ByQuery))
	b.waitFor("the notice", `document.querySelector(".notice")?.textContent.includes("Added Lab 7.")`, 10*time.Second)
	ids := b.rowIDs("#assignment-rows")
	if len(ids) != 3 || !strings.Contains(b.text("#"+ids[2]), "Lab 7project") {
		b.fatalf("after adding: %v, last row %q", ids, b.text("#"+ids[len(ids)-1]))
	}
	lab := ids[2]

	// Edit in the row, then move it up: htmx swaps, the page stays.
	b.eval(`window.e2eSamePage = true`, nil)
	b.do("edit Lab 7", chromedp.Click(`a[aria-label="Edit Lab 7"]`, chromedp.ByQuery))
	b.waitFor("the row's form", `!!document.querySelector("#edit-`+lab+`-name")`, 10*time.Second)
	b.do("rename it",
		chromedp.SetValue(`#edit-`+lab+`-name`, "Lab seven", chromedp.ByQuery),
		chromedp.Click(`button[aria-label="Save Lab 7"]`, chromedp.ByQuery))
	b.waitFor("the saved row", `document.querySelector("#`+lab+`")?.textContent.includes("Lab seven")`, 10*time.Second)
	b.do("move it up", chromedp.Click(`button[aria-label="Move Lab seven up"]`, chromedp.ByQuery))
	b.waitFor("the new order", `[...document.querySelectorAll("#assignment-rows > tr")].map(r => r.id).indexOf("`+lab+`") === 1`, 10*time.Second)
	var samePage bool
	b.eval(`window.e2eSamePage === true`, &samePage)
	if !samePage {
		b.errorf("the page reloaded; htmx should swap")
	}

	// The demo's first assignment has work: htmx asks (the test says yes).
	first := b.rowIDs("#assignment-rows")[0]
	var question string
	b.eval(`document.querySelector("#`+first+` form[hx-confirm]").getAttribute("hx-confirm")`, &question)
	if !strings.Contains(question, "submissions") || !strings.Contains(question, "scores") {
		b.errorf("the question does not say what goes: %q", question)
	}
	name := b.text("#" + first + " td:first-child")
	b.do("remove "+name, chromedp.Click(`#`+first+` button[aria-label^="Remove"]`, chromedp.ByQuery))
	b.waitFor("the row gone", `!document.querySelector("#`+first+`")`, 10*time.Second)

	b.open("/courses/1/performance")
	if book := b.text("table.book thead"); strings.Contains(book, name) || !strings.Contains(book, "Lab seven") {
		b.errorf("the book's columns after the changes: %q", book)
	}
}
