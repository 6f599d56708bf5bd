package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestE2E_teacherAppliesCanvasGradebook is issue 16's gradebook as a teacher
// lives it: they upload the gradebook Canvas exported (Points Possible row,
// totals, a student from elsewhere), review the preview, apply, and the
// book shows the new assignment with the scores.
func TestE2E_teacherAppliesCanvasGradebook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fillDemo(t, dir, "--courses", "1", "--students", "6", "--assignments", "2")
	srv := startServer(t, dir)
	var members []struct {
		Email     string `json:"email"`
		Role      string `json:"role"`
		StudentID string `json:"student_id"`
	}
	srv.api(t, srv.token(t, "teacher@demo.test"), "GET", "/api/courses/1/members", "", &members)
	var csv strings.Builder
	csv.WriteString("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Gradebook Lab (9001),Current Score,Final Score\r\n" +
		"    Points Possible,,,,,20.00,(read only),(read only)\r\n")
	var first string // the first student's id: their row is checked in the book
	n := 0
	for _, m := range members {
		if m.Role != "student" || n == 2 {
			continue
		}
		fmt.Fprintf(&csv, "\"Someone, %d\",%d,%s,%s,P1,%d.00,90,90\r\n", n, 100+n, m.StudentID, m.Email, 19-6*n)
		if n == 0 {
			first = m.StudentID
		}
		n++
	}
	csv.WriteString("\"Else, Who\",999,X999,who@elsewhere.test,P1,20.00,100,100\r\n")
	file := filepath.Join(t.TempDir(), "canvas-grades.csv")
	os.WriteFile(file, []byte(csv.String()), 0o600)

	b := newBrowser(t, srv.URL)
	b.signIn("teacher@demo.test")
	b.open("/courses/1/performance")
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}
	b.tabTo(`#gradebook-upload`) // a file chooser cannot be driven by keys; the test sets its file
	b.do("choose the file", chromedp.SetUploadFiles(`#gradebook-upload`, []string{file}, chromedp.ByQuery))
	b.do("preview", chromedp.Click(`#gradebook-form button[type=submit]`, chromedp.ByQuery))
	b.waitFor("the preview", `location.pathname === "/courses/1/performance/gradebook" && document.readyState === "complete"`, 10*time.Second)
	main := b.text("main")
	for _, want := range []string{"Read as a Canvas file: 2 students matched", "Not students of this course, skipped (1)", "who@elsewhere.test",
		"Gradebook Lab · 20 points", "Scores: 2 to set, 0 to change", "19 / 20", "13 / 20"} {
		if !strings.Contains(main, want) {
			b.errorf("the preview lacks %q: %q", want, main)
		}
	}
	b.do("apply", chromedp.Click(`#apply-form button[type=submit]`, chromedp.ByQuery))
	b.waitFor("the book", `location.pathname === "/courses/1/performance" && document.readyState === "complete"`, 10*time.Second)
	if got := b.text(".notice"); got != "Gradebook applied: created 1 assignments, set 2 scores, changed 0, unchanged 0." {
		b.errorf("the notice says %q", got)
	}
	var cell string
	b.eval(`(() => {
		const i = [...document.querySelectorAll("table.book thead th")].findIndex(th => th.textContent.startsWith("Gradebook Lab"));
		const row = [...document.querySelectorAll("table.book tbody tr")].find(tr => tr.children[1].textContent === `+fmt.Sprintf("%q", first)+`);
		return i < 0 || !row ? "" : row.children[i].textContent;
	})()`, &cell)
	if cell != "95%" {
		b.errorf("the book shows %q for the first student's Gradebook Lab, want 95%%", cell)
	}
}
