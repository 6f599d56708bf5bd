package main

// Fault tests at the process level: the real binary is built once, started on
// a data directory, killed with SIGKILL in the middle of an export, and
// started again; and a database held by another process while the app writes.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs/archive"
)

var (
	vaultBinOnce sync.Once
	vaultBinPath string
	vaultBinErr  error
)

// vaultBinary builds the coursevault binary once per test binary. It goes to
// a fixed place under the temp dir (renamed into place, so a concurrent run
// never sees half a binary) because no TestMain may clean up a temp dir. The
// place is per source tree: two checkouts tested at once (another branch, an
// older schema) must not run each other's binary.
func vaultBinary(t testing.TB) string {
	t.Helper()
	vaultBinOnce.Do(func() {
		wd, _ := os.Getwd()
		tree := sha256.Sum256([]byte(wd))
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("coursevault-test-bin-%x", tree[:6]))
		if vaultBinErr = os.MkdirAll(dir, 0o755); vaultBinErr != nil {
			return
		}
		tmp := filepath.Join(dir, fmt.Sprintf(".build-%d", os.Getpid()))
		out, err := exec.Command("go", "build", "-o", tmp, ".").CombinedOutput()
		if err != nil {
			vaultBinErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		vaultBinPath = filepath.Join(dir, "coursevault")
		vaultBinErr = os.Rename(tmp, vaultBinPath)
	})
	if vaultBinErr != nil {
		t.Fatal(vaultBinErr)
	}
	return vaultBinPath
}

