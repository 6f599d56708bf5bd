package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"coursevault/jobs/mail/mailtest"
)

// TestKill_readyMailSurvivesSIGKILL: the mail server is down when an export
// becomes ready, so its mail waits on the job queue; serve is then killed
// (SIGKILL) and started again with the server back. The mail arrives once.
func TestKill_readyMailSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test builds the binary; skipped under -short")
	}
	box := mailtest.New(t)
	relay := box.Relay(t) // down
	dir := t.TempDir()
	token := vaultDemo(t, dir, "--courses", "1", "--students", "10", "--assignments", "3", "--submissions", "1", "--stdout-bytes", "200")
	flags := []string{"--poll-interval", "200ms", "--job-lease", "3s", "--smtp-url", relay.URL, "--mail-from", box.From}
	srv := startVault(t, dir, flags...)
	api := newVaultAPI(t, srv.base, token)
	var ex vaultExport
	if code := api.do("POST", "/api/courses/1/exports", `{}`, &ex); code != http.StatusAccepted {
		t.Fatalf("request archive: %d", code)
	}
	for deadline := time.Now().Add(60 * time.Second); ex.Status != "ready"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) || (ex.Status != "queued" && ex.Status != "running") {
			t.Fatalf("archive is %q (%s) while the mail server is down, want ready", ex.Status, ex.Error)
		}
		api.do("GET", fmt.Sprintf("/api/courses/1/exports/%d", ex.ID), "", &ex)
	}
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(srv.log.String(), "job attempt failed; will retry"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the mail was never tried:\n%s", srv.log.String())
		}
	}
	srv.kill()

	relay.Up(t)
	startVault(t, dir, flags...)
	got := box.Wait(t, 1) // the retry is due 10 s (±20 %) after the failed attempt
	time.Sleep(time.Second)
	if got = box.Mails(t); len(got) != 1 || strings.Join(got[0].To, ",") != "instructor@demo.test" || !strings.Contains(got[0].Subject, "is ready") {
		t.Fatalf("mails = %+v, want one ready mail to instructor@demo.test", got)
	}
}
