package main

// End-to-end tests (issue 9): the real binary, real demo data and headless
// Chromium. They skip without Chromium, except in CI (CI=true), where they fail.

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/xuri/excelize/v2"

	"coursevault/jobs/archive"
)

var (
	archiveName = regexp.MustCompile(`^CS101_Fall-2025_export_\d{8}-\d{6}\.zip$`)
	bookName    = regexp.MustCompile(`^Introduction_to_Programming_Performance_\d{8}-\d{6}\.xlsx$`)
	sizeWords   = regexp.MustCompile(`\d[\d.,]* (B|KiB|MiB|GiB)`)
)

// TestE2E_adminExportsArchiveWithStdout: the course admin ticks stdout by
// keyboard, reads the size tooltip, exports, watches the row go from queued
// through a moving progress bar to ready without a reload, downloads a zip
// that verifies, and the finished row is not polled again.
func TestE2E_adminExportsArchiveWithStdout(t *testing.T) {
	t.Parallel()
	srv := bigServer(t)
	b := newBrowser(t, srv.URL)
	b.signIn("instructor@demo.test")
	b.open("/courses/1/exports")
	b.eval(`window.e2eSamePage = true`, nil)

	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}

	b.tabTo(`input[name=include_stdout]`)
	b.do("tick stdout with Space", chromedp.KeyEvent(" "))
	var ticked bool
	b.eval(`document.querySelector("input[name=include_stdout]").checked`, &ticked)
	if !ticked {
		b.fatalf("Space on the focused stdout switch did not tick it")
	}

	b.tabTo(`.tip button`)
	var tipShown bool
	b.eval(`getComputedStyle(document.getElementById("stdout-tip")).display !== "none" && document.getElementById("stdout-tip").getClientRects().length > 0`, &tipShown)
	tip := b.text("#stdout-tip")
	if !tipShown || !sizeWords.MatchString(tip) {
		b.errorf("focusing %q should show the tooltip with a size; shown=%v text=%q", b.text(".tip button"), tipShown, tip)
	}

	b.tabTo(`#export-form button[type=submit]`)
	if !b.focusIsVisible() {
		b.errorf("the focused Export button shows no focus ring")
	}
	before := b.rowIDs("#archive-rows")
	b.do("press Enter on Export", chromedp.KeyEvent(kb.Enter))
	id := b.newRow("#archive-rows", before)
	started := time.Now()
	b.refreshRow(id)
	seen := b.watchRow(id, 60*time.Second, final)
	polls := srv.watchPolls(id, "/courses/1/exports")
	took := time.Since(started)
	first, last := seen[0], seen[len(seen)-1]
	if first.Status != "queued" && first.Status != "running" {
		b.errorf("the new row should start queued or running; it was %+v", first)
	}
	if !first.Polls || !first.HasProgress || first.ProgressLabel == "" {
		b.errorf("a pending row should poll and show a labelled <progress>; it was %+v", first)
	}
	var values []int64
	for _, st := range seen {
		if st.Status == "running" && st.Value != "" {
			if st.ProgressLabel == "" {
				b.errorf("running progress without aria-label: %+v", st)
			}
			v, _ := strconv.ParseInt(st.Value, 10, 64)
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		b.errorf("never saw the row running with a progress value in %s (refreshed every 150 ms); states: %+v", took, seen)
	}
	for i := 1; i < len(values); i++ {
		if values[i] < values[i-1] {
			b.errorf("progress went backwards: %v", values)
		}
	}
	if len(values) >= 2 && values[len(values)-1] == values[0] {
		b.errorf("progress did not move across %d polls: %v", len(values), values)
	}
	t.Logf("the export took %s; progress values seen while running: %v", took.Round(100*time.Millisecond), values)
	if last.Status != "ready" || last.Words != "Ready" || last.HasProgress || last.Href == "" {
		b.fatalf("the row should end Ready with a download link and no progress bar; it ended %+v", last)
	}
	var samePage bool
	b.eval(`window.e2eSamePage === true`, &samePage)
	if !samePage {
		b.errorf("the page reloaded while the export ran; htmx should swap the row")
	}
	b.waitFor("the finished export announced in the live region", `document.getElementById("live").textContent.includes("Export ready")`, 5*time.Second)

	res, body := b.get(last.Href)
	if res.StatusCode != http.StatusOK {
		b.fatalf("download %s: status %d", last.Href, res.StatusCode)
	}
	_, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] != last.Download || !archiveName.MatchString(params["filename"]) {
		b.errorf("Content-Disposition %q: want the link's file name %q like CS101_Fall-2025_export_YYYYMMDD-HHMMSS.zip (%v)",
			res.Header.Get("Content-Disposition"), last.Download, err)
	}
	m, err := archive.Verify(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		b.fatalf("the downloaded archive does not verify: %v", err)
	}
	if !m.Options.IncludeStdout || !m.Options.IncludeStaticFiles || m.Course.Code != "CS101" {
		b.errorf("manifest options/course: %+v %+v", m.Options, m.Course)
	}
	b.checkPollingStopped(polls)

	if os.Getenv("COURSEVAULT_SCREENSHOTS") == "1" {
		// A ready row and a running one, as a user sees the tab mid-export.
		before := b.rowIDs("#archive-rows")
		b.do("click Export again", chromedp.Click(`#export-form button[type=submit]`, chromedp.ByQuery))
		id := b.newRow("#archive-rows", before)
		b.watchRow(id, 30*time.Second, func(st rowState) bool {
			return st.Status == "running" && st.Value != "" && st.Value != "0" || final(st)
		})
		b.screenshotForDocs(filepath.Join("docs", "exports.png"))
		b.do("cancel the screenshot's export", chromedp.Click("#"+id+` form[action$="/cancel"] button`, chromedp.ByQuery))
	}
}

