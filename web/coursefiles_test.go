package web

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"coursevault/db/files"
	"coursevault/db/files/filestest"
	"coursevault/jobs/archive"
)

// testUpload is one file of the Files tab's upload form.
type testUpload struct{ name, content string }

// uploadFiles posts the Files tab's form to course; htmx sends the CSRF
// token as a header (the body is streamed), a plain form as a field.
func (c *client) uploadFiles(course int64, folder string, htmx bool, ups ...testUpload) (*http.Response, string) {
	c.f.t.Helper()
	if c.csrf == "" {
		c.get(fmt.Sprintf("/courses/%d/files", course))
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	hdr := map[string]string{"Content-Type": w.FormDataContentType()}
	if htmx {
		hdr["HX-Request"], hdr["X-CSRF-Token"] = "true", c.csrf
	} else {
		w.WriteField("_csrf", c.csrf)
	}
	w.WriteField("folder", folder)
	for _, u := range ups {
		fw, err := w.CreateFormFile("files", u.name)
		if err != nil {
			c.f.t.Fatal(err)
		}
		fw.Write([]byte(u.content))
	}
	w.Close()
	return c.do("POST", fmt.Sprintf("/courses/%d/files", course), &b, hdr)
}

// put sends PUT /api/courses/:id/files/<p> with body and content type.
func (c *client) putFile(course int64, p, body, ctype string) (*http.Response, apiStaticFile, string) {
	c.f.t.Helper()
	hdr := map[string]string{}
	if ctype != "" {
		hdr["Content-Type"] = ctype
	}
	res, text := c.do("PUT", fmt.Sprintf("/api/courses/%d/files/%s", course, p), strings.NewReader(body), hdr)
	var out apiStaticFile
	json.Unmarshal([]byte(text), &out)
	return res, out, text
}

// staticAt returns the fixture course's file at p, failing when it has none.
func (f *fixture) staticAt(p string) files.Static {
	f.t.Helper()
	st, err := f.files.StaticByPath(context.Background(), f.course, p)
	if err != nil {
		f.t.Fatalf("static file %s: %v", p, err)
	}
	return st
}

func (f *fixture) hasStatic(p string) bool {
	_, err := f.files.StaticByPath(context.Background(), f.course, p)
	return err == nil
}

func sum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func TestFiles_uploadSeveralIntoAFolder(t *testing.T) {
	for _, htmx := range []bool{false, true} {
		t.Run(fmt.Sprintf("htmx=%t", htmx), func(t *testing.T) {
			f := newFixture(t)
			c := f.as(asAdmin)
			v := f.version(f.course)
			res, body := c.uploadFiles(f.course, "/lectures/week 1/", htmx, testUpload{"notes.pdf", "%PDF-1.4 notes"}, testUpload{`C:\Users\me\diagram.png`, "\x89PNG\r\n\x1a\nxx"})
			if htmx {
				if res.StatusCode != ok || !strings.Contains(body, "Uploaded 2 files") || !strings.Contains(body, `id="files-body"`) {
					t.Fatalf("htmx upload: %d %.300s", res.StatusCode, body)
				}
			} else if res.StatusCode != see {
				t.Fatalf("upload: %d %.300s", res.StatusCode, body)
			}
			notes, png := f.staticAt("lectures/week 1/notes.pdf"), f.staticAt("lectures/week 1/diagram.png")
			if notes.File.SHA256 != sum("%PDF-1.4 notes") || notes.File.ContentType != "application/pdf" || png.File.ContentType != "image/png" {
				t.Fatalf("stored %+v / %+v", notes.File, png.File)
			}
			if f.version(f.course) <= v {
				t.Fatal("the upload did not move the course's data version")
			}
			if n := f.auditCount("static.upload", "lectures/week 1/notes.pdf") + f.auditCount("static.upload", "lectures/week 1/diagram.png"); n != 2 {
				t.Fatalf("%d static.upload events, want one per file", n)
			}
			_, page := c.get(fmt.Sprintf("/courses/%d/files", f.course))
			for _, want := range []string{"lectures/week 1/notes.pdf", notes.File.URL(), "application/pdf", `>Files</a>`} {
				if !strings.Contains(page, want) {
					t.Errorf("the Files tab lacks %q", want)
				}
			}
		})
	}
}

func TestFiles_noFileChosenIs400(t *testing.T) {
	f := newFixture(t)
	res, body := f.as(asAdmin).uploadFiles(f.course, "x", false)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Choose one or more files") || !strings.Contains(body, `value="x"`) {
		t.Fatalf("%d %.400s", res.StatusCode, body)
	}
}

