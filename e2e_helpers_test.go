package main

// Helpers for the browser tests in e2e_test.go: build the real binary once,
// start it as a child process on a free port with demo data, and drive
// headless Chromium with chromedp. A failing test leaves a screenshot and the
// page's HTML in .artifacts/.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"coursevault/db/pgtest"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// e2e holds what the browser tests share within one test binary: the built
// server and the one large demo that is slow enough to watch an export run.
var e2e struct {
	buildOnce sync.Once
	dir       string // temp dir with the binary and the shared data dirs
	bin       string
	buildErr  error

	// The large demo is made in the background as soon as the binary is
	// built, while the tests on small demos run; bigReady closes when done.
	bigReady chan struct{}
	big      *server
	bigErr   error
	bigDrop  func() error // drops the large demo's PostgreSQL database
}

func TestMain(m *testing.M) {
	// The browser tests mostly wait for 2 s polling intervals, not for a
	// CPU, so more of them run at once than the default of GOMAXPROCS. An
	// explicit -parallel still wins: m.Run parses the command line after this.
	if p := flag.Lookup("test.parallel"); p != nil && runtime.GOMAXPROCS(0) < 6 {
		p.Value.Set("6")
	}
	code := m.Run()
	if e2e.bigReady != nil {
		<-e2e.bigReady
		if e2e.big != nil {
			e2e.big.stop()
		}
		if e2e.bigDrop != nil {
			e2e.bigDrop()
		}
	}
	if e2e.dir != "" {
		os.RemoveAll(e2e.dir)
	}
	os.Exit(code)
}

// browserPath finds Chromium or skips the test; in CI a missing browser fails.
func browserPath(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped in -short mode")
	}
	for _, name := range []string{os.Getenv("COURSEVAULT_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true requires the browser tests: apt-get install -y chromium")
	}
	t.Skip("chromium is not installed: skipping the browser tests (apt-get install -y chromium to run them)")
	return ""
}

