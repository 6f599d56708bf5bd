package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"coursevault/db/files"
	"coursevault/db/files/filestest"
	"coursevault/jobs/archive"
)

// TestKill_exportOnS3SurvivesSIGKILL kills serve with SIGKILL while it
// uploads a large archive to the real S3 server, starts it again: the export
// completes and verifies, the half-done upload was never listed as an
// object, and the start-up sweep aborts it (sweep_grace=1s stands in for
// the hour, which a test cannot wait).
func TestKill_exportOnS3SurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test builds the binary and a large demo; skipped under -short")
	}
	storage := filestest.UniqueS3URL(t) + "&sweep_grace=1s&part_size_mib=5"
	b, err := openBlobs(storage, nil)
	if err != nil {
		t.Fatal(err)
	}
	s3 := b.(*files.S3)
	dir := t.TempDir()
	token := vaultDemo(t, dir, "--storage", storage, "--students", "300", "--assignments", "20", "--submissions", "2", "--stdout-bytes", "20000")
	demoObjects := filestest.Keys(t, s3)
	if len(demoObjects) == 0 {
		t.Fatal("the demo's static files are not in the bucket")
	}

	srv := startVault(t, dir, "--storage", storage, "--poll-interval", "200ms", "--job-lease", "3s")
	api := newVaultAPI(t, srv.base, token)
	var ex vaultExport
	if code := api.do("POST", "/api/courses/1/exports", `{"include_stdout":true}`, &ex); code != http.StatusAccepted {
		t.Fatalf("request archive: %d", code)
	}
	exportPath := fmt.Sprintf("/api/courses/1/exports/%d", ex.ID)
	// Kill once the upload has begun (its first 5 MiB part is up).
	for deadline := time.Now().Add(60 * time.Second); len(filestest.Uploads(t, s3)) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the archive's upload never began")
		}
	}
	srv.kill()
	left := filestest.Uploads(t, s3)
	if len(left) == 0 {
		t.Fatal("the killed upload left nothing to sweep: the test did not kill it mid-upload")
	}
	if got := filestest.Keys(t, s3); !slices.Equal(got, demoObjects) {
		t.Fatalf("a partial object is listed after the kill: %v, want only the demo's %v", got, demoObjects)
	}
	time.Sleep(1100 * time.Millisecond) // older than sweep_grace

	srv = startVault(t, dir, "--storage", storage, "--poll-interval", "200ms", "--job-lease", "3s")
	api = newVaultAPI(t, srv.base, token)
	for deadline := time.Now().Add(120 * time.Second); ex.Status != "ready"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("archive not ready after the restart: %+v", ex)
		}
		if code := api.do("GET", exportPath, "", &ex); code != http.StatusOK {
			t.Fatalf("get export: %d", code)
		}
		if ex.Status != "ready" && ((ex.Status != "queued" && ex.Status != "running") || ex.URL != "") {
			t.Fatalf("after the restart the archive is %q (%s) with url %q", ex.Status, ex.Error, ex.URL)
		}
	}
	var zipBytes []byte
	if code := api.do("GET", ex.URL, "", &zipBytes); code != http.StatusOK || int64(len(zipBytes)) != ex.Size {
		t.Fatalf("download archive: %d, %d bytes of %d", code, len(zipBytes), ex.Size)
	}
	zipPath := filepath.Join(t.TempDir(), ex.Filename)
	if err := os.WriteFile(zipPath, zipBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.VerifyFile(zipPath); err != nil {
		t.Fatalf("the archive made after the kill does not verify: %v", err)
	}
	for _, k := range filestest.Uploads(t, s3) {
		if slices.Contains(left, k) {
			t.Errorf("the killed upload %s survived the start-up sweep", k)
		}
	}
	// Every object is a file row's: the demo's and the archive.
	if got := filestest.Keys(t, s3); len(got) != len(demoObjects)+1 {
		t.Errorf("the bucket holds %d objects, want the demo's %d and the archive", len(got), len(demoObjects))
	}
	if bad := srv.serverErrors(); len(bad) > 0 {
		t.Errorf("server errors after the restart: %v", bad)
	}
}