func TestFiles_badPathsAreRefusedSayingWhy(t *testing.T) {
	f := newFixture(t)
	c := f.apiClient(asAdmin)
	tests := []struct{ name, path, why string }{
		{"dot dot", "notes/..%2F..%2Fetc/passwd", `contains \"..\"`},
		{"backslash", "a%5Cb.txt", `contains '\\\\'`},
		{"control character", "a%01b.txt", `contains '\\x01'`},
		{"absolute", "%2Fetc%2Fpasswd", "starts with a slash"},
		{"part too long", strings.Repeat("x", 201) + ".txt", "longer than 200 bytes"},
		{"windows character", "a%3Fb.txt", `contains '?'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _, body := c.putFile(f.course, tt.path, "x", "text/plain")
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is refused") || !strings.Contains(body, tt.why) {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})
	}
	t.Run("form folder", func(t *testing.T) {
		res, body := f.as(asAdmin).uploadFiles(f.course, "a/../../b", false, testUpload{"x.txt", "x"})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is refused: it contains &#34;..&#34;") || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("%d %.600s", res.StatusCode, body)
		}
	})
	list, _ := f.files.ListStatic(context.Background(), f.course)
	if len(list) != 0 {
		t.Fatalf("refused uploads stored %d files", len(list))
	}
}

func TestFiles_putToAnExistingPathReplacesIt(t *testing.T) {
	f := newFixture(t)
	c := f.apiClient(asAdmin)
	res, out, body := c.putFile(f.course, "syllabus.txt", "first", "")
	if res.StatusCode != http.StatusCreated || out.Path != "syllabus.txt" || out.Size != 5 || out.SHA256 != sum("first") || !strings.Contains(out.URL, "/files/") {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	old := f.staticAt("syllabus.txt")
	res, out, body = c.putFile(f.course, "syllabus.txt", "second version", "")
	if res.StatusCode != ok || out.SHA256 != sum("second version") {
		t.Fatalf("replace: %d %s", res.StatusCode, body)
	}
	if filestest.Has(t, f.files.Blobs(), old.File.Token) {
		t.Fatal("the replaced bytes are still in the store")
	}
	if res, _ := f.client().get(old.File.URL()); res.StatusCode != nf {
		t.Fatalf("the replaced file's link answers %d", res.StatusCode)
	}
	if res, body := f.client().get(f.staticAt("syllabus.txt").File.URL()); res.StatusCode != ok || body != "second version" {
		t.Fatalf("download: %d %q", res.StatusCode, body)
	}
	if got := f.lastAudit(); got.Action != "static.upload" || !strings.Contains(got.Detail, "replaced") {
		t.Fatalf("audit %+v", got)
	}
}

func TestFiles_renameMovesPathAndLink(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	f.apiClient(asAdmin).putFile(f.course, "a.txt", "aaa", "")
	f.apiClient(asAdmin).putFile(f.course, "b.txt", "bbb", "")
	a := f.staticAt("a.txt")
	rename := fmt.Sprintf("/courses/%d/files/%d/rename", f.course, a.ID)
	c.get(fmt.Sprintf("/courses/%d/files", f.course))

	t.Run("a clash is 409 and keeps the typed path", func(t *testing.T) {
		res, body := c.post(rename, url.Values{"path": {"b.txt"}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, "already has a file at that path") || !strings.Contains(body, `value="b.txt"`) {
			t.Fatalf("%d %.400s", res.StatusCode, body)
		}
		if !f.hasStatic("a.txt") || f.staticAt("b.txt").File.SHA256 != sum("bbb") {
			t.Fatal("a refused rename changed the files")
		}
	})
	t.Run("a bad path is 400", func(t *testing.T) {
		res, body := c.post(rename, url.Values{"path": {"../a.txt"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is refused") {
			t.Fatalf("%d %.400s", res.StatusCode, body)
		}
	})
	t.Run("htmx gets the row with the error", func(t *testing.T) {
		hdr := htmx(c)
		res, body := c.do("POST", rename, strings.NewReader("path=b.txt"), hdr)
		if res.StatusCode != ok || !strings.HasPrefix(strings.TrimSpace(body), "<tr") || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("%d %.400s", res.StatusCode, body)
		}
	})
	t.Run("a free path renames", func(t *testing.T) {
		v := f.version(f.course)
		res, body := c.post(rename, url.Values{"path": {"docs/c.txt"}})
		if res.StatusCode != see {
			t.Fatalf("%d %.400s", res.StatusCode, body)
		}
		moved := f.staticAt("docs/c.txt")
		if moved.File.Filename != "c.txt" || moved.File.Token != a.File.Token || f.hasStatic("a.txt") {
			t.Fatalf("moved %+v", moved)
		}
		if res, body := f.client().get(moved.File.URL()); res.StatusCode != ok || body != "aaa" {
			t.Fatalf("the new link: %d", res.StatusCode)
		}
		if res, _ := f.client().get(a.File.URL()); res.StatusCode != nf {
			t.Fatalf("the old link answers %d", res.StatusCode)
		}
		if f.version(f.course) <= v || f.auditCount("static.rename", "docs/c.txt") != 1 {
			t.Fatal("the rename did not move the data version or was not audited once")
		}
	})
}

func TestFiles_deleteAsksFirst(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	f.apiClient(asAdmin).putFile(f.course, "gone.txt", "bye", "")
	st := f.staticAt("gone.txt")
	del := fmt.Sprintf("/courses/%d/files/%d/delete", f.course, st.ID)
	c.get(fmt.Sprintf("/courses/%d/files", f.course))
	res, body := c.post(del, nil)
	if res.StatusCode != ok || !strings.Contains(body, "Delete gone.txt?") || !f.hasStatic("gone.txt") {
		t.Fatalf("without confirm: %d %.300s", res.StatusCode, body)
	}
	v := f.version(f.course)
	if res, _ := c.post(del, url.Values{"confirm": {"1"}}); res.StatusCode != see {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if f.hasStatic("gone.txt") || f.version(f.course) <= v || f.auditCount("static.delete", "gone.txt") != 1 {
		t.Fatal("not deleted, data version unmoved or not audited once")
	}
	if filestest.Has(t, f.files.Blobs(), st.File.Token) {
		t.Fatal("bytes left in the store")
	}
	if res, _ := c.post(del, url.Values{"confirm": {"1"}}); res.StatusCode != nf {
		t.Fatalf("deleting again: %d", res.StatusCode)
	}
}

func TestFiles_overQuotaIsTheQuotaMessage(t *testing.T) {
	f := newFixture(t, withQuota(1<<20))
	big := strings.Repeat("x", 2<<20)
	res, body := f.as(asAdmin).uploadFiles(f.course, "", false, testUpload{"big.bin", big})
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "storage quota of 1 MiB would be exceeded") {
		t.Fatalf("form: %d %.500s", res.StatusCode, body)
	}
	res, _, text := f.apiClient(asAdmin).putFile(f.course, "big.bin", big, "")
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(text, "storage quota of 1 MiB would be exceeded") {
		t.Fatalf("API: %d %s", res.StatusCode, text)
	}
	if f.hasStatic("big.bin") {
		t.Fatal("stored over quota")
	}
}

func TestFiles_overTheSizeLimitIs413(t *testing.T) {
	f := newFixture(t)
	f.restart(Config{MaxCourseFile: 1024})
	res, _, text := f.apiClient(asAdmin).putFile(f.course, "big.bin", strings.Repeat("x", 1025), "")
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(text, "larger than the limit of 1 KiB") {
		t.Fatalf("API: %d %s", res.StatusCode, text)
	}
	// Without a length up front (chunked), the limit stops the copy.
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/courses/%d/files/chunked.bin", f.http.URL, f.course), io.MultiReader(strings.NewReader(strings.Repeat("y", 2000))))
	for k, v := range f.apiClient(asAdmin).header {
		req.Header.Set(k, v)
	}
	req.ContentLength = -1
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: %d", r2.StatusCode)
	}
	res, body := f.as(asAdmin).uploadFiles(f.course, "", true, testUpload{"ok.txt", "fine"}, testUpload{"big.bin", strings.Repeat("x", 1025)})
	if !strings.Contains(body, "larger than the limit of 1 KiB") || !strings.Contains(body, "Uploaded before it: ok.txt") {
		t.Fatalf("form: %d %.500s", res.StatusCode, body)
	}
	if f.hasStatic("big.bin") || f.hasStatic("chunked.bin") || !f.hasStatic("ok.txt") {
		t.Fatal("over-limit files were stored, or the one before them was not")
	}
}

func TestFiles_activeContentIsServedAsAttachment(t *testing.T) {
	f := newFixture(t)
	c := f.apiClient(asAdmin)
	tests := []struct{ path, ctype, disposition string }{
		{"page.html", "text/html", "attachment"},
		{"page2.html", "", "attachment"},
		{"evil.pdf", "text/html; charset=utf-8", "attachment"},
		{"logo.svg", "", "attachment"},
		{"app.js", "application/javascript", "attachment"},
		{"slides.pdf", "", "inline"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, out, body := c.putFile(f.course, tt.path, "<script>alert(1)</script>", tt.ctype)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("put: %d %s", res.StatusCode, body)
			}
			dl, _ := f.client().get(strings.TrimPrefix(out.URL, f.srv.cfg.BaseURL))
			if dl.StatusCode != ok || !strings.HasPrefix(dl.Header.Get("Content-Disposition"), tt.disposition+";") ||
				dl.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(dl.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Fatalf("download: %d %v", dl.StatusCode, dl.Header)
			}
		})
	}
}

func TestFiles_whoMayUseTheTab(t *testing.T) {
	f := newFixture(t)
	f.apiClient(asAdmin).putFile(f.course, "public.txt", "hello", "")
	tab := fmt.Sprintf("/courses/%d/files", f.course)
	for _, tt := range []struct {
		who  string
		want int
	}{{asTeacher, forb}, {asTA, forb}, {asStudent, nf}, {asOtherTeacher, nf}, {"", see}, {asSiteAdmin, ok}} {
		t.Run(tt.who, func(t *testing.T) {
			if res, _ := f.as(tt.who).get(tab); res.StatusCode != tt.want {
				t.Fatalf("GET %s: %d, want %d", tab, res.StatusCode, tt.want)
			}
		})
	}
	t.Run("teacher cannot upload", func(t *testing.T) {
		c := f.as(asTeacher)
		c.get("/courses")
		if res, _ := c.uploadFiles(f.course, "", true, testUpload{"x.txt", "x"}); res.StatusCode != forb {
			t.Fatalf("%d", res.StatusCode)
		}
	})
	t.Run("anonymous downloads the public link", func(t *testing.T) {
		if res, body := f.client().get(f.staticAt("public.txt").File.URL()); res.StatusCode != ok || body != "hello" {
			t.Fatalf("%d %q", res.StatusCode, body)
		}
	})
	t.Run("the Files tab is only an admin's", func(t *testing.T) {
		_, body := f.as(asTeacher).get(fmt.Sprintf("/courses/%d/performance", f.course))
		if strings.Contains(body, tab) {
			t.Fatal("a teacher sees the Files tab")
		}
	})
}

func TestFiles_courseTokenUsesTheAPIOnItsCourseOnly(t *testing.T) {
	f := newFixture(t)
	token, _ := f.courseToken(f.course, "Autograder")
	c := f.tokenClient(token)
	res, out, body := c.putFile(f.course, "handouts/hw1.txt", "do this", "text/plain")
	if res.StatusCode != http.StatusCreated || out.Path != "handouts/hw1.txt" {
		t.Fatalf("put: %d %s", res.StatusCode, body)
	}
	res, body = c.get(fmt.Sprintf("/api/courses/%d/files", f.course))
	var list []apiStaticFile
	if res.StatusCode != ok || json.Unmarshal([]byte(body), &list) != nil || len(list) != 1 ||
		list[0].ContentType != "text/plain" || list[0].SHA256 != sum("do this") || list[0].CreatedAt.IsZero() {
		t.Fatalf("list: %d %s", res.StatusCode, body)
	}
	if got := f.lastAudit(); got.Action != "static.upload" || !strings.Contains(got.Actor, "Autograder") {
		t.Fatalf("audit %+v", got)
	}
	del := fmt.Sprintf("/api/courses/%d/files/handouts/hw1.txt", f.course)
	if res, body := c.do("DELETE", del, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.StatusCode, body)
	}
	if res, _ := c.do("DELETE", del, nil, nil); res.StatusCode != nf {
		t.Fatalf("delete again: %d", res.StatusCode)
	}
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		p := fmt.Sprintf("/api/courses/%d/files/x.txt", f.other)
		if m == "GET" {
			p = fmt.Sprintf("/api/courses/%d/files", f.other)
		}
		if res, _ := c.do(m, p, strings.NewReader("x"), nil); res.StatusCode != nf {
			t.Errorf("%s %s (another course): %d, want 404", m, p, res.StatusCode)
		}
	}
}

func TestFiles_archiveCarriesUploadedAndRenamedFiles(t *testing.T) {
	f := newFixture(t)
	c := f.apiClient(asAdmin)
	c.putFile(f.course, "lectures/one.pdf", "%PDF one", "")
	c.putFile(f.course, "old-name.txt", "renamed", "")
	if _, err := f.files.RenameStatic(context.Background(), f.course, f.staticAt("old-name.txt").ID, "notes/new-name.txt"); err != nil {
		t.Fatal(err)
	}
	e := f.readyArchive()
	fh, err := f.files.Blobs().Open(context.Background(), e.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := zip.NewReader(fh, e.Size)
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]string{}
	for _, zf := range zr.File {
		r, _ := zf.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		entries[zf.Name] = string(b)
	}
	if entries[archive.StaticDir+"lectures/one.pdf"] != "%PDF one" || entries[archive.StaticDir+"notes/new-name.txt"] != "renamed" {
		t.Fatalf("archive entries: %v", keys(entries))
	}
	list := entries["data/static_files.json"]
	if !strings.Contains(list, `"notes/new-name.txt"`) || !strings.Contains(list, `"new-name.txt"`) || strings.Contains(list, "old-name") {
		t.Fatalf("static_files.json: %s", list)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
