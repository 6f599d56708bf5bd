package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestE2E_teacherPagesSearchesAndSortsBigBook is issue 21's book in a
// browser: a course of 130 students shows 50 at a time; by keyboard a
// teacher goes to page 2 (htmx swaps the view, the URL follows, Back
// returns), finds a student by name, and sorts by a column; the sticky
// header stays; every control has a name.
func TestE2E_teacherPagesSearchesAndSortsBigBook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fillDemo(t, dir, "--courses", "1", "--students", "130", "--assignments", "6", "--submissions", "1", "--stdout-bytes", "64")
	srv := startServer(t, dir)
	b := newBrowser(t, srv.URL)
	b.signIn("teacher@demo.test")
	b.open("/courses/1/performance")
	b.eval(`window.e2eSamePage = true`, nil)
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}
	var rows int
	b.eval(`document.querySelectorAll("table.book tbody tr").length`, &rows)
	if rows != 50 || !strings.HasPrefix(b.text(`#book-view p[role=status]`), "Students 1–50 of 131 ") {
		b.fatalf("the first page shows %d rows: %q", rows, b.text(`#book-view p[role=status]`))
	}
	first := b.text(`table.book tbody tr th`)

	b.tabTo(`nav.pager a[aria-label="Page 2"]`)
	if !b.focusIsVisible() {
		b.errorf("the focused page link shows no focus ring")
	}
	b.do("open page 2", chromedp.KeyEvent(kb.Enter))
	b.waitFor("page 2", `location.search === "?page=2" && document.querySelector("#book-view p[role=status]")?.textContent.includes("Students 51–100 of 131")`, 10*time.Second)
	var samePage bool
	b.eval(`window.e2eSamePage === true`, &samePage)
	if !samePage {
		b.errorf("the pager reloaded the page; htmx should swap the view")
	}
	b.do("go back", chromedp.NavigateBack())
	b.waitFor("page 1 again", `location.search === "" && document.querySelector("table.book tbody tr th")?.textContent.trim() === `+strconv.Quote(first), 10*time.Second)

	b.tabTo(`#book-q`)
	b.do("search", chromedp.SendKeys(`#book-q`, first, chromedp.ByQuery))
	b.waitFor("the search's rows", `location.search.includes("q=") && [...document.querySelectorAll("table.book tbody tr th")].some(th => th.textContent.trim() === `+strconv.Quote(first)+`) && document.querySelectorAll("table.book tbody tr").length < 50`, 10*time.Second)
	var focused bool
	b.eval(`document.activeElement?.id === "book-q"`, &focused)
	if !focused {
		b.errorf("the search box lost the focus when the results came")
	}

	b.open("/courses/1/performance")
	b.tabTo(`table.book thead th:nth-child(3) a`)
	b.do("sort by the first assignment", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the sorted view", `document.querySelector("table.book thead th:nth-child(3)")?.getAttribute("aria-sort") === "ascending"`, 10*time.Second)
	b.eval(`(() => { const g = document.querySelector(".grid-wrap"); g.scrollTop = g.scrollHeight; return true })()`, nil)
	var stuck bool
	b.eval(`Math.abs(document.querySelector("table.book thead th").getBoundingClientRect().top - document.querySelector(".grid-wrap").getBoundingClientRect().top) < 3`, &stuck)
	if !stuck {
		b.errorf("the header scrolled away with the rows")
	}
}
