package main

// Measurements of the performance book of a 5,000 × 100 course (issue 21),
// run with `task bookbench`; they print figures and assert nothing about time.
//
//	COURSEVAULT_BOOK=1                 required (the demo takes minutes to build)
//	COURSEVAULT_BOOK_DATA=<data dir>   reuse a course made with
//	                                   `coursevault demo --courses 1 --students 5000 --assignments 100 --submissions 1`
//	COURSEVAULT_BOOK_BIN=<binary>      measure another build (the one before a change)
//	COURSEVAULT_AXE=<axe.min.js>       also run axe-core on the page and list its violations

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"coursevault/db"
)

// bookBench returns the binary and the data dir of the 5,000 × 100 course,
// building what the environment does not name.
func bookBench(b *testing.B) (bin, data string) {
	b.Helper()
	if os.Getenv("COURSEVAULT_BOOK") == "" {
		b.Skip("set COURSEVAULT_BOOK=1 (task bookbench) to build a 5,000 × 100 course and measure its book")
	}
	tmp := b.TempDir()
	if bin = os.Getenv("COURSEVAULT_BOOK_BIN"); bin == "" {
		bin = filepath.Join(tmp, "coursevault")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	if data = os.Getenv("COURSEVAULT_BOOK_DATA"); data == "" {
		data = filepath.Join(tmp, "data")
		start := time.Now()
		out, err := exec.Command(bin, "demo", "--data-dir", data, "--courses", "1", "--students", "5000", "--assignments", "100",
			"--submissions", "1", "--stdout-bytes", "64").CombinedOutput()
		if err != nil {
			b.Fatalf("coursevault demo: %v\n%s", err, out)
		}
		b.Logf("built the 5,000 × 100 demo in %s", time.Since(start).Round(time.Second))
	}
	return bin, data
}

// BenchmarkBookPage opens the book of course 1 in headless Chromium with the
// cache off, twice per run: first just after a score of the course changed
// (its data version moved, so the server reads the book from the database),
// then again (the server has it in memory). It reports ms-load-changed,
// ms-server-changed and ms-cpu-changed: the first view's load, the server's
// time for its HTML (from the request log) and the server's CPU time during
// the view (which a busy machine stretches less than the times); ms-load, the second view's, from navigation
// to the header and first rows shown after the load event; B-transferred,
// bytes on the wire for the page and everything it loads; B-decoded, the
// same uncompressed; ms-scroll, scrolling the grid to its far corner until
// painted; ms-period, from a click on the first period filter until its
// rows are shown.
func BenchmarkBookPage(b *testing.B) {
	bin, data := bookBench(b)
	srv, err := launch(bin, data)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.stop()
	br := newBrowser(b, srv.URL)
	br.signIn("teacher@demo.test")
	var wire, decoded atomic.Int64
	chromedp.ListenTarget(br.ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventLoadingFinished:
			wire.Add(int64(e.EncodedDataLength))
		case *network.EventDataReceived:
			decoded.Add(e.DataLength)
		}
	})
	br.do("turn the cache off", network.Enable(), network.SetCacheDisabled(true))
	change := scoreChanger(b, data)
	open := func() time.Duration {
		start := time.Now()
		bookRun(br, "open the book", chromedp.Navigate(srv.URL+"/courses/1/performance"))
		br.waitEvery("the header and first rows", `document.querySelector("table.book thead th") && document.querySelector("table.book tbody tr th")`, time.Minute, 10*time.Millisecond)
		return time.Since(start)
	}
	var sum struct{ changed, server, cpu, load, scroll, period, wire, decoded float64 }
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		change(i)
		logged, cpu := len(srv.stderr.String()), cpuMS(b, srv.cmd.Process.Pid)
		changed := open()
		server := serverMS(b, srv.stderr.String()[logged:], "/courses/1/performance")
		cpu = cpuMS(b, srv.cmd.Process.Pid) - cpu
		b.Logf("first view after a change: load %d ms, server %d ms (%d ms of CPU for the page and what it loads)", changed.Milliseconds(), server, cpu)
		sum.changed += float64(changed.Milliseconds())
		sum.server += float64(server)
		sum.cpu += float64(cpu)

		wire.Store(0)
		decoded.Store(0)
		load := open()
		time.Sleep(300 * time.Millisecond) // the last loadingFinished events
		w, d := wire.Load(), decoded.Load()
		// The browser's own clock, from the navigation's start: the first
		// byte of the HTML, the first paint with content, the load event.
		var timing []float64
		br.eval(`(() => { const n = performance.getEntriesByType("navigation")[0];
			const fcp = performance.getEntriesByName("first-contentful-paint")[0];
			return [n.responseStart, fcp ? fcp.startTime : -1, n.loadEventEnd]; })()`, &timing)

		var scroll float64
		bookAwait(br, `new Promise(done => {
			const g = document.querySelector(".grid-wrap"), t0 = performance.now();
			g.scrollTop = g.scrollHeight; g.scrollLeft = g.scrollWidth;
			requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
		})`, &scroll)
		var headerStuck bool
		br.eval(`Math.abs(document.querySelector("table.book thead th").getBoundingClientRect().top - document.querySelector(".grid-wrap").getBoundingClientRect().top) < 3`, &headerStuck)
		if !headerStuck {
			br.errorf("the header did not stay on top of the scrolled grid")
		}

		var label string
		br.eval(`document.querySelector("nav.filters a:nth-of-type(2)").textContent.trim()`, &label)
		start := time.Now()
		bookRun(br, "click the first period", chromedp.Click(`nav.filters a:nth-of-type(2)`, chromedp.ByQuery))
		br.waitEvery("the period's rows", `location.search.includes("period=") && document.readyState === "complete" && document.querySelector("nav.filters a[aria-current=page]")?.textContent.trim() === `+strconv.Quote(label)+` && document.querySelector("table.book tbody tr th")`, time.Minute, 10*time.Millisecond)
		period := time.Since(start)

		b.Logf("load %d ms (browser: first byte %.0f ms, first contentful paint %.0f ms, load event %.0f ms), %d B transferred (%d B decoded), scroll %.0f ms, period filter %d ms",
			load.Milliseconds(), timing[0], timing[1], timing[2], w, d, scroll, period.Milliseconds())
		sum.load += float64(load.Milliseconds())
		sum.scroll += scroll
		sum.period += float64(period.Milliseconds())
		sum.wire += float64(w)
		sum.decoded += float64(d)
	}
	n := float64(b.N)
	b.ReportMetric(sum.changed/n, "ms-load-changed")
	b.ReportMetric(sum.server/n, "ms-server-changed")
	b.ReportMetric(sum.cpu/n, "ms-cpu-changed")
	b.ReportMetric(sum.load/n, "ms-load")
	b.ReportMetric(sum.wire/n, "B-transferred")
	b.ReportMetric(sum.decoded/n, "B-decoded")
	b.ReportMetric(sum.scroll/n, "ms-scroll")
	b.ReportMetric(sum.period/n, "ms-period")
	if axe := os.Getenv("COURSEVAULT_AXE"); axe != "" {
		bookAxe(b, br, srv.URL, axe)
	}
}

