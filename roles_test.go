package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestRoles_webOnlyServeLeavesJobsToTheWorker: serve --no-worker takes an
// export and never runs it; a `coursevault worker` on the same database
// runs it, and the web process then offers a whole, downloadable archive.
func TestRoles_webOnlyServeLeavesJobsToTheWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two processes; skipped under -short")
	}
	dir := t.TempDir()
	token := vaultDemo(t, dir, "--students", "20", "--assignments", "3", "--submissions", "1")
	web := startVault(t, dir, "--no-worker", "--poll-interval", "100ms")
	api := newVaultAPI(t, web.base, token)

	var ex vaultExport
	if code := api.do("POST", "/api/courses/1/exports", `{}`, &ex); code != http.StatusAccepted {
		t.Fatalf("request archive: %d", code)
	}
	path := fmt.Sprintf("/api/courses/1/exports/%d", ex.ID)
	time.Sleep(1500 * time.Millisecond)
	if api.do("GET", path, "", &ex); ex.Status != "queued" {
		t.Fatalf("with no worker anywhere the export is %q after 1.5 s, want queued", ex.Status)
	}

	startWorker(t, dir, "--poll-interval", "100ms")
	for deadline := time.Now().Add(60 * time.Second); ex.Status != "ready"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) || ex.Status == "failed" {
			t.Fatalf("export with a worker running: %+v", ex)
		}
		if code := api.do("GET", path, "", &ex); code != http.StatusOK {
			t.Fatalf("poll on the web process: %d", code)
		}
	}
	var zip []byte
	if code := api.do("GET", ex.URL, "", &zip); code != http.StatusOK {
		t.Fatalf("download from the web process: %d", code)
	}
	if err := checkWholeZip(zip); err != nil {
		t.Fatalf("archive made by the worker: %v", err)
	}
	if bad := web.serverErrors(); len(bad) > 0 {
		t.Errorf("web process logged errors: %q", bad)
	}
}
