package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestE2E_courseFilesUploadAndDownload is issue 16's Files tab: the
// instructor (a course admin) uploads a PDF into a folder, sees it listed
// without a reload, and its public link downloads the same bytes.
func TestE2E_courseFilesUploadAndDownload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fillDemo(t, dir, "--courses", "1", "--students", "3")
	srv := startServer(t, dir)
	pdf := filepath.Join(t.TempDir(), "week1.pdf")
	content := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	if err := os.WriteFile(pdf, content, 0o600); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv.URL)
	b.signIn("instructor@demo.test")
	b.open("/courses")
	var base string
	b.eval(`document.querySelector('main a[href^="/courses/"]').getAttribute("href")`, &base)
	b.open(base)
	b.do("open the Files tab", chromedp.Click(`//nav[@aria-label="Course"]//a[normalize-space(.)="Files"]`, chromedp.BySearch))
	b.waitFor("the Files tab", `location.pathname.endsWith("/files") && document.readyState === "complete"`, 10*time.Second)
	if bad := b.unlabelled(); len(bad) > 0 {
		b.errorf("controls without an accessible name: %q", bad)
	}
	b.eval(`window.e2eSamePage = true`, nil)
	b.tabTo(`#upload-folder`)
	b.do("type the folder", chromedp.SendKeys(`#upload-folder`, "lectures", chromedp.ByQuery))
	b.do("choose the PDF", chromedp.SetUploadFiles(`#upload-files-input`, []string{pdf}, chromedp.ByQuery))
	b.do("upload", chromedp.Click(`#upload-form button[type=submit]`, chromedp.ByQuery))
	b.waitFor("the file listed", `document.querySelector("#file-rows")?.textContent.includes("lectures/week1.pdf")`, 10*time.Second)
	var samePage bool
	b.eval(`window.e2eSamePage === true`, &samePage)
	if !samePage {
		b.errorf("the page reloaded; htmx should swap the list")
	}
	if got := b.text(`#files-body [role=status]`); got != fmt.Sprintf("Uploaded 1 file (%d B).", len(content)) {
		b.errorf("the upload says %q", got)
	}
	var href string
	b.eval(`[...document.querySelectorAll("#file-rows a")].find(a => a.textContent === "lectures/week1.pdf").getAttribute("href")`, &href)
	if !strings.HasPrefix(href, "/files/") {
		b.fatalf("the file's link is %q", href)
	}
	res, body := b.get(href)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, content) || res.Header.Get("Content-Type") != "application/pdf" {
		b.fatalf("download %s: status %d, %d bytes, type %q", href, res.StatusCode, len(body), res.Header.Get("Content-Type"))
	}
}