// TestE2E_adminCancelsRunningArchive: Cancel on a pending row, reached and
// pressed by keyboard, stops the job; the row says Cancelled, stops polling
// and offers Retry. Focus stays on Cancel while the row is polled.
func TestE2E_adminCancelsRunningArchive(t *testing.T) {
	t.Parallel()
	srv := bigServer(t)
	b := newBrowser(t, srv.URL)
	b.signIn("instructor@demo.test")
	b.open("/courses/1/exports")

	// Other options than the other test's export, so this is not "identical".
	b.do("choose stdout without static files",
		chromedp.Click(`input[name=include_stdout]`, chromedp.ByQuery),
		chromedp.Click(`input[name=include_static]`, chromedp.ByQuery),
	)
	before := b.rowIDs("#archive-rows")
	b.do("click Export", chromedp.Click(`#export-form button[type=submit]`, chromedp.ByQuery))
	id := b.newRow("#archive-rows", before)

	// By keyboard: focus stays on Cancel when the row's poll replaces it
	// (the test fetches the row's poll URL into it at once, as the 2 s poll
	// does, so the export is still pending), and Enter cancels.
	cancel := "#" + id + ` form[action$="/cancel"] button`
	b.waitFor("a Cancel button on the pending row", fmt.Sprintf(`!!document.querySelector(%q)`, cancel), 10*time.Second)
	b.tabTo(cancel)
	b.eval(fmt.Sprintf(`(() => {
		const r = document.getElementById(%[1]q);
		r.e2eOld = true;
		htmx.ajax("GET", r.getAttribute("hx-get"), {target: "#" + %[1]q, swap: "outerHTML"});
	})()`, id), nil)
	b.waitFor("the poll to replace the row", fmt.Sprintf(`!!document.getElementById(%q) && !document.getElementById(%[1]q).e2eOld`, id), 10*time.Second)
	var focused bool
	b.eval(fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, cancel), &focused)
	if !focused {
		var at string
		b.eval(`document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : "nothing"`, &at)
		b.fatalf("the row's poll took the focus away from Cancel; focus is on %s", at)
	}
	if st, _ := b.row(id); final(st) {
		b.fatalf("the export finished (%s) before the test could cancel it", st.Status)
	}
	b.do("press Enter on Cancel", chromedp.KeyEvent(kb.Enter))
	seen := b.watchRow(id, 20*time.Second, final)
	last := seen[len(seen)-1]
	if last.Status != "cancelled" || last.Words != "Cancelled" || !last.Retry || last.Cancel || last.HasProgress || last.Href != "" {
		b.fatalf("after Cancel the row should say Cancelled with Retry and no download; it is %+v (states %+v)", last, seen)
	}
}

