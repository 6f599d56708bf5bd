package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"regexp"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs/archive"
)

// multipartBody builds the Import form: a code and an archive file.
func multipartBody(t *testing.T, code, filename string, content []byte) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("code", code)
	fw, err := w.CreateFormFile("archive", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	w.Close()
	return w.FormDataContentType(), &b
}

func TestImportPage_restoresAnExportedCourse(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// An archive of the demo course with periods, made as the Exports tab does.
	var zip bytes.Buffer
	err := f.db.ReadTx(ctx, func(tx *db.Queries) error {
		_, err := archive.Write(ctx, &zip, archive.Source{Q: tx, CourseID: demoWithPeriods}, archive.Options{}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// What a first attempt of this import (id 1), killed while writing,
	// leaves: a hidden course holding the code. The job's retry removes it.
	coursesBefore, _ := f.db.CountCourses(ctx)
	if err := f.db.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertRestoringCourse(ctx, db.Course{Code: "CS101-COPY", Name: "half written", CreatedAt: time.Now()}, "import 1", time.Now().Add(time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := f.as(asSiteAdmin)
	res, body := c.get("/admin/imports")
	if res.StatusCode != ok || !strings.Contains(body, "No imports yet") {
		t.Fatalf("page: %d", res.StatusCode)
	}
	ctype, form := multipartBody(t, "CS101-COPY", "cs101.zip", zip.Bytes())
	res, row := c.do("POST", "/admin/imports", form, map[string]string{"HX-Request": "true", "X-CSRF-Token": c.csrf, "Content-Type": ctype})
	if m := rowStatus.FindStringSubmatch(row); res.StatusCode != ok || m == nil || m[1] != "queued" {
		t.Fatalf("upload: %d %s", res.StatusCode, row)
	}
	f.drain()
	poll := regexp.MustCompile(`hx-get="([^"]+)"`).FindStringSubmatch(row)[1]
	_, row = c.get(poll)
	if m := rowStatus.FindStringSubmatch(row); m == nil || m[1] != "done" || !strings.Contains(row, "CS101-COPY") || strings.Contains(row, "hx-trigger") {
		t.Fatalf("after the job: %s", row)
	}
	course, err := f.db.CourseByCode(ctx, "CS101-COPY")
	if err != nil || course.Name == "half written" {
		t.Fatalf("the imported course: %+v, %v", course, err)
	}
	if n, _ := f.db.CountCourses(ctx); n != coursesBefore+1 {
		t.Fatalf("%d courses, want %d: the killed attempt's hidden course is still there", n, coursesBefore+1)
	}
	if res, _ := c.get(fmt.Sprintf("/courses/%d/performance", course.ID)); res.StatusCode != ok {
		t.Fatalf("the imported course's book: %d", res.StatusCode)
	}
}

func TestImportPage_refusesBadUploadsClearly(t *testing.T) {
	f := newFixture(t)
	c := f.as(asSiteAdmin)
	c.get("/admin/imports")
	// No file at all.
	ctype, form := multipartBody(t, "", "", nil)
	res, body := c.do("POST", "/admin/imports", form, map[string]string{"X-CSRF-Token": c.csrf, "Content-Type": ctype})
	if res.StatusCode != 400 || !strings.Contains(body, "Choose an archive file") {
		t.Fatalf("no file: %d", res.StatusCode)
	}
	// Not a zip: the job fails with a reason in words and writes nothing.
	before, _ := f.db.CountCourses(context.Background())
	ctype, form = multipartBody(t, "", "notes.zip", []byte("this is not a zip"))
	_, row := c.do("POST", "/admin/imports", form, map[string]string{"HX-Request": "true", "X-CSRF-Token": c.csrf, "Content-Type": ctype})
	f.drain()
	_, row = c.get(regexp.MustCompile(`hx-get="([^"]+)"`).FindStringSubmatch(row)[1])
	if m := rowStatus.FindStringSubmatch(row); m == nil || m[1] != "failed" || !strings.Contains(row, "zip") {
		t.Fatalf("a bad archive: %s", row)
	}
	if after, _ := f.db.CountCourses(context.Background()); after != before {
		t.Fatalf("courses %d -> %d after a refused import", before, after)
	}
}
