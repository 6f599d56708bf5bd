package files

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
)

var t0 = time.Date(2015, 4, 30, 19, 34, 2, 0, time.UTC)

// fakeClock is a Clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	d     *db.DB
	s     *Service
	clock *fakeClock
	dir   string
}

// newFixture opens a fresh database and a Service over an attachment
// directory in t.TempDir(), with a fake clock at t0 and a course (id 1) and a
// user (id 1) to own and create files.
func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	d := dbtest.Open(t) // a SQLite file, or PostgreSQL with COURSEVAULT_TEST_DATABASE=postgres
	err := d.InTx(ctx, func(tx *db.Queries) error {
		if _, err := tx.InsertCourse(ctx, db.Course{Code: "PHY1", Name: "Physics I", CreatedAt: t0}); err != nil {
			return err
		}
		_, err := tx.InsertUser(ctx, db.User{Email: "t@example.edu", Name: "Teacher", CreatedAt: t0})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: t0}
	opts.Clock = clock
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Join(root, "attachments")
	s, err := New(d, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{d: d, s: s, clock: clock, dir: dir}
}

func (fx *fixture) store(t testing.TB, in Input, content string) File {
	t.Helper()
	f, err := fx.s.Store(context.Background(), in, bytes.NewReader([]byte(content)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// dirNames lists the attachment directory, sorted.
func (fx *fixture) dirNames(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(fx.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// assertNothingStored fails unless the directory is empty and the course has
// no files of any category.
func (fx *fixture) assertNothingStored(t testing.TB) {
	t.Helper()
	if names := fx.dirNames(t); len(names) != 0 {
		t.Errorf("attachment directory holds %v, want nothing", names)
	}
	for _, cat := range []string{CourseArchive, PerformanceBook, CourseStatic} {
		list, err := fx.s.List(context.Background(), Course(1), cat)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 0 {
			t.Errorf("%s lists %d files, want none", cat, len(list))
		}
	}
}

func readAll(t testing.TB, s *Service, f File) string {
	t.Helper()
	fh, err := s.Open(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	b, err := io.ReadAll(fh)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func archiveInput(name string) Input {
	return Input{Owner: Course(1), Category: CourseArchive, Filename: name, CreatedBy: 1}
}

// age sets a file's modification time an hour back, past the sweep's grace.
func age(t testing.TB, path string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// failAfter is a reader or writer that passes n bytes and then fails with err.
type failAfter struct {
	n   int
	err error
	w   io.Writer // nil for a reader
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	f.n -= k
	n, err := f.w.Write(p[:k])
	if err == nil && k < len(p) {
		err = f.err
	}
	return n, err
}

// local is the fixture's directory store.
func (fx *fixture) local(t testing.TB) *Dir {
	t.Helper()
	d, ok := fx.s.blobs.(*Dir)
	if !ok {
		t.Fatalf("the store is %s, not a directory", fx.s.blobs)
	}
	return d
}

func (fx *fixture) read(t testing.TB, f File) string { return readAll(t, fx.s, f) }
