package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"coursevault/db/files"
	"coursevault/db/files/filestest"
)

func TestDownload_redirectAnswersAPresignedURLOnlyAfterTheCheck(t *testing.T) {
	s3 := filestest.S3(t)
	f := newFixture(t, func(o *files.Options) { o.Blobs = s3 })
	f.restart(Config{StorageRedirect: true})
	e := f.readyArchive()
	url := fileURL(e.Token, e.Filename)
	for _, who := range []string{"", asStudent, asTA, asOtherTeacher} {
		if res, _ := f.as(who).get(url); res.StatusCode != nf {
			t.Errorf("%q: %d, want the same 404 as without redirect", who, res.StatusCode)
		}
	}
	before := f.auditCount("file.download", e.Filename)
	res, _ := f.as(asAdmin).get(url)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || !strings.Contains(loc, "X-Amz-Expires=60") || !strings.Contains(loc, "response-content-disposition=") {
		t.Fatalf("admin: %d to %q, want 302 to a 60 s presigned URL naming the file", res.StatusCode, loc)
	}
	if f.auditCount("file.download", e.Filename) != before+1 {
		t.Error("the redirected download is not audited")
	}
	got, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	body, _ := io.ReadAll(got.Body)
	cd := got.Header.Get("Content-Disposition")
	if got.StatusCode != ok || int64(len(body)) != e.Size || !strings.Contains(cd, `filename="`+e.Filename+`"`) ||
		got.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("the store answered %d, %d bytes, disposition %q, type %q", got.StatusCode, len(body), cd, got.Header.Get("Content-Type"))
	}
}

func TestHealthz_saysWhenTheFileStoreIsDown(t *testing.T) {
	cfg, err := files.ParseS3URL("s3://nowhere/p?endpoint=http://127.0.0.1:1&path_style=true&access_key=k&secret_key=sekrit-value&timeout=1s")
	if err != nil {
		t.Fatal(err)
	}
	down, err := files.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		blobs      files.Blobs
		status     string
		storeSaysS string
	}{
		"directory":  {nil, "ok", "ok"},
		"store down": {down, "degraded", "the file store did not answer"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			if tt.blobs != nil { // the store goes away after the demo was stored
				var err error
				if f.files, err = files.New(f.db, t.TempDir(), files.Options{Blobs: tt.blobs}); err != nil {
					t.Fatal(err)
				}
				f.restart(Config{})
			}
			res, body := f.client().get("/healthz")
			var got map[string]string
			json.Unmarshal([]byte(body), &got)
			if res.StatusCode != ok || got["status"] != tt.status || !strings.Contains(got["file_store"], tt.storeSaysS) {
				t.Fatalf("healthz: %d %s", res.StatusCode, body)
			}
			if strings.Contains(body, "sekrit") {
				t.Fatalf("healthz shows the secret: %s", body)
			}
			if res, _ := f.as(asTeacher).get("/courses"); res.StatusCode != ok {
				t.Errorf("pages stopped answering: %d", res.StatusCode)
			}
			if tt.blobs != nil {
				list, err := f.files.ListStatic(context.Background(), 1) // a demo course
				if err != nil || len(list) == 0 {
					t.Fatalf("no course material to download: %v", err)
				}
				if res, _ := f.client().get(list[0].File.URL()); res.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("a download from the store that is down: %d, want 503", res.StatusCode)
				}
			}
		})
	}
}
