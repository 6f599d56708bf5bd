package restore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coursevault/db/files"
)

// childImportEnv, when set to a data directory, makes the test binary import
// <dir>/archive.zip there and kill itself (SIGKILL: no deferred cleanup
// runs) in the middle of writing the rows, after the static files were stored.
const childImportEnv = "COURSEVAULT_RESTORE_TEST_CHILD_DIR"

func runChildImport(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "archive.zip"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	in := openInstance(&childTB{}, dir)
	_, err = Import(context.Background(), in.d, in.files, bytes.NewReader(b), int64(len(b)), Options{
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

// A killed import leaves no course and no rows; the static files it had
// stored are pending files with an expiry, which the janitor's ExpireDue
// removes (rows and bytes), leaving the instance as it was.
func TestImport_killedImportLeavesOnlyPendingFilesThatExpire(t *testing.T) {
	src := demoInstance(t, tinyDemo())
	b := src.export(t, coursePeriods)
	dst := freshInstance(t)
	if err := os.WriteFile(filepath.Join(dst.dir, "archive.zip"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	before := dst.state(t)

	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childImportEnv+"="+dst.dir)
	var stderr strings.Builder
	child.Stderr = &stderr
	err := child.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Exited() {
		t.Fatalf("child: %v (want killed by a signal); stderr:\n%s", err, stderr.String())
	}

	ctx := context.Background()
	if n, err := dst.d.CountCourses(ctx); err != nil || n != 0 {
		t.Fatalf("%d courses after a killed import (%v); want none", n, err)
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

type fakeClock time.Time

func (c fakeClock) Now() time.Time { return time.Time(c) }

// childTB lets the child process use the test helpers: failures exit.
type childTB struct{ testing.TB }

func (childTB) Helper()           {}
func (childTB) Fatal(args ...any) { fmt.Fprintln(os.Stderr, args...); os.Exit(2) }
func (childTB) TempDir() string   { d, _ := os.MkdirTemp("", "restore-child-"); return d }
func (childTB) Cleanup(func())    {}