// TestE2E_adminRetriesFailedArchive: an archive that would pass the course
// quota fails with the reason in words and a Retry button; with room again
// (the server restarted with the default quota) Retry makes it ready. The
// tab with the ready row fits a phone.
func TestE2E_adminRetriesFailedArchive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fillDemo(t, dir) // before serve: the demo's own static files would pass the tiny quota
	srv := startServer(t, dir, "--course-quota", "1000")
	b := newBrowser(t, srv.URL)
	b.signIn("instructor@demo.test")
	b.open("/courses/1/exports")

	before := b.rowIDs("#archive-rows")
	b.do("click Export", chromedp.Click(`#export-form button[type=submit]`, chromedp.ByQuery))
	id := b.newRow("#archive-rows", before)
	seen := b.watchRow(id, 20*time.Second, final)
	failed := seen[len(seen)-1]
	if failed.Status != "failed" || failed.Words != "Failed" || !failed.Retry || failed.Href != "" {
		b.fatalf("over quota the row should say Failed with Retry; it is %+v", failed)
	}
	if !strings.Contains(failed.Error, "quota") || !strings.Contains(failed.Error, "delete old exports") {
		b.errorf("the failure should say why in words (quota, what to do); it says %q", failed.Error)
	}

	srv.stop()
	srv = startServer(t, dir)
	b.base = srv.URL // the session lives in the database and the cookie ignores the port
	b.open("/courses/1/exports")
	if st, ok := b.row(id); !ok || st.Status != "failed" {
		b.fatalf("after the restart the failed row should still be there: %+v", st)
	}
	b.do("click Retry", chromedp.Click("#"+id+` form[action$="/retry"] button`, chromedp.ByQuery))
	seen = b.watchRow(id, 20*time.Second, func(st rowState) bool { return st.Status != "failed" && final(st) })
	if last := seen[len(seen)-1]; last.Status != "ready" || last.Href == "" || last.Error != "" {
		b.fatalf("Retry should make the archive; the row ended %+v (states %+v)", last, seen)
	}
	if seen[0].Status == "failed" && len(seen) > 1 && seen[1].Status != "queued" && seen[1].Status != "running" {
		b.errorf("Retry should answer a queued or running row; states %+v", seen)
	}

	// The tab with a ready row on a phone: nothing widens the page.
	b.do("open on a phone", chromedp.EmulateViewport(390, 844), chromedp.Reload())
	b.waitFor("the reloaded tab", `document.readyState === "complete" && document.getElementById("`+id+`")`, 10*time.Second)
	var width int
	b.eval(`document.documentElement.scrollWidth`, &width)
	if width > 390 {
		b.errorf("on a 390 px phone the exports tab is %d px wide: the page scrolls sideways", width)
	}
}

