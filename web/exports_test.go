package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs/archive"
	"coursevault/jobs/exports"
	"coursevault/web/auth"
)

// readyArchive makes a finished course archive of the fixture's course.
func (f *fixture) readyArchive() db.ExportView {
	f.t.Helper()
	ctx := context.Background()
	ex := f.srv.exports
	e, _, err := ex.Request(ctx, exports.Request{CourseID: f.course, UserID: f.users[asAdmin], Kind: db.ExportArchive, IncludeStatic: true})
	if err != nil {
		f.t.Fatal(err)
	}
	f.drain()
	e, err = ex.Get(ctx, f.course, e.ID)
	if err != nil || e.Status() != db.ExportReady {
		f.t.Fatalf("archive not ready: %v %s %s", err, e.Status(), e.LastError)
	}
	return e
}

var (
	rowStatus = regexp.MustCompile(`data-status="([a-z]+)"`)
	rowLink   = regexp.MustCompile(`href="(/files/[0-9a-f]{32}/[^"]+)"`)
)

func htmx(c *client) map[string]string {
	return map[string]string{"HX-Request": "true", "X-CSRF-Token": c.csrf, "Content-Type": "application/x-www-form-urlencoded"}
}

func TestExportFlow_rowPollsUntilReadyThenDownloads(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	base := fmt.Sprintf("/courses/%d/exports", f.course)
	res, body := c.get(base)
	if res.StatusCode != ok || !strings.Contains(body, "No archives yet") {
		t.Fatalf("empty tab: %d", res.StatusCode)
	}
	res, row := c.do("POST", base, strings.NewReader("include_stdout=1&include_static=1"), htmx(c))
	if res.StatusCode != ok {
		t.Fatalf("export: %d %s", res.StatusCode, row)
	}
	if m := rowStatus.FindStringSubmatch(row); m == nil || m[1] != "queued" {
		t.Fatalf("new row is not queued: %s", row)
	}
	if !strings.Contains(row, `hx-trigger="every 2s"`) {
		t.Fatal("a pending row does not poll")
	}
	poll := regexp.MustCompile(`hx-get="([^"]+)"`).FindStringSubmatch(row)[1]

	f.drain()
	res, row = c.do("GET", poll, nil, map[string]string{"HX-Request": "true"})
	if m := rowStatus.FindStringSubmatch(row); res.StatusCode != ok || m == nil || m[1] != "ready" {
		t.Fatalf("after the job the row is not ready: %s", row)
	}
	if strings.Contains(row, "hx-trigger") {
		t.Fatal("a finished row still polls")
	}
	if !strings.Contains(res.Header.Get("HX-Trigger"), "export-done") {
		t.Fatal("no export-done event for the notice")
	}
	link := rowLink.FindStringSubmatch(row)
	if link == nil {
		t.Fatalf("no download link in %s", row)
	}
	res, zipBytes := c.get(link[1])
	if res.StatusCode != ok {
		t.Fatalf("download: %d", res.StatusCode)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="PHYS101_Fall-2026_export_`) {
		t.Fatalf("Content-Disposition = %q", cd)
	}
	for h, want := range map[string]string{"Content-Type": "application/zip", "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	m, err := archive.Verify(bytes.NewReader([]byte(zipBytes)), int64(len(zipBytes)))
	if err != nil {
		t.Fatalf("downloaded archive does not verify: %v", err)
	}
	if !m.Options.IncludeStdout || m.Course.Code != "PHYS101" || m.GeneratedBy.Email != asAdmin {
		t.Fatalf("manifest = %+v", m)
	}
	events, _ := f.db.AuditEvents(context.Background(), f.course, 10)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "file.download") || !strings.Contains(got, "export.generate") {
		t.Fatalf("audit = %s", got)
	}
}

func TestExport_secondClickReturnsThePendingOne(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	c.get(fmt.Sprintf("/courses/%d/exports", f.course))
	base := fmt.Sprintf("/courses/%d/exports", f.course)
	c.do("POST", base, strings.NewReader("include_static=1"), htmx(c))
	res, body := c.do("POST", base, strings.NewReader("include_static=1"), htmx(c))
	if res.StatusCode != ok || body != "" || res.Header.Get("HX-Reswap") != "none" {
		t.Fatalf("second click: %d %q", res.StatusCode, body)
	}
	list, _ := f.srv.exports.List(context.Background(), f.course, db.ExportArchive)
	if len(list) != 1 {
		t.Fatalf("%d exports after two clicks, want 1", len(list))
	}
	// Other options are a different export.
	c.do("POST", base, strings.NewReader("include_static=1&include_stdout=1"), htmx(c))
	if list, _ := f.srv.exports.List(context.Background(), f.course, db.ExportArchive); len(list) != 2 {
		t.Fatalf("%d exports, want 2", len(list))
	}
}