// vaultRun runs one command of the binary to its end and returns its stdout.
func vaultRun(t testing.TB, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(vaultBinary(t), withDatabase(t, args)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("coursevault %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// vaultDemo makes a data directory with demo data of the given flags and a
// bearer token of the demo's course admin.
func vaultDemo(t testing.TB, dir string, demoFlags ...string) (token string) {
	t.Helper()
	return vaultDemoOn(t, dir, nil, demoFlags...)
}

// vaultDemoOn is vaultDemo on the store the flags name (see sharedStore;
// none: the data directory's).
func vaultDemoOn(t testing.TB, dir string, store []string, demoFlags ...string) (token string) {
	t.Helper()
	vaultRun(t, slices.Concat([]string{"demo", "--data-dir", dir}, store, demoFlags)...)
	return strings.TrimSpace(vaultRun(t, "token", "create", "--email", "instructor@demo.test", "--data-dir", dir))
}

// vaultProc is a running `coursevault serve`.
type vaultProc struct {
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
	log  *syncBuffer // stderr: the server's structured log
	done chan struct{}
}

var (
	vaultServing = regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)`)
	vaultWorking = regexp.MustCompile(`worker running`)
)

// startVault starts serve on dir on a free loopback port and waits until it
// listens. It is killed at the end of the test if still running.
func startVault(t testing.TB, dir string, extra ...string) *vaultProc {
	t.Helper()
	p := startCommand(t, vaultServing, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir}, extra...)...)
	p.base = vaultServing.FindStringSubmatch(p.out.String())[1]
	return p
}

// startWorker starts `coursevault worker` on dir and waits until it runs.
func startWorker(t testing.TB, dir string, extra ...string) *vaultProc {
	t.Helper()
	return startCommand(t, vaultWorking, append([]string{"worker", "--data-dir", dir}, extra...)...)
}

// startCommand starts the binary with args and waits until its stdout
// matches ready. It is killed at the end of the test if still running.
func startCommand(t testing.TB, ready *regexp.Regexp, args ...string) *vaultProc {
	t.Helper()
	p := &vaultProc{cmd: exec.Command(vaultBinary(t), withDatabase(t, args)...), out: &syncBuffer{}, log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ready.MatchString(p.out.String()) {
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited: %s\n%s", args[0], p.out.String(), p.log.String())
		default:
		}
	}
	t.Fatalf("%s did not start: %s\n%s", args[0], p.out.String(), p.log.String())
	return nil
}

// kill sends SIGKILL: no shutdown code runs, as in a power cut of the process.
func (p *vaultProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

// serverErrors returns the log lines a user-facing failure would leave: any
// 5xx request, any ERROR, and SQLite's busy/locked errors wherever they show.
func (p *vaultProc) serverErrors() []string {
	var bad []string
	for _, line := range strings.Split(p.log.String(), "\n") {
		if strings.Contains(line, "level=ERROR") || regexp.MustCompile(`status=5\d\d`).MatchString(line) ||
			strings.Contains(line, "database is locked") || strings.Contains(line, "SQLITE_BUSY") {
			bad = append(bad, line)
		}
	}
	return bad
}

// vaultAPI calls the JSON API with a bearer token, and downloads files with
// a browser session of the same user: /files/ URLs do not take bearer tokens.
type vaultAPI struct {
	t       testing.TB
	base    string
	token   string
	hc      *http.Client
	browser *http.Client
}

func newVaultAPI(t testing.TB, base, token string) *vaultAPI {
	browser, _ := vaultSignIn(t, base, "instructor@demo.test")
	return &vaultAPI{t: t, base: base, token: token, hc: &http.Client{Timeout: 30 * time.Second}, browser: browser}
}

// do sends a request; out (if not nil) receives the decoded JSON of a 2xx answer.
func (a *vaultAPI) do(method, path, body string, out any) int {
	a.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = a.base + path
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	hc := a.hc
	if strings.HasPrefix(req.URL.Path, "/files/") {
		hc = a.browser
	} else {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	if out != nil && res.StatusCode/100 == 2 {
		if buf, ok := out.(*[]byte); ok {
			*buf = b
		} else if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return res.StatusCode
}

// vaultExport is the part of an API export the tests look at.
type vaultExport struct {
	ID       int64  `json:"id"`
	Status   string `json:"status"`
	Error    string `json:"error"`
	URL      string `json:"url"`
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Progress struct {
		Done  int64  `json:"done"`
		Total int64  `json:"total"`
		Stage string `json:"stage"`
	} `json:"progress"`
}

type vaultBookFile struct {
	Filename string `json:"filename"`
	URL      string `json:"url"`
}

// checkBookFiles downloads every listed workbook and checks that it is a
// whole zip (xlsx) whose every entry reads back with a good CRC: a listed
// file is never a partial one.
func (a *vaultAPI) checkBookFiles(courseID int64) int {
	a.t.Helper()
	var list []vaultBookFile
	if code := a.do("GET", fmt.Sprintf("/api/courses/%d/performance/exports", courseID), "", &list); code != http.StatusOK {
		a.t.Fatalf("list workbooks: %d", code)
	}
	for _, f := range list {
		var b []byte
		if code := a.do("GET", f.URL, "", &b); code != http.StatusOK {
			a.t.Fatalf("listed workbook %s does not download: %d", f.Filename, code)
		}
		if err := checkWholeZip(b); err != nil {
			a.t.Fatalf("listed workbook %s is not whole: %v", f.Filename, err)
		}
	}
	return len(list)
}

func checkWholeZip(b []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

// largestTemp is the size of the largest temp file in the attachment
// directory (0 when there is none).
func largestTemp(t testing.TB, dataDir string) int64 {
	t.Helper()
	var n int64
	for _, name := range tempFiles(t, dataDir) {
		if fi, err := os.Stat(name); err == nil {
			n = max(n, fi.Size())
		}
	}
	return n
}

// tempFiles lists the temp files (".tmp-*") in the attachment directory.
func tempFiles(t testing.TB, dataDir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dataDir, "attachments", ".tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestKill_exportSurvivesSIGKILL kills serve with SIGKILL while a large
// archive (with stdout) and a workbook are being made, starts it again on the
// same data directory, and checks that the jobs finish, the archive verifies,
// no temp file is left and no partial file was ever listed.
func TestKill_exportSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test builds the binary and a 180 MB demo; skipped under -short")
	}
	start := time.Now()
	dir := t.TempDir()
	token := vaultDemo(t, dir, "--students", "300", "--assignments", "20", "--submissions", "2", "--stdout-bytes", "20000")
	t.Logf("binary and demo ready in %s", time.Since(start).Round(time.Millisecond))

	srv := startVault(t, dir, "--poll-interval", "200ms", "--job-lease", "3s")
	api := newVaultAPI(t, srv.base, token)
	var ex vaultExport
	if code := api.do("POST", "/api/courses/1/exports", `{"include_stdout":true}`, &ex); code != http.StatusAccepted {
		t.Fatalf("request archive: %d", code)
	}
	if code := api.do("POST", "/api/courses/1/performance/export", "", nil); code != http.StatusAccepted {
		t.Fatalf("request workbook: %d", code)
	}
	exportPath := fmt.Sprintf("/api/courses/1/exports/%d", ex.ID)

	// Until the archive's job has written a megabyte (the workbook is far
	// smaller), every answer must say queued or running and offer no file.
	// The temp file is watched directly: an archive can take well under a
	// second on a fast machine, less than one progress report.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("archive never ran: %+v", ex)
		}
		if largestTemp(t, dir) > 1<<20 {
			break
		}
		if code := api.do("GET", exportPath, "", &ex); code != http.StatusOK {
			t.Fatalf("get export: %d", code)
		}
		if (ex.Status != "queued" && ex.Status != "running") || ex.URL != "" {
			t.Fatalf("before the kill the archive is %q with url %q", ex.Status, ex.URL)
		}
		api.checkBookFiles(1)
	}
	killedAt := time.Now()
	srv.kill()
	t.Logf("killed at %d/%d (%s), %s after start", ex.Progress.Done, ex.Progress.Total, ex.Progress.Stage, killedAt.Sub(start).Round(time.Millisecond))
	if tmps := tempFiles(t, dir); len(tmps) == 0 {
		t.Fatal("the killed archive job left no temp file: the test did not kill it mid-write")
	}

	srv = startVault(t, dir, "--poll-interval", "200ms", "--job-lease", "3s")
	api = newVaultAPI(t, srv.base, token)
	seen := map[string]int{}
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("archive not ready after the restart: %+v (seen %v)", ex, seen)
		}
		if code := api.do("GET", exportPath, "", &ex); code != http.StatusOK {
			t.Fatalf("get export: %d", code)
		}
		seen[ex.Status]++
		if ex.Status == "ready" {
			break
		}
		if (ex.Status != "queued" && ex.Status != "running") || ex.URL != "" {
			t.Fatalf("after the restart the archive is %q (%s) with url %q", ex.Status, ex.Error, ex.URL)
		}
		api.checkBookFiles(1)
	}
	t.Logf("archive ready %s after the kill (states seen after restart: %v)", time.Since(killedAt).Round(time.Millisecond), seen)

	var zipBytes []byte
	if code := api.do("GET", ex.URL, "", &zipBytes); code != http.StatusOK {
		t.Fatalf("download archive: %d", code)
	}
	if int64(len(zipBytes)) != ex.Size {
		t.Fatalf("downloaded %d bytes, the row says %d", len(zipBytes), ex.Size)
	}
	zipPath := filepath.Join(t.TempDir(), ex.Filename)
	if err := os.WriteFile(zipPath, zipBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := archive.VerifyFile(zipPath)
	if err != nil {
		t.Fatalf("the archive made after the kill does not verify: %v", err)
	}
	if !m.Options.IncludeStdout {
		t.Error("the archive lost its include_stdout option across the restart")
	}

	for deadline := time.Now().Add(30 * time.Second); api.checkBookFiles(1) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the workbook never became ready")
		}
	}
	// The killed process's temp file names its pid: the start-up sweep
	// removes it at once, though it is younger than the sweep's grace.
	if tmps := tempFiles(t, dir); len(tmps) > 0 {
		t.Errorf("orphaned temp files remain after the restart finished the jobs (the start-up sweep spares temps younger than a minute): %v", tmps)
	}
	if bad := srv.serverErrors(); len(bad) > 0 {
		t.Errorf("server errors after the restart:\n%s", strings.Join(bad, "\n"))
	}
	t.Logf("whole kill test %s", time.Since(start).Round(time.Millisecond))
}

// vaultSignIn signs in through the form like a browser and returns a client
// carrying the session cookie, and the session's CSRF token.
func vaultSignIn(t testing.TB, base, email string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrf := func(path string) string {
		res, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := regexp.MustCompile(`name="_csrf" value="([0-9a-f]+)"`).FindSubmatch(b)
		if res.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("GET %s: %d, no CSRF token", path, res.StatusCode)
		}
		return string(m[1])
	}
	res, err := hc.PostForm(base+"/signin", url.Values{"email": {email}, "password": {demoPassword}, "_csrf": {csrf("/signin")}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", email, res.StatusCode)
	}
	return hc, csrf("/courses/1/exports")
}

// TestBusyDatabase_usersNeverSeeLocked holds the database from a second
// handle (another connection, as a backup tool or the CLI would) while the
// app signs in, queues and finishes jobs and deletes: first a long read
// transaction, then a write lock held for two seconds. Every request must
// succeed (the write lock only delays them) and the log must show no
// "database is locked".
func TestBusyDatabase_usersNeverSeeLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the binary; skipped under -short")
	}
	dir := t.TempDir()
	token := vaultDemo(t, dir, "--students", "40", "--assignments", "6", "--submissions", "1", "--stdout-bytes", "2000")
	srv := startVault(t, dir, "--poll-interval", "200ms", "--job-lease", "3s")
	api := newVaultAPI(t, srv.base, token)
	ctx := context.Background()
	other := openDataDir(t, dir)

	// workload makes every kind of write the app does for a user and checks
	// each answer; it returns the slowest request.
	workload := func(round int) time.Duration {
		var slowest time.Duration
		timed := func(what string, want int, f func() int) {
			t.Helper()
			t0 := time.Now()
			if code := f(); code != want {
				t.Errorf("round %d, %s: status %d, want %d", round, what, code, want)
			}
			slowest = max(slowest, time.Since(t0))
		}
		t0 := time.Now()
		hc, csrf := vaultSignIn(t, srv.base, "instructor@demo.test")
		slowest = time.Since(t0)
		form := func(path string, v url.Values) int {
			v.Set("_csrf", csrf)
			res, err := hc.PostForm(srv.base+path, v)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		var ex vaultExport
		body := fmt.Sprintf(`{"include_stdout":%t,"include_files":true}`, round%2 == 0)
		timed("POST archive", http.StatusAccepted, func() int { return api.do("POST", "/api/courses/1/exports", body, &ex) })
		timed("POST workbook (form)", http.StatusSeeOther, func() int { return form("/courses/1/performance/exports", url.Values{}) })
		timed("GET exports tab", http.StatusOK, func() int {
			res, err := hc.Get(srv.base + "/courses/1/exports")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		})
		for deadline := time.Now().Add(30 * time.Second); ex.Status != "ready"; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) || ex.Status == "failed" {
				t.Fatalf("round %d: archive %+v", round, ex)
			}
			timed("GET export", http.StatusOK, func() int { return api.do("GET", fmt.Sprintf("/api/courses/1/exports/%d", ex.ID), "", &ex) })
		}
		timed("DELETE export", http.StatusNoContent, func() int {
			return api.do("DELETE", fmt.Sprintf("/api/courses/1/exports/%d", ex.ID), "", nil)
		})
		timed("sign out", http.StatusSeeOther, func() int { return form("/signout", url.Values{}) })
		return slowest
	}

	// A long read: a snapshot held open for the whole round.
	release := make(chan struct{})
	readDone := make(chan error, 1)
	go func() {
		readDone <- other.ReadTx(ctx, func(tx *db.Queries) error {
			if _, err := tx.CourseByID(ctx, 1); err != nil { // the snapshot starts here
				return err
			}
			<-release
			return nil
		})
	}()
	slow := workload(1)
	close(release)
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	t.Logf("with a long read open: slowest request %s", slow.Round(time.Millisecond))

	// A write lock held for 2 s (well under the 10 s busy timeout) while the
	// app writes: requests wait, none fails.
	hold := 2 * time.Second
	locked := make(chan struct{})
	lockDone := make(chan error, 1)
	go func() {
		lockDone <- other.InTx(ctx, func(tx *db.Queries) error {
			close(locked)
			time.Sleep(hold)
			return nil
		})
	}()
	<-locked
	slow = workload(2)
	if err := <-lockDone; err != nil {
		t.Fatal(err)
	}
	t.Logf("with a 2 s write lock held by another connection: slowest request %s", slow.Round(time.Millisecond))
	if slow < hold/2 {
		t.Errorf("no request waited for the write lock (slowest %s): the test did not hold the database", slow)
	}
	if bad := srv.serverErrors(); len(bad) > 0 {
		t.Errorf("errors reached the log:\n%s", strings.Join(bad, "\n"))
	}
}

// TestKill_importSurvivesSIGKILL kills serve with SIGKILL while an import
// job writes a large course, starts it again, and checks that the job's
// retry imports the course once, whole, and that no page or lookup ever
// showed it half written.
func TestKill_importSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test builds the binary and a large demo; skipped under -short")
	}
	dir := t.TempDir()
	vaultDemo(t, dir, "--courses", "1", "--students", "300", "--assignments", "20", "--submissions", "2", "--stdout-bytes", "8000")
	zipPath := filepath.Join(t.TempDir(), "cs101.zip")
	vaultRun(t, "export", "course", "--data-dir", dir, "--course", "1", "--include-stdout", "--out", zipPath)
	ctx := context.Background()
	other := openDataDir(t, dir)
	// hidden checks the truth from outside: the copy is not to be seen
	// until its import is done.
	hidden := func(when string) {
		t.Helper()
		if c, err := other.CourseByCode(ctx, "CS101-COPY"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("%s: the course being imported is visible: %+v %v", when, c, err)
		}
	}

	// The kill comes once the import has written some of its submissions,
	// seen in the database itself: on a fast machine the writing takes less
	// than one progress report.
	raw := rawDataDir(t, dir)
	writtenSubmissions := func() (n int) {
		t.Helper()
		err := raw.QueryRow(`SELECT count(*) FROM submissions s JOIN assignments a ON a.id = s.assignment_id
			JOIN courses c ON c.id = a.course_id WHERE c.restoring_by IS NOT NULL`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	srv := startVault(t, dir, "--poll-interval", "200ms", "--job-lease", "3s")
	hc, csrf := vaultSignIn(t, srv.base, "admin@demo.test")
	rowPath := uploadImport(t, hc, srv.base, csrf, "CS101-COPY", zipPath)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if n := writtenSubmissions(); n > 0 {
			srv.kill()
			t.Logf("killed after %d submissions were written", n)
			break
		}
		status, row := importRow(t, hc, srv.base+rowPath)
		if time.Now().After(deadline) || status != "queued" && status != "running" {
			t.Fatalf("the import never wrote its rows: %s", row)
		}
		hidden("before the kill")
	}
	hidden("after the kill")
	if n, err := other.CountCourses(ctx); err != nil || n != 2 {
		t.Fatalf("%d courses after the kill (%v); want the demo's and the hidden half-written one", n, err)
	}

	orig, err := other.CourseByCode(ctx, "CS101")
	if err != nil {
		t.Fatal(err)
	}
	// sameRows compares the copy's rows with the original's.
	sameRows := func(copied db.Course) (got, want db.ArchiveCounts, same bool) {
		t.Helper()
		if err := other.ReadTx(ctx, func(tx *db.Queries) error {
			if want, err = tx.CountArchiveRows(ctx, orig.ID); err != nil {
				return err
			}
			got, err = tx.CountArchiveRows(ctx, copied.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got, want, got == want
	}

	srv = startVault(t, dir, "--poll-interval", "200ms", "--job-lease", "3s")
	hc, _ = vaultSignIn(t, srv.base, "admin@demo.test")
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status, row := importRow(t, hc, srv.base+rowPath)
		if status == "done" {
			break
		}
		if time.Now().After(deadline) || status != "queued" && status != "running" {
			t.Fatalf("after the restart the import is %q: %s", status, row)
		}
		// The import shows the course once it is whole, a moment before its
		// row says done (a transaction of its own): visible, it must be whole.
		c, err := other.CourseByCode(ctx, "CS101-COPY")
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, want, same := sameRows(c); !same {
			t.Fatalf("while the retry runs the course is visible half written: %+v rows of %+v", got, want)
		}
	}
	copied, err := other.CourseByCode(ctx, "CS101-COPY")
	if err != nil {
		t.Fatalf("the import is done but its course: %v", err)
	}
	if n, err := other.CountCourses(ctx); err != nil || n != 2 {
		t.Errorf("%d courses after the retry (%v); want 2: the killed attempt's course should be gone", n, err)
	}
	if got, want, same := sameRows(copied); !same {
		t.Errorf("the imported course has %+v rows, the original %+v", got, want)
	}
	if bad := srv.serverErrors(); len(bad) > 0 {
		t.Errorf("server errors after the restart:\n%s", strings.Join(bad, "\n"))
	}
}

// uploadImport posts an archive on the Import page as the signed-in client,
// code first as the form sends it, and returns the new row's poll path.
func uploadImport(t *testing.T, hc *http.Client, base, csrf, code, zipPath string) string {
	t.Helper()
	f, err := os.Open(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("_csrf", csrf)
		mw.WriteField("code", code)
		part, err := mw.CreateFormFile("archive", filepath.Base(zipPath))
		if err == nil {
			_, err = io.Copy(part, f)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", base+"/admin/imports", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("HX-Request", "true")
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`hx-get="(/admin/imports/\d+)"`).FindSubmatch(b)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	return string(m[1])
}

// importRow fetches an import's row fragment and returns its status.
func importRow(t *testing.T, hc *http.Client, u string) (status, row string) {
	t.Helper()
	res, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`data-status="([a-z]+)"`).FindSubmatch(b)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, b)
	}
	return string(m[1]), string(b)
}