// binary builds coursevault once per test run and returns its path; a run
// that will skip for want of a browser skips here, before building anything.
func binary(t *testing.T) string {
	t.Helper()
	browserPath(t)
	e2e.buildOnce.Do(func() {
		if e2e.dir, e2e.buildErr = os.MkdirTemp("", "coursevault-e2e-"); e2e.buildErr != nil {
			return
		}
		e2e.bin = filepath.Join(e2e.dir, "coursevault")
		out, err := exec.Command("go", "build", "-o", e2e.bin, ".").CombinedOutput()
		if err != nil {
			e2e.buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		e2e.bigReady = make(chan struct{})
		go startBig()
	})
	if e2e.buildErr != nil {
		t.Fatal(e2e.buildErr)
	}
	return e2e.bin
}

// logBuffer collects a child's output; safe to read while it writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a running `coursevault serve`.
type server struct {
	URL     string
	DataDir string
	cmd     *exec.Cmd
	stdout  *logBuffer
	stderr  *logBuffer // the request log: one line per request with path=
	exited  chan struct{}
	once    sync.Once
}

var servingLine = regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)`)

// fillDemo runs `coursevault demo` into an empty data dir (a larger demo than
// serve --demo makes, or one made before serve starts with a small quota).
func fillDemo(t *testing.T, dataDir string, args ...string) {
	t.Helper()
	out, err := exec.Command(binary(t), withDatabase(t, append([]string{"demo", "--data-dir", dataDir}, args...))...).CombinedOutput()
	if err != nil {
		t.Fatalf("coursevault demo: %v\n%s", err, out)
	}
}

// startServer starts serve --demo on a free port over dataDir and stops it
// with SIGTERM when the test ends.
func startServer(t *testing.T, dataDir string, args ...string) *server {
	t.Helper()
	s, err := launch(binary(t), dataDir, append(databaseFlags(t, dataDir), args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server log (%s):\n%s", s.URL, tail(s.stderr.String(), 40))
		}
	})
	return s
}

func launch(bin, dataDir string, args ...string) (*server, error) {
	s := &server{DataDir: dataDir, stdout: &logBuffer{}, stderr: &logBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--poll-interval", "200ms", "--shutdown-grace", "3s"}, args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start serve: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	deadline := time.After(demoWait(30 * time.Second))
	for {
		if m := servingLine.FindStringSubmatch(s.stdout.String()); m != nil {
			s.URL = m[1]
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("serve exited before serving:\n%s\n%s", s.stdout, s.stderr)
		case <-deadline:
			s.stop()
			return nil, fmt.Errorf("serve did not print its URL within %s:\n%s\n%s", demoWait(30*time.Second), s.stdout, s.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits; a server that ignores it is killed.
func (s *server) stop() {
	s.once.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
}

// requests counts the logged requests for exactly path (any method).
func (s *server) requests(path string) int {
	return strings.Count(s.stderr.String(), " path="+path+" ")
}

// bigServer is one server per test run over a demo with 300 KB of output per
// submission: an archive with stdout takes seconds, so the tests can watch
// it run and cancel it. Tests using it must not depend on each other's rows.
func bigServer(t *testing.T) *server {
	t.Helper()
	binary(t)
	select {
	case <-e2e.bigReady:
	case <-time.After(demoWait(2 * time.Minute)):
		t.Fatalf("the large demo was not ready within %s", demoWait(2*time.Minute))
	}
	if errors.Is(e2e.bigErr, pgtest.ErrNoServer) && os.Getenv("CI") != "true" {
		t.Skip(e2e.bigErr)
	}
	if e2e.bigErr != nil {
		t.Fatal(e2e.bigErr)
	}
	return e2e.big
}

func startBig() {
	defer close(e2e.bigReady)
	dir := filepath.Join(e2e.dir, "big")
	database, drop, err := lastingDatabase(dir)
	if err != nil {
		e2e.bigErr = err
		return
	}
	e2e.bigDrop = drop
	out, err := exec.Command(e2e.bin, append([]string{"demo", "--data-dir", dir, "--courses", "1", "--students", "100", "--stdout-bytes", "300000"}, database...)...).CombinedOutput()
	if err != nil {
		e2e.bigErr = fmt.Errorf("coursevault demo: %v\n%s", err, out)
		return
	}
	e2e.big, e2e.bigErr = launch(e2e.bin, dir, database...)
}

// demoWait is how long to wait for a demo to be written: longer on
// PostgreSQL, where a demo takes about twice as long as on SQLite when the
// machine is idle (every row a round trip to the server, the large demo's
// 500 MB of output through it) and far longer while the browser tests load
// the server's two cores.
func demoWait(d time.Duration) time.Duration {
	if pgtest.Enabled() {
		return 3 * d
	}
	return d
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// browser is one headless Chromium with a fresh profile, pointed at a server.
type browser struct {
	t     testing.TB
	ctx   context.Context
	base  string
	saved bool
}

const stepTimeout = 20 * time.Second

func newBrowser(t testing.TB, base string) *browser {
	t.Helper()
	path := browserPath(t)
	// Not t.TempDir: Chromium's helpers may still write into the profile for
	// a moment after the browser exits, which would fail the test's cleanup.
	profile, err := os.MkdirTemp("", "coursevault-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, base: base}
	t.Cleanup(func() {
		if t.Failed() && !b.saved {
			t.Logf("artifacts: %s", b.saveArtifacts())
		}
		cancelTab()
		cancelAlloc()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	// hx-confirm asks with window.confirm; a test always says yes.
	chromedp.ListenTarget(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go chromedp.Run(ctx, page.HandleJavaScriptDialog(true))
		}
	})
	if err := chromedp.Run(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return b
}

// saveArtifacts writes a screenshot and the page HTML to .artifacts/ and
// says where they are.
func (b *browser) saveArtifacts() string {
	b.saved = true
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(b.t.Name(), "_")
	if err := os.MkdirAll(".artifacts", 0o755); err != nil {
		return "could not create .artifacts: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	var png []byte
	var html string
	err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100), chromedp.OuterHTML("html", &html, chromedp.ByQuery))
	if err != nil {
		return "could not capture the page: " + err.Error()
	}
	pngPath, htmlPath := filepath.Join(".artifacts", name+".png"), filepath.Join(".artifacts", name+".html")
	os.WriteFile(pngPath, png, 0o644)
	os.WriteFile(htmlPath, []byte(html), 0o644)
	return "screenshot " + pngPath + " and page HTML " + htmlPath
}

// fatalf fails the test after saving the page as artifacts.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	b.t.Fatalf("%s\n(saved %s)", msg, b.saveArtifacts())
}

// errorf records a failure and goes on; the artifacts are saved at the end.
func (b *browser) errorf(format string, args ...any) {
	b.t.Helper()
	b.t.Errorf(format, args...)
}

// do runs actions with a time limit and fails the test with artifacts on error.
func (b *browser) do(what string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	b.do("evaluate "+expr, chromedp.Evaluate(expr, out))
}

// waitFor polls a boolean JavaScript expression until it is true.
func (b *browser) waitFor(what, expr string, timeout time.Duration) {
	b.t.Helper()
	b.waitEvery(what, expr, timeout, 100*time.Millisecond)
}

// waitEvery is waitFor polling every interval (finer for measurements).
func (b *browser) waitEvery(what, expr string, timeout, interval time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		err := chromedp.Run(ctx, chromedp.Evaluate("!!("+expr+")", &ok))
		cancel()
		if err != nil && !navigating(err) {
			b.fatalf("evaluate %s: %v", expr, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.fatalf("waited %s for %s (%s): last error %v", timeout, what, expr, err)
		}
		time.Sleep(interval)
	}
}

// navigating reports whether an evaluation failed because the page was
// being replaced (a form's redirect landing between two polls): not yet,
// rather than a failure.
func navigating(err error) bool {
	for _, m := range []string{"navigated or closed", "Execution context was destroyed", "Cannot find context with specified id", "Not attached to an active page"} {
		if strings.Contains(err.Error(), m) {
			return true
		}
	}
	return false
}

// open loads a path of the server and waits for the page.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady("body", chromedp.ByQuery))
}

func (b *browser) signIn(email string) {
	b.t.Helper()
	b.open("/signin")
	b.do("sign in as "+email,
		chromedp.SendKeys("#email", email, chromedp.ByID),
		chromedp.SendKeys("#password", demoPassword, chromedp.ByID),
		chromedp.Click(`form[action="/signin"] button[type=submit]`, chromedp.ByQuery),
	)
	b.waitFor("the course list after signing in", `location.pathname === "/courses" && document.readyState === "complete"`, 10*time.Second)
}

// text returns the trimmed text of the first element matching a selector
// ("" if none).
func (b *browser) text(selector string) string {
	b.t.Helper()
	var s string
	b.eval(fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? "").trim().replace(/\s+/g, " ")`, selector), &s)
	return s
}