// TestE2E_teacherExportsPerformanceWorkbook: a teacher switches periods,
// exports the book, sees the link appear and gets a workbook with a Summary
// sheet and one sheet per period; the finished row is not polled again.
func TestE2E_teacherExportsPerformanceWorkbook(t *testing.T) {
	t.Parallel()
	srv := startServer(t, t.TempDir())
	b := newBrowser(t, srv.URL)
	b.signIn("teacher@demo.test")
	b.open("/courses/1/performance")
	b.eval(`window.e2eSamePage = true`, nil)

	var tabs []string
	b.eval(`[...document.querySelectorAll("nav.tabs a")].map(a => a.textContent.trim())`, &tabs)
	if strings.Join(tabs, ",") != "Performance book" {
		b.errorf("a teacher should see only the Performance book tab, got %q", tabs)
	}
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}
	var periods []string
	b.eval(`[...document.querySelectorAll("nav.filters a")].slice(1).map(a => a.textContent.trim())`, &periods)
	if len(periods) < 2 {
		b.fatalf("course 1 should offer period filters, got %q", periods)
	}
	var allRows int
	b.eval(`document.querySelectorAll("table.book tbody tr").length`, &allRows)

	b.do("click the first period", chromedp.Click(`nav.filters a:nth-of-type(2)`, chromedp.ByQuery))
	b.waitFor("the period's page", `location.search.includes("period=") && document.readyState === "complete" && document.querySelector("nav.filters a[aria-current=page]")?.textContent.trim() === `+strconv.Quote(periods[0]), 10*time.Second)
	var periodRows int
	b.eval(`document.querySelectorAll("table.book tbody tr").length`, &periodRows)
	if periodRows == 0 || periodRows >= allRows {
		b.errorf("the %q filter should show some but not all of the %d students; it shows %d", periods[0], allRows, periodRows)
	}

	b.eval(`window.e2eSamePage = true`, nil)
	before := b.rowIDs("#book-rows")
	b.do("click Export to Excel", chromedp.Click(`form[hx-post$="/performance/exports"] button[type=submit]`, chromedp.ByQuery))
	id := b.newRow("#book-rows", before)
	seen := b.watchRow(id, 30*time.Second, final)
	polls := srv.watchPolls(id, "/courses/1/performance/exports")
	last := seen[len(seen)-1]
	if last.Status != "ready" || last.Href == "" || !bookName.MatchString(last.Download) {
		b.fatalf("the workbook row should end Ready with a link named like Introduction_to_Programming_Performance_….xlsx; it ended %+v", last)
	}
	var samePage bool
	b.eval(`window.e2eSamePage === true`, &samePage)
	if !samePage {
		b.errorf("the page reloaded during the export; htmx should swap the row")
	}
	b.screenshotForDocs(filepath.Join("docs", "performance.png"))

	res, body := b.get(last.Href)
	if res.StatusCode != http.StatusOK {
		b.fatalf("download %s: status %d", last.Href, res.StatusCode)
	}
	if _, params, _ := mime.ParseMediaType(res.Header.Get("Content-Disposition")); params["filename"] != last.Download {
		b.errorf("Content-Disposition %q, want the file name %q", res.Header.Get("Content-Disposition"), last.Download)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		b.fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	want := []string{"Summary"}
	for _, p := range periods {
		want = append(want, sheetLike(p))
	}
	if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(want, "|") {
		b.errorf("sheets %q, want %q", got, want)
	}
	b.checkPollingStopped(polls)
}

// sheetLike is the sheet name Excel allows for a period name (the demo's
// names are short, so only the forbidden characters change).
func sheetLike(name string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, name), " '")
}

// TestE2E_studentReachesNoExportPageOrFile: a student typing the URLs of the
// pages, the polled rows and real download links gets the same 404 page.
func TestE2E_studentReachesNoExportPageOrFile(t *testing.T) {
	t.Parallel()
	srv := startServer(t, t.TempDir())

	// Real file links, made by the course admin through the API.
	token := srv.token(t, "instructor@demo.test")
	var queued, book apiExport
	srv.api(t, token, http.MethodPost, "/api/courses/1/exports", "", &queued)
	srv.api(t, token, http.MethodPost, "/api/courses/1/performance/export", "", &book)
	archiveURL := strings.TrimPrefix(srv.readyExport(t, token, 1, queued.ID).URL, srv.URL)
	var books []apiExport
	for deadline := time.Now().Add(30 * time.Second); len(books) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		srv.api(t, token, http.MethodGet, "/api/courses/1/performance/exports", "", &books)
	}
	if len(books) == 0 {
		t.Fatal("the workbook did not become ready")
	}
	bookURL := strings.TrimPrefix(books[0].URL, srv.URL)
	archiveID, bookID := strconv.FormatInt(queued.ID, 10), strconv.FormatInt(book.ID, 10)

	b := newBrowser(t, srv.URL)
	b.signIn("student@demo.test")
	var links []string
	b.eval(`[...document.querySelectorAll("main a")].map(a => a.getAttribute("href"))`, &links)
	if len(links) != 0 || !strings.Contains(b.text("main"), "not on the staff of any course") {
		b.errorf("a student's course list should be empty with a clear message; links %q, text %q", links, b.text("main"))
	}
	for _, path := range []string{
		"/courses/1", "/courses/1/exports", "/courses/1/performance",
		"/courses/1/exports/" + archiveID, "/courses/1/performance/exports/" + bookID,
		archiveURL, bookURL,
	} {
		b.open(path)
		if h := b.text("main h1"); h != "Not found" {
			b.errorf("a student typing %s should see the page %q, got heading %q", path, "Not found", h)
		}
		var fileLinks int
		b.eval(`document.querySelectorAll("a[href^='/files/'], a[download]").length`, &fileLinks)
		if fileLinks != 0 {
			b.errorf("%s shows a student %d file links", path, fileLinks)
		}
		if res, body := b.get(path); res.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte("PK\x03\x04")) {
			b.errorf("GET %s as a student: status %d, want 404 and no file bytes", path, res.StatusCode)
		}
	}
}