// scoreChanger returns a function that changes a score of course 1 in the
// data dir's database, as a teacher's edit would (run i sets another value),
// and so moves the course's data version: the server's copy of the book is
// out of date and the next view reads it again.
func scoreChanger(b *testing.B, data string) func(i int) {
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(data, "coursevault.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	assignments, err := d.Assignments(ctx, 1)
	if err != nil || len(assignments) == 0 {
		b.Fatalf("the assignments of course 1: %v", err)
	}
	students, err := d.BookStudents(ctx, 1)
	if err != nil || len(students) == 0 {
		b.Fatalf("the students of course 1: %v", err)
	}
	return func(i int) {
		err := d.InTx(ctx, func(tx *db.Queries) error {
			set, err := tx.PrepareSetScore(ctx)
			if err != nil {
				return err
			}
			defer set.Close()
			return set.Exec(ctx, assignments[0].ID, students[0].UserID, float64(i%10)/10, time.Now())
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

var requestMS = regexp.MustCompile(`ms=([0-9]+)`)

// serverMS is the time the server logged for the first request of path in log.
func serverMS(b *testing.B, log, path string) int64 {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, " path="+path+" ") {
			if m := requestMS.FindStringSubmatch(line); m != nil {
				ms, _ := strconv.ParseInt(m[1], 10, 64)
				return ms
			}
		}
	}
	b.Fatalf("no request of %s in the server's log", path)
	return 0
}

// bookRun is browser.do with room for the book before paging (15 s and more).
func bookRun(br *browser, what string, actions ...chromedp.Action) {
	ctx, cancel := context.WithTimeout(br.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		br.fatalf("%s: %v", what, err)
	}
}

// bookAwait evaluates a promise and waits for its value.
func bookAwait(br *browser, expr string, out any) {
	bookRun(br, "evaluate "+expr, chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// bookAxe runs axe-core (WCAG 2 A and AA rules) on the book, a later page
// of it and a period, and logs each violation.
func bookAxe(b *testing.B, br *browser, base, axePath string) {
	src, err := os.ReadFile(axePath)
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/courses/1/performance", "/courses/1/performance?page=7&sort=avg&dir=desc"} {
		bookRun(br, "open "+path, chromedp.Navigate(base+path))
		br.eval(string(src)+";true", nil)
		var violations []string
		bookAwait(br, `axe.run(document, {runOnly: ["wcag2a", "wcag2aa"]}).then(r => r.violations.map(v => v.id + " (" + v.nodes.length + " nodes): " + v.help))`, &violations)
		b.Logf("axe-core on %s: %d violations %q", path, len(violations), violations)
	}
}

var tokenLine = regexp.MustCompile(`cvpat_\S+`)

// BenchmarkBookAPI asks a fresh server for GET /api/courses/1/performance
// as a teacher's personal token and reports the time to the first byte and
// to the last, the bytes, and the server's peak RSS (VmHWM) before the first
// request and after the last. The first request of a server reads the book
// from the database; later ones find it in the server's cache.
func BenchmarkBookAPI(b *testing.B) {
	bin, data := bookBench(b)
	out, err := exec.Command(bin, "token", "create", "--email", "teacher@demo.test", "--data-dir", data).CombinedOutput()
	token := tokenLine.Find(out)
	if err != nil || token == nil {
		b.Fatalf("token create: %v\n%s", err, out)
	}
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			srv, err := launch(bin, data)
			if err != nil {
				b.Fatal(err)
			}
			defer srv.stop()
			idle := peakRSS(b, srv.cmd.Process.Pid)
			var ttfb, total, size float64
			for i := 0; i < b.N; i++ {
				var first time.Time
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/courses/1/performance", nil)
				req.Header.Set("Authorization", "Bearer "+string(token))
				req.Header.Set("Accept-Encoding", enc)
				req = req.WithContext(httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
					GotFirstResponseByte: func() { first = time.Now() },
				}))
				start := time.Now()
				res, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("status %d: %v", res.StatusCode, err)
				}
				b.Logf("%s request %d: first byte %d ms, last %d ms, %d B", enc, i+1, first.Sub(start).Milliseconds(), time.Since(start).Milliseconds(), n)
				ttfb += float64(first.Sub(start).Milliseconds())
				total += float64(time.Since(start).Milliseconds())
				size += float64(n)
			}
			n := float64(b.N)
			peak := peakRSS(b, srv.cmd.Process.Pid)
			b.Logf("%s: first byte %.0f ms, last %.0f ms, %.1f MB; server peak RSS %d MiB idle, %d MiB after", enc, ttfb/n, total/n, size/n/1e6, idle>>10, peak>>10)
			b.ReportMetric(ttfb/n, "ms-ttfb")
			b.ReportMetric(total/n, "ms-total")
			b.ReportMetric(size/n, "B-body")
			b.ReportMetric(float64(peak>>10), "MiB-peak-rss")
		})
	}
}

// cpuMS reads a process's user and system CPU time in milliseconds.
func cpuMS(b *testing.B, pid int) int64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th, in clock ticks of 10 ms.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return (utime + stime) * 10
}

// peakRSS reads a process's VmHWM in KiB.
func peakRSS(b *testing.B, pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kib, _ := strconv.ParseInt(f[1], 10, 64)
			return kib
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}