// tabTo presses Tab until the focused element matches selector, proving
// the control is reachable by keyboard.
func (b *browser) tabTo(selector string) {
	b.t.Helper()
	for i := 0; i < 40; i++ {
		var ok bool
		b.eval(fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, selector), &ok)
		if ok {
			return
		}
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
	}
	var at string
	b.eval(`document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "nothing"`, &at)
	b.fatalf("40 presses of Tab did not reach %s; focus is on %s", selector, at)
}

// focusIsVisible reports whether the focused element draws a focus ring.
func (b *browser) focusIsVisible() bool {
	b.t.Helper()
	var ok bool
	b.eval(`(() => {
		const el = document.activeElement, cs = getComputedStyle(el);
		const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0;
		return el.matches(":focus-visible") && (outline || (cs.boxShadow && cs.boxShadow !== "none"));
	})()`, &ok)
	return ok
}

// unlabelled lists the page's form controls and progress bars that have no
// accessible name, and a missing live region.
func (b *browser) unlabelled() []string {
	b.t.Helper()
	var bad []string
	b.eval(`(() => {
		const bad = [];
		for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button, progress, a[role=button]")) {
			const byLabel = el.labels && [...el.labels].map(l => l.textContent).join(" ").trim();
			const byAria = (el.getAttribute("aria-label") || "").trim();
			const byRef = (el.getAttribute("aria-labelledby") || "").split(/\s+/).map(id => document.getElementById(id)?.textContent || "").join(" ").trim();
			const byText = (el.tagName === "BUTTON" || el.tagName === "A") ? el.textContent.trim() : "";
			if (!byLabel && !byAria && !byRef && !byText) bad.push(el.outerHTML.slice(0, 160));
		}
		const live = document.getElementById("live");
		if (!live || !live.getAttribute("aria-live")) bad.push("no #live region with aria-live");
		return bad;
	})()`, &bad)
	return bad
}