func TestExport_worksWithoutJavaScript(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	base := fmt.Sprintf("/courses/%d/exports", f.course)
	c.get(base)
	res, _ := c.post(base, url.Values{"include_static": {"1"}})
	if res.StatusCode != see || res.Header.Get("Location") != base {
		t.Fatalf("plain post: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body := c.get(base)
	if !strings.Contains(body, "Export queued") || !strings.Contains(body, `data-status="queued"`) {
		t.Fatal("the tab does not show the queued export after the redirect")
	}
}

func TestExport_otherCoursesExportIs404(t *testing.T) {
	f := newFixture(t)
	e := f.readyArchive()
	c := f.as(asSiteAdmin)
	for _, path := range []string{
		fmt.Sprintf("/courses/%d/exports/%d", f.other, e.ID),
		fmt.Sprintf("/api/courses/%d/exports/%d", f.other, e.ID),
		fmt.Sprintf("/courses/%d/exports/999", f.course),
		fmt.Sprintf("/courses/%d/exports/x", f.course),
		fmt.Sprintf("/courses/%d/performance/exports/%d", f.course, e.ID), // wrong kind
	} {
		if res, _ := c.get(path); res.StatusCode != nf {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
	}
}

func TestExport_cancelThenRetry(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	base := fmt.Sprintf("/courses/%d/exports", f.course)
	c.get(base)
	_, row := c.do("POST", base, strings.NewReader("include_static=1"), htmx(c))
	cancel := regexp.MustCompile(`hx-post="([^"]+/cancel)"`).FindStringSubmatch(row)
	if cancel == nil {
		t.Fatalf("a queued row has no Cancel: %s", row)
	}
	_, row = c.do("POST", cancel[1], nil, htmx(c))
	if m := rowStatus.FindStringSubmatch(row); m == nil || m[1] != "cancelled" {
		t.Fatalf("after cancel: %s", row)
	}
	retry := regexp.MustCompile(`hx-post="([^"]+/retry)"`).FindStringSubmatch(row)
	if retry == nil {
		t.Fatalf("a cancelled row has no Retry: %s", row)
	}
	_, row = c.do("POST", retry[1], nil, htmx(c))
	if m := rowStatus.FindStringSubmatch(row); m == nil || m[1] != "queued" {
		t.Fatalf("after retry: %s", row)
	}
	f.drain()
	if e, _ := f.srv.exports.List(context.Background(), f.course, db.ExportArchive); e[0].Status() != db.ExportReady {
		t.Fatalf("retried export is %s", e[0].Status())
	}
}

func TestExport_failureShowsReasonInWords(t *testing.T) {
	f := newFixture(t, withQuota(1500)) // the demo's two static files fit, no archive does
	c := f.as(asAdmin)
	base := fmt.Sprintf("/courses/%d/exports", f.course)
	c.get(base)
	_, row := c.do("POST", base, strings.NewReader("include_static=1"), htmx(c))
	f.drain()
	poll := regexp.MustCompile(`hx-get="([^"]+)"`).FindStringSubmatch(row)[1]
	_, row = c.do("GET", poll, nil, map[string]string{"HX-Request": "true"})
	if m := rowStatus.FindStringSubmatch(row); m == nil || m[1] != "failed" {
		t.Fatalf("row = %s", row)
	}
	if !strings.Contains(row, "quota") || !strings.Contains(row, "/retry") {
		t.Fatalf("the failed row does not say why or offer Retry: %s", row)
	}
	if strings.Contains(row, "goroutine") || strings.Contains(row, ".go:") {
		t.Fatal("a stack trace reached the page")
	}
}

func TestExportAPI(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	c.get("/courses")
	api := fmt.Sprintf("/api/courses/%d/exports", f.course)
	send := func(method, path, body string) (*http.Response, string) {
		return c.do(method, path, strings.NewReader(body), map[string]string{"X-CSRF-Token": c.csrf, "Content-Type": "application/json"})
	}
	for _, bad := range []string{`{"include_stdout": "yes"}`, `{"surprise": 1}`, `[1,2]`, `{} {}`, `{`} {
		res, body := send("POST", api, bad)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("body %s: %d %s", bad, res.StatusCode, body)
		}
	}
	res, body := send("POST", api, `{"include_stdout": true, "include_files": false}`)
	var e apiExport
	if res.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(body), &e) != nil || e.Status != "queued" || !e.Options.IncludeStdout {
		t.Fatalf("queue: %d %s", res.StatusCode, body)
	}
	if res, _ := send("POST", api, `{"include_stdout": true, "include_files": false}`); res.StatusCode != ok {
		t.Fatalf("identical pending request: %d, want 200 with the pending one", res.StatusCode)
	}
	f.drain()
	res, body = c.get(fmt.Sprintf("%s/%d", api, e.ID))
	if json.Unmarshal([]byte(body), &e) != nil || e.Status != "ready" || e.URL == "" || e.SHA256 == "" || !e.UpToDate {
		t.Fatalf("get: %d %s", res.StatusCode, body)
	}
	var list []apiExport
	if _, body := c.get(api); json.Unmarshal([]byte(body), &list) != nil || len(list) != 1 {
		t.Fatalf("list: %s", body)
	}
	if res, _ := send("DELETE", fmt.Sprintf("%s/%d", api, e.ID), ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if res, _ := c.get(e.URL); res.StatusCode != nf {
		t.Fatalf("file after delete: %d", res.StatusCode)
	}
	if res, _ := c.get(fmt.Sprintf("%s/%d", api, e.ID)); res.StatusCode != nf {
		t.Fatalf("export after delete: %d", res.StatusCode)
	}
}

func TestContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"Physics_I_Performance_20150430-193402.xlsx": `attachment; filename="Physics_I_Performance_20150430-193402.xlsx"; filename*=UTF-8''Physics_I_Performance_20150430-193402.xlsx`,
		"Física_Ünïcode 1.xlsx":                      `attachment; filename="F_sica__n_code 1.xlsx"; filename*=UTF-8''F%C3%ADsica_%C3%9Cn%C3%AFcode%201.xlsx`,
		`a"b;c.zip`:                                  `attachment; filename="a_b;c.zip"; filename*=UTF-8''a%22b%3Bc.zip`,
	} {
		if got := contentDisposition("attachment", name); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestExport_keepPinsTheFileAndLetExpireUndoes(t *testing.T) {
	f := newFixture(t)
	e := f.readyArchive()
	c := f.as(asAdmin)
	row := fmt.Sprintf("/courses/%d/exports/%d", f.course, e.ID)
	_, body := c.get(row)
	if !strings.Contains(body, row+"/keep") || !strings.Contains(body, "Expires") {
		t.Fatalf("a ready row offers no Keep: %s", body)
	}
	_, body = c.do("POST", row+"/keep", nil, htmx(c))
	if !strings.Contains(body, "Kept until deleted") || !strings.Contains(body, row+"/unkeep") {
		t.Fatalf("after Keep: %s", body)
	}
	file, _ := f.files.GetByID(context.Background(), e.FileID)
	if file.ExpiresAt != nil {
		t.Fatal("the kept file still expires")
	}
	_, body = c.do("POST", row+"/unkeep", nil, htmx(c))
	if !strings.Contains(body, "Expires") {
		t.Fatalf("after Let expire: %s", body)
	}
	// A row that is not ready cannot be kept.
	queued, _, _ := f.srv.exports.Request(context.Background(), exports.Request{CourseID: f.course, UserID: f.users[asAdmin], Kind: db.ExportArchive, IncludeStdout: true})
	if res, _ := c.do("POST", fmt.Sprintf("/courses/%d/exports/%d/keep", f.course, queued.ID), nil, htmx(c)); res.StatusCode != http.StatusConflict {
		t.Fatalf("keeping a queued export: %d, want 409", res.StatusCode)
	}
}

func TestDownload_withBearerToken(t *testing.T) {
	f := newFixture(t)
	e := f.readyArchive()
	ctx := context.Background()
	tokens := map[string]string{}
	for _, who := range []string{asAdmin, asTeacher} {
		tok, hash := auth.NewAccessToken()
		f.db.InTx(ctx, func(tx *db.Queries) error {
			_, err := tx.InsertAccessToken(ctx, f.users[who], hash, "", time.Now())
			return err
		})
		tokens[who] = tok
	}
	url := fileURL(e.Token, e.Filename)
	for who, want := range map[string]int{asAdmin: ok, asTeacher: nf} {
		res, _ := f.client().do("GET", url, nil, map[string]string{"Authorization": "Bearer " + tokens[who]})
		if res.StatusCode != want {
			t.Errorf("download with %s's token: %d, want %d", who, res.StatusCode, want)
		}
	}
	if res, _ := f.client().do("GET", url, nil, map[string]string{"Authorization": "Bearer cvpat_wrong"}); res.StatusCode != unauth {
		t.Errorf("a wrong token: %d, want 401", res.StatusCode)
	}
}