// TestE2E_siteAdminImportsArchive: a site admin chooses an archive made by
// `coursevault export course`, types a new code by keyboard and presses
// Enter; the row goes from queued to done without a reload and links to the
// new course, which then opens and is in the course list.
func TestE2E_siteAdminImportsArchive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fillDemo(t, dir, "--courses", "1", "--students", "60", "--stdout-bytes", "4000")
	srv := startServer(t, dir)
	zip := filepath.Join(t.TempDir(), "cs101.zip")
	if out, err := exec.Command(binary(t), withDatabase(t, []string{"export", "course", "--data-dir", dir, "--course", "1", "--include-stdout", "--out", zip})...).CombinedOutput(); err != nil {
		t.Fatalf("coursevault export course: %v\n%s", err, out)
	}

	b := newBrowser(t, srv.URL)
	b.signIn("admin@demo.test")
	b.open("/admin/imports")
	b.eval(`window.e2eSamePage = true`, nil)
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}
	b.tabTo(`#code`)
	b.do("type the new code", chromedp.SendKeys(`#code`, "CS101-COPY", chromedp.ByQuery))
	b.tabTo(`#archive`) // a file chooser cannot be driven by keys; the test sets its file
	b.do("choose the archive", chromedp.SetUploadFiles(`#archive`, []string{zip}, chromedp.ByQuery))
	b.tabTo(`form[action="/admin/imports"] button[type=submit]`)
	before := b.rowIDs("#import-rows")
	b.do("press Enter", chromedp.KeyEvent(kb.Enter))
	id := b.newRow("#import-rows", before)
	seen := b.watchRow(id, 60*time.Second, final)
	first, last := seen[0], seen[len(seen)-1]
	if first.Status != "queued" && first.Status != "running" || !first.Polls {
		b.errorf("the new row should start queued or running and poll; it was %+v", first)
	}
	if last.Status != "done" {
		b.fatalf("the import should end done; it ended %+v (seen %+v)", last, seen)
	}
	var samePage bool
	b.eval(`window.e2eSamePage === true`, &samePage)
	if !samePage {
		b.errorf("the page reloaded while the import ran; htmx should swap the row")
	}
	link := b.text("#" + id + " a")
	if !strings.Contains(link, "CS101-COPY") {
		b.fatalf("the done row should link to the new course; its link says %q", link)
	}
	b.do("open the new course", chromedp.Click("#"+id+" a", chromedp.ByQuery))
	b.waitFor("the new course's page", `document.readyState === "complete" && /^\/courses\/\d+\//.test(location.pathname)`, 10*time.Second)
	if h := b.text("h1"); !strings.Contains(h, "Introduction to Programming") {
		b.errorf("the new course's page heading is %q", h)
	}
	b.open("/courses")
	if list := b.text("main"); !strings.Contains(list, "CS101-COPY") {
		b.errorf("the course list does not show the imported course: %q", list)
	}
}