// rowIDs lists the ids of the rows in a table body.
func (b *browser) rowIDs(tbody string) []string {
	b.t.Helper()
	var ids []string
	b.eval(fmt.Sprintf(`[...document.querySelectorAll("%s > tr")].map(r => r.id)`, tbody), &ids)
	return ids
}

// newRow waits for a row that was not in before and returns its id.
func (b *browser) newRow(tbody string, before []string) string {
	b.t.Helper()
	seen := make(map[string]bool, len(before))
	for _, id := range before {
		seen[id] = true
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, id := range b.rowIDs(tbody) {
			if !seen[id] {
				return id
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.fatalf("no new row appeared in %s after the export request (rows before: %v)", tbody, before)
	return ""
}

// rowState is what a test sees of an export row at one moment.
type rowState struct {
	Status        string `json:"status"`
	Words         string `json:"words"`
	Polls         bool   `json:"polls"`    // carries hx-get
	HasProgress   bool   `json:"progress"` // a <progress> element
	ProgressLabel string `json:"label"`
	Value         string `json:"value"` // "" while indeterminate
	Max           string `json:"max"`
	Error         string `json:"error"`
	Href          string `json:"href"` // the download link when ready
	Download      string `json:"download"`
	Retry         bool   `json:"retry"`
	Cancel        bool   `json:"cancel"`
}

func (b *browser) row(id string) (rowState, bool) {
	b.t.Helper()
	var st *rowState
	b.eval(fmt.Sprintf(`(() => {
		const r = document.getElementById(%q);
		if (!r) return null;
		const p = r.querySelector("progress"), a = r.querySelector("a[download]");
		return {
			status: r.dataset.status, words: r.querySelector(".status")?.textContent.trim() ?? "",
			polls: r.hasAttribute("hx-get"), progress: !!p,
			label: p?.getAttribute("aria-label") ?? "", value: p?.getAttribute("value") ?? "", max: p?.getAttribute("max") ?? "",
			error: r.querySelector(".error")?.textContent.trim() ?? "",
			href: a?.getAttribute("href") ?? "", download: a?.getAttribute("download") ?? "",
			retry: !!r.querySelector("form[action$='/retry'] button"), cancel: !!r.querySelector("form[action$='/cancel'] button"),
		};
	})()`, id), &st)
	if st == nil {
		return rowState{}, false
	}
	return *st, true
}

// refreshRow fetches a pending row's poll URL into it every 150 ms, one
// request at a time, until the row stops polling: what the row's own 2 s
// poll does, often enough to see a running export's progress on a machine
// where the export takes a second. The last request is the one that
// brought the final row, so nothing follows it.
func (b *browser) refreshRow(id string) {
	b.t.Helper()
	b.eval(fmt.Sprintf(`(async () => {
		for (;;) {
			const r = document.getElementById(%[1]q);
			if (!r || !r.hasAttribute("hx-get")) return;
			await htmx.ajax("GET", r.getAttribute("hx-get"), {target: "#" + %[1]q, swap: "outerHTML"});
			await new Promise(done => setTimeout(done, 150));
		}
	})(), true`, id), nil)
}

// watchRow records every distinct state of a row until done says stop.
func (b *browser) watchRow(id string, timeout time.Duration, done func(rowState) bool) []rowState {
	b.t.Helper()
	var seen []rowState
	deadline := time.Now().Add(timeout)
	var missing time.Time // since when the row is not in the page
	for {
		st, ok := b.row(id)
		if !ok {
			// A click that lands while a poll swaps the row can post the
			// form without htmx: the page reloads and the row comes back.
			if missing.IsZero() {
				missing = time.Now()
			}
			if time.Since(missing) > 5*time.Second {
				b.fatalf("row %s disappeared; seen so far: %+v", id, seen)
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		missing = time.Time{}
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		if done(st) {
			return seen
		}
		if time.Now().After(deadline) {
			b.fatalf("row %s did not reach the expected state within %s; seen: %+v", id, timeout, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func final(st rowState) bool { return !st.Polls && st.Status != "queued" && st.Status != "running" }

// get fetches a path with the browser's cookies (the signed-in session) and
// returns the response with its body read.
func (b *browser) get(path string) (*http.Response, []byte) {
	b.t.Helper()
	var cookies []*network.Cookie
	b.do("read cookies", chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{b.base}).Do(ctx)
		return err
	}))
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.fatalf("request %s: %v", path, err)
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		b.fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.fatalf("read %s: %v", path, err)
	}
	return res, body
}

// screenshotForDocs writes a PNG of the page for the README, only when
// COURSEVAULT_SCREENSHOTS=1 (a normal test run leaves docs/ alone).
func (b *browser) screenshotForDocs(path string) {
	b.t.Helper()
	if os.Getenv("COURSEVAULT_SCREENSHOTS") != "1" {
		return
	}
	// The whole page at the top, without a passing toast over the rows.
	var png []byte
	b.do("screenshot "+path,
		chromedp.Evaluate(`document.querySelectorAll(".toast").forEach(t => t.remove()); document.activeElement.blur(); window.scrollTo(0, 0)`, nil),
		chromedp.FullScreenshot(&png, 100),
	)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("wrote %s (%d KB)", path, len(png)>>10)
}

// quietPeriod is how long a finished row must stay unpolled: 2.5 times the
// rows' 2 s polling interval.
const quietPeriod = 5 * time.Second

// pollWatch remembers how often a row's URL was requested when it turned final.
type pollWatch struct {
	srv   *server
	path  string
	since time.Time
	n     int
}

// watchPolls starts the quiet period of a row that just turned final. The
// server logs a request after answering it, so the count settles briefly first.
func (s *server) watchPolls(rowID, base string) pollWatch {
	since := time.Now()
	time.Sleep(300 * time.Millisecond)
	path := base + "/" + strings.TrimPrefix(rowID, "export-")
	return pollWatch{srv: s, path: path, since: since, n: s.requests(path)}
}

// checkPollingStopped waits out the quiet period and fails if the row was
// never polled while pending or was polled again after it was final.
func (b *browser) checkPollingStopped(w pollWatch) {
	b.t.Helper()
	if w.n == 0 {
		b.errorf("the pending row never polled %s (the server logged no request for it)", w.path)
	}
	time.Sleep(time.Until(w.since.Add(quietPeriod)))
	if after := w.srv.requests(w.path); after != w.n {
		b.errorf("polling did not stop: %d more requests for %s arrived in the %s after the row was final (%d before)", after-w.n, w.path, quietPeriod, w.n)
		return
	}
	b.t.Logf("%s was polled %d times while pending, then not once in %s", w.path, w.n, quietPeriod)
}

// api calls the JSON API with a personal access token and decodes the answer.
func (s *server) api(t *testing.T, token, method, path, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
}

// token makes a personal access token for email with the command line.
func (s *server) token(t *testing.T, email string) string {
	t.Helper()
	out, err := exec.Command(binary(t), withDatabase(t, []string{"token", "create", "--data-dir", s.DataDir, "--email", email})...).Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// apiExport is the part of the API's export JSON the tests read.
type apiExport struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	URL    string `json:"url"`
}

// readyExport polls the API until an archive is final and returns it.
func (s *server) readyExport(t *testing.T, token string, courseID, id int64) apiExport {
	t.Helper()
	var e apiExport
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		s.api(t, token, http.MethodGet, fmt.Sprintf("/api/courses/%d/exports/%d", courseID, id), "", &e)
		if e.Status != "queued" && e.Status != "running" {
			break
		}
	}
	if e.Status != "ready" || e.URL == "" {
		t.Fatalf("export %d did not become ready: %+v", id, e)
	}
	return e
}
