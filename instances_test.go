package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"coursevault/db/files/filestest"
)

// TestInstances_exportOfAKilledInstanceFinishesOnAnother runs coursevault as
// a school with several instances would: two serve processes (web and
// worker) and one worker sharing a database and a store (PostgreSQL and S3
// when the test environment names them, see databaseOf and sharedStore). A
// session made on
// one web instance works on the other; an export asked for on one is run by
// whichever worker claims it, polled from the other, and when the process
// running it is killed (SIGKILL) another finishes it after the lease: once,
// whole, and never listed before it is.
func TestInstances_exportOfAKilledInstanceFinishesOnAnother(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes on a large demo; skipped under -short")
	}
	dir := t.TempDir()
	store := sharedStore(t)
	token := vaultDemoOn(t, dir, store, "--students", "300", "--assignments", "20", "--submissions", "2", "--stdout-bytes", "20000")
	common := append([]string{"--poll-interval", "200ms", "--job-lease", "3s"}, store...)
	a := startVault(t, dir, common...)
	b := startVault(t, dir, common...)
	w := startWorker(t, dir, common...)
	byPid := map[int]*vaultProc{a.cmd.Process.Pid: a, b.cmd.Process.Pid: b, w.cmd.Process.Pid: w}
	names := map[*vaultProc]string{a: "serve A", b: "serve B", w: "worker"}

	// A session signed in on A is a session on B.
	hc, _ := vaultSignIn(t, a.base, "instructor@demo.test")
	res, err := hc.Get(b.base + "/courses/1/exports")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the Exports page on B with A's session: %d (%s), want 200", res.StatusCode, res.Header.Get("Location"))
	}

	apiA, apiB := newVaultAPI(t, a.base, token), newVaultAPI(t, b.base, token)
	var ex vaultExport
	if code := apiA.do("POST", "/api/courses/1/exports", `{"include_stdout":true}`, &ex); code != http.StatusAccepted {
		t.Fatalf("request archive on A: %d", code)
	}
	path := fmt.Sprintf("/api/courses/1/exports/%d", ex.ID)
	notYet := func(who string, ex vaultExport) {
		t.Helper()
		if (ex.Status != "queued" && ex.Status != "running") || ex.URL != "" {
			t.Fatalf("%s lists the unfinished archive as %q (%s) with url %q", who, ex.Status, ex.Error, ex.URL)
		}
	}

	// Wait until the archive is well under way, polling from B, then kill
	// the process whose worker holds its lease.
	var holder *vaultProc
	for deadline := time.Now().Add(60 * time.Second); holder == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the archive never got under way: %+v", ex)
		}
		if code := apiB.do("GET", path, "", &ex); code != http.StatusOK {
			t.Fatalf("poll on B: %d", code)
		}
		notYet("B", ex)
		if ex.Status == "running" && ex.Progress.Done > 0 {
			holder = byPid[runningWorkerPid(t, dir)]
		}
	}
	holder.kill()
	t.Logf("killed %s at %d/%d (%s)", names[holder], ex.Progress.Done, ex.Progress.Total, ex.Progress.Stage)

	api := apiA
	if holder == a {
		api = apiB
	}
	for deadline := time.Now().Add(180 * time.Second); ex.Status != "ready"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("archive not finished by another instance: %+v", ex)
		}
		if code := api.do("GET", path, "", &ex); code != http.StatusOK {
			t.Fatalf("poll: %d", code)
		}
		if ex.Status != "ready" {
			notYet("a surviving instance", ex)
		}
	}
	var zipBytes []byte
	if code := api.do("GET", ex.URL, "", &zipBytes); code != http.StatusOK || int64(len(zipBytes)) != ex.Size {
		t.Fatalf("download: %d, %d bytes of %d", code, len(zipBytes), ex.Size)
	}
	zipPath := filepath.Join(t.TempDir(), ex.Filename)
	if err := os.WriteFile(zipPath, zipBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	vaultRun(t, "verify", zipPath)

	var list []vaultExport
	if code := api.do("GET", "/api/courses/1/exports", "", &list); code != http.StatusOK {
		t.Fatalf("list exports: %d", code)
	}
	if len(list) != 1 || list[0].ID != ex.ID {
		t.Errorf("exports after the takeover: %+v, want the one archive once", list)
	}
	jobsOut := vaultRun(t, "jobs", "--data-dir", dir, "--state", "succeeded")
	if n := strings.Count(jobsOut, "archive"); n != 1 {
		t.Errorf("succeeded archive jobs: %d, want 1:\n%s", n, jobsOut)
	}
	for _, p := range []*vaultProc{a, b, w} {
		if p == holder {
			continue
		}
		if bad := p.serverErrors(); len(bad) > 0 {
			t.Errorf("%s logged errors:\n%s", names[p], strings.Join(bad, "\n"))
		}
	}
}

// sharedStore is the flag that puts every instance on one store: a fresh
// S3 prefix with COURSEVAULT_TEST_STORE=s3, the data directory's
// attachments otherwise. (The database is the data directory's, see
// databaseOf: a PostgreSQL one with COURSEVAULT_TEST_DATABASE=postgres.)
func sharedStore(t testing.TB) []string {
	if os.Getenv("COURSEVAULT_TEST_STORE") == "s3" {
		return []string{"--storage", filestest.UniqueS3URL(t)}
	}
	return nil
}

var workerPid = regexp.MustCompile(`running .*:(\d+):[0-9a-f]{8}\b`)

// runningWorkerPid returns the pid of the process running the one running
// job, from `coursevault jobs`' WORKER column.
func runningWorkerPid(t *testing.T, dir string) int {
	t.Helper()
	out := vaultRun(t, "jobs", "--data-dir", dir, "--state", "running")
	m := workerPid.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no running job with a worker in:\n%s", out)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}
