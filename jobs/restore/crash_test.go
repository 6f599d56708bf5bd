package restore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/archive"
)

// childImportEnv, when set to a data directory, makes the test binary import
// <dir>/archive.zip there (into the database childDatabaseEnv names) and
// kill itself (SIGKILL: no deferred cleanup runs) in the middle of writing
// the rows, after the static files were stored.
const (
	childImportEnv   = "COURSEVAULT_RESTORE_TEST_CHILD_DIR"
	childDatabaseEnv = "COURSEVAULT_RESTORE_TEST_CHILD_DATABASE"
)

const childOwner = "import 7"

func runChildImport(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "archive.zip"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	in := openInstance(&childTB{}, dir, os.Getenv(childDatabaseEnv))
	_, err = Import(context.Background(), in.d, in.files, bytes.NewReader(b), int64(len(b)), Options{
		Owner: childOwner,
		Progress: func(done, total int64, note string) {
			if note == "Writing scores" {
				p, _ := os.FindProcess(os.Getpid())
				p.Kill()
				select {}
			}
		}})
	fmt.Fprintln(os.Stderr, "import was not killed:", err)
	os.Exit(3)
}

// killImport imports b into dst in a child process that is killed while it
// writes the scores, after the course, its members and static files went in.
func killImport(t *testing.T, dst *instance, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dst.dir, "archive.zip"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childImportEnv+"="+dst.dir, childDatabaseEnv+"="+dst.database)
	var stderr strings.Builder
	child.Stderr = &stderr
	err := child.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Exited() {
		t.Fatalf("child: %v (want killed by a signal); stderr:\n%s", err, stderr.String())
	}
	ctx := context.Background()
	if n, err := dst.d.CountCourses(ctx); err != nil || n != 1 {
		t.Fatalf("%d courses after a killed import (%v); want its hidden one (the test proves nothing)", n, err)
	}
	if _, err := dst.d.CourseByCode(ctx, "CS101"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("the killed import's course is visible: %v", err)
	}
	if cs, err := dst.d.StaffCourses(ctx, 0, true); err != nil || len(cs) != 0 {
		t.Fatalf("a site admin sees %d courses after a killed import (%v); want none", len(cs), err)
	}
}

// A killed import leaves only a hidden course, which the janitor removes
// once its lease is over, with the users the import created; the static
// files it had stored are pending files with an expiry, which the janitor's
// ExpireDue removes (rows and bytes), leaving the instance as it was.
func TestImport_killedImportLeavesOnlyHiddenRowsAndPendingFilesThatExpire(t *testing.T) {
	src := demoInstance(t, tinyDemo())
	b := src.export(t, coursePeriods)
	dst := freshInstance(t)
	before := dst.state(t)
	killImport(t, dst, b)

	ctx := context.Background()
	if err := RemoveAbandoned(ctx, dst.d, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, _ := dst.d.CountCourses(ctx); n != 1 {
		t.Fatalf("the janitor removed a hidden course whose lease is not over (%d courses left)", n)
	}
	if err := RemoveAbandoned(ctx, dst.d, time.Now().Add(restoreLease+time.Minute)); err != nil {
		t.Fatal(err)
	}
	pending, err := dst.d.ListFiles(ctx, PendingOwnerType, 0, files.CourseStatic)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) == 0 {
		t.Fatal("no pending files: the child was killed before storing any (the test proves nothing)")
	}
	for _, f := range pending {
		if f.ExpiresAt == nil {
			t.Fatalf("pending file %+v never expires", f)
		}
	}

	later := fakeClock(time.Now().Add(PendingTTL + time.Hour))
	janitor, err := files.New(dst.d, filepath.Join(dst.dir, "attachments"), files.Options{Clock: later})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := janitor.ExpireDue(ctx)
	if err != nil || len(gone) != len(pending) {
		t.Fatalf("ExpireDue removed %d of %d pending files: %v", len(gone), len(pending), err)
	}
	if after := dst.state(t); after != before {
		t.Errorf("the instance changed:\n%s", diffLines(before, after))
	}
}

// A new attempt of a killed import (the import job's retry: same Owner)
// removes what the killed one left at once, lease or not, and imports the
// course under its code.
func TestImport_retryOfAKilledImportReplacesWhatItLeft(t *testing.T) {
	src := demoInstance(t, tinyDemo())
	b := src.export(t, coursePeriods)
	dst := freshInstance(t)
	killImport(t, dst, b)

	_, err := dst.importArchive(b, Options{Owner: "import 8"})
	if !errors.Is(err, ErrCodeTaken) || !strings.Contains(err.Error(), "another import is writing a course with code CS101") {
		t.Fatalf("another import of the same code while the killed one's lease lasts: %v; want ErrCodeTaken, another import", err)
	}
	res, err := dst.importArchive(b, Options{Owner: childOwner})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if n, err := dst.d.CountCourses(ctx); err != nil || n != 1 {
		t.Fatalf("%d courses after the retry (%v); want 1", n, err)
	}
	if c, err := dst.d.CourseByCode(ctx, "CS101"); err != nil || c.ID != res.CourseID {
		t.Fatalf("course CS101 after the retry: %+v, %v; want id %d", c, err, res.CourseID)
	}
	want, got := canonical(t, b), canonical(t, dst.export(t, res.CourseID))
	for _, name := range archive.DataFiles {
		if !slices.Equal(want[name], got[name]) {
			t.Errorf("%s differs after the retry:\n%s", name, firstDifference(want[name], got[name]))
		}
	}
}

type fakeClock time.Time

func (c fakeClock) Now() time.Time { return time.Time(c) }

// childTB lets the child process use the test helpers: failures exit.
type childTB struct{ testing.TB }

func (childTB) Helper()           {}
func (childTB) Fatal(args ...any) { fmt.Fprintln(os.Stderr, args...); os.Exit(2) }
func (childTB) TempDir() string   { d, _ := os.MkdirTemp("", "restore-child-"); return d }
func (childTB) Cleanup(func())    {}
