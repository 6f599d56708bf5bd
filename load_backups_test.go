package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLoad_pollersWhileScheduledArchivesDrain (issue 19): 300 courses share
// a daily schedule that comes due a minute or two after the server starts;
// clients poll an export's row fragment every 2 s as htmx does, from before
// the due minute (the baseline on this machine as it is) until the drain
// ends. It reports the time from the due minute until every scheduled
// archive is final, and the fragment's latencies before and during the
// drain (p99 during it held under 50 ms, or COURSEVAULT_LOAD_P99). Runs with COURSEVAULT_LOAD=1;
// COURSEVAULT_LOAD_COURSES and COURSEVAULT_LOAD_CLIENTS change the sizes.
func TestLoad_pollersWhileScheduledArchivesDrain(t *testing.T) {
	if os.Getenv("COURSEVAULT_LOAD") != "1" {
		t.Skip("set COURSEVAULT_LOAD=1 to run the scheduled-backup load test")
	}
	courses, clients, p99Max := 300, 200, 50*time.Millisecond
	if n, err := strconv.Atoi(os.Getenv("COURSEVAULT_LOAD_COURSES")); err == nil && n > 0 {
		courses = n
	}
	if n, err := strconv.Atoi(os.Getenv("COURSEVAULT_LOAD_CLIENTS")); err == nil && n > 0 {
		clients = n
	}
	if d, err := time.ParseDuration(os.Getenv("COURSEVAULT_LOAD_P99")); err == nil {
		p99Max = d
	}
	dir := t.TempDir()
	token := vaultDemo(t, dir, "--courses", strconv.Itoa(courses), "--students", strconv.Itoa(4*courses), "--assignments", "3",
		"--submissions", "1", "--stdout-bytes", "2000")
	admin := strings.TrimSpace(vaultRun(t, "token", "create", "--email", "admin@demo.test", "--data-dir", dir))
	// Due at the start of the minute after next, in UTC: after the server's
	// first tick has computed every course's next run.
	due := time.Now().UTC().Add(2 * time.Minute).Truncate(time.Minute)
	vaultRun(t, "backup", "schedule", "--site-default", "--daily", due.Format("15:04"), "--include-files", "--timezone", "UTC", "--data-dir", dir)
	srv := startVault(t, dir, "--timezone", "UTC", "--poll-interval", "200ms")
	api := newVaultAPI(t, srv.base, token)

	// One ready export of course 1 whose row the clients poll.
	var ex vaultExport
	if code := api.do("POST", "/api/courses/1/exports", `{"include_files":true}`, &ex); code != http.StatusAccepted {
		t.Fatalf("POST export: %d", code)
	}
	for ex.Status != "ready" {
		time.Sleep(100 * time.Millisecond)
		api.do("GET", fmt.Sprintf("/api/courses/1/exports/%d", ex.ID), "", &ex)
		if ex.Status == "failed" {
			t.Fatalf("the polled export failed: %s", ex.Error)
		}
	}
	baseURL, _ := url.Parse(srv.base)
	browser, _ := vaultSignIn(t, srv.base, "instructor@demo.test")
	var cookie string
	for _, c := range browser.Jar.Cookies(baseURL) {
		if c.Name == "coursevault_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	tr := &http.Transport{MaxIdleConnsPerHost: clients * 2}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var before, fragment latencies
	var fails loadFailures
	var wg sync.WaitGroup
	path := fmt.Sprintf("%s/courses/1/exports/%d", srv.base, ex.ID)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ds, early []time.Duration
			defer func() { fragment.add(ds); before.add(early) }()
			time.Sleep(rand.N(2 * time.Second))
			for ctx.Err() == nil {
				req, _ := http.NewRequest("GET", path, nil)
				req.Header.Set("Cookie", cookie)
				req.Header.Set("HX-Request", "true")
				t0 := time.Now()
				res, err := hc.Do(req)
				if err != nil {
					fails.add("GET fragment: %v", err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if t0.Before(due) {
					early = append(early, time.Since(t0))
				} else {
					ds = append(ds, time.Since(t0))
				}
				if res.StatusCode != http.StatusOK {
					fails.add("GET fragment: %d", res.StatusCode)
					return
				}
				select {
				case <-ctx.Done():
				case <-time.After(2 * time.Second):
				}
			}
		}()
	}

	time.Sleep(time.Until(due))
	// Drained: every course's last scheduled archive made since the due
	// minute is final.
	admins := newVaultAPI(t, srv.base, admin)
	var drained time.Duration
	var ready, failed int
	for {
		var overview struct {
			Courses []struct {
				Last *struct {
					Status    string    `json:"status"`
					CreatedAt time.Time `json:"created_at"`
				} `json:"last_archive"`
			} `json:"courses"`
		}
		if code := admins.do("GET", "/api/backups", "", &overview); code != http.StatusOK {
			t.Fatalf("GET /api/backups: %d", code)
		}
		ready, failed = 0, 0
		for _, c := range overview.Courses {
			if c.Last == nil || c.Last.CreatedAt.Before(due) {
				continue
			}
			switch c.Last.Status {
			case "ready":
				ready++
			case "failed", "cancelled", "missing":
				failed++
			}
		}
		if ready+failed >= courses {
			drained = time.Since(due)
			break
		}
		if time.Since(due) > 30*time.Minute {
			t.Fatalf("not drained after 30 minutes: %d ready, %d failed of %d", ready, failed, courses)
		}
		time.Sleep(time.Second)
	}
	stop()
	wg.Wait()
	bs, _ := before.summary()
	fs, p99 := fragment.summary()
	t.Logf("%d courses due at %s UTC: drained in %s (%d ready, %d failed); %d clients polling every 2 s",
		courses, due.Format("15:04"), drained.Round(100*time.Millisecond), ready, failed, clients)
	t.Logf("fragment GET /courses/1/exports/:id before the due minute: %s", bs)
	t.Logf("fragment GET /courses/1/exports/:id during the drain:      %s", fs)
	if failed > 0 {
		t.Errorf("%d scheduled archives failed", failed)
	}
	if n := fails.n.Load(); n > 0 {
		t.Errorf("%d polls failed; first: %s", n, strings.Join(fails.first, "; "))
	}
	if p99 > p99Max {
		t.Errorf("fragment p99 %s is over %s", p99, p99Max)
	}
	if bad := srv.serverErrors(); len(bad) > 0 {
		t.Errorf("errors in the server log:\n%s", strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
}
