package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"coursevault/db/files"
)

func TestDownload_staticMaterialIsPublicAndInline(t *testing.T) {
	f := newFixture(t)
	list, err := f.files.List(context.Background(), files.Course(demoWithPeriods), files.CourseStatic)
	if err != nil || len(list) == 0 {
		t.Fatalf("no static files in the demo: %v", err)
	}
	sf := list[0]
	res, body := f.client().get(sf.URL())
	if res.StatusCode != ok || int64(len(body)) != sf.Size {
		t.Fatalf("anonymous download of %s: %d, %d bytes", sf.Filename, res.StatusCode, len(body))
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, dispositionType(sf)) {
		t.Fatalf("Content-Disposition = %q", cd)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Fatalf("a served file runs without a sandbox: %q", csp)
	}
}

func TestDownload_rangeHeadAndETag(t *testing.T) {
	f := newFixture(t)
	e := f.readyArchive()
	c := f.as(asAdmin)
	url := fileURL(e.Token, e.Filename)
	res, body := c.do("GET", url, nil, map[string]string{"Range": "bytes=0-9"})
	if res.StatusCode != http.StatusPartialContent || len(body) != 10 || !strings.HasPrefix(body, "PK") {
		t.Fatalf("range: %d, %d bytes", res.StatusCode, len(body))
	}
	res, body = c.do("HEAD", url, nil, nil)
	if res.StatusCode != ok || body != "" || res.Header.Get("Content-Length") != fmt.Sprint(e.Size) {
		t.Fatalf("HEAD: %d, length %s", res.StatusCode, res.Header.Get("Content-Length"))
	}
	etag := res.Header.Get("ETag")
	if res, _ := c.do("GET", url, nil, map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match %s: %d", etag, res.StatusCode)
	}
}

func TestDownload_everyRefusalIsTheSame404(t *testing.T) {
	f := newFixture(t)
	e := f.readyArchive()
	c := f.as(asAdmin)
	good := fileURL(e.Token, e.Filename)
	for _, path := range []string{
		"/files/" + e.Token + "/other.zip",                      // wrong filename
		"/files/" + strings.ToUpper(e.Token) + "/" + e.Filename, // wrong case
		"/files/" + e.Token[:31] + "/" + e.Filename,             // wrong length
		"/files/00000000000000000000000000000000/" + e.Filename,
		"/files/" + e.Token + "/..%2f..%2fcoursevault.db",
		"/files/../coursevault.db",
		"/files/" + e.Token + "/%00",
		"/files/" + e.Token + "/" + strings.Repeat("a", 5000),
	} {
		res, _ := c.get(path)
		if res.StatusCode != nf {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
	}
	// Expired: the same 404, before the janitor has even removed it.
	f.srv.cfg.Now = func() time.Time { return time.Now().Add(files.DefaultTTL + time.Hour) }
	if res, _ := c.get(good); res.StatusCode != nf {
		t.Errorf("expired file: %d, want 404", res.StatusCode)
	}
}

func TestAuditLog_showsGenerationStoreAndDownload(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	base := fmt.Sprintf("/courses/%d/exports", f.course)
	c.get(base)
	c.do("POST", base, strings.NewReader("include_static=1"), htmx(c))
	f.drain()
	list, _ := f.srv.exports.List(context.Background(), f.course, "course-archive")
	c.get(fileURL(list[0].Token, list[0].Filename))
	_, body := c.get(fmt.Sprintf("/courses/%d/audit", f.course))
	for _, want := range []string{"Asked for an export", "File stored", "Downloaded", asAdmin, list[0].Filename} {
		if !strings.Contains(body, want) {
			t.Errorf("the course's audit log lacks %q", want)
		}
	}
	_, body = f.as(asSiteAdmin).get("/admin/audit")
	if !strings.Contains(body, "Signed in") || !strings.Contains(body, "Downloaded") {
		t.Error("the site audit log lacks sign-ins or downloads")
	}
}
