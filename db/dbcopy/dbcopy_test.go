package dbcopy

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/demo"
	"coursevault/db/files"
	"coursevault/db/pgtest"
	"coursevault/jobs/archive"
)

// instance is a data directory whose database is the SQLite file or a
// PostgreSQL database; attachments are the directory's either way.
type instance struct {
	d     *db.DB
	files *files.Service
}

func open(t *testing.T, database, dir string) *instance {
	t.Helper()
	d, err := db.OpenURL(context.Background(), database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	fs, err := files.New(d, filepath.Join(dir, "attachments"), files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &instance{d: d, files: fs}
}

// demoDir is a data directory with a small demo: three courses (one with
// periods, the last empty), stdout and static files.
func demoDir(t *testing.T, seed int64) string {
	t.Helper()
	dir := t.TempDir()
	in := open(t, filepath.Join(dir, "coursevault.db"), dir)
	opts := demo.Defaults()
	opts.Seed, opts.Students, opts.Assignments, opts.SubmissionsPerStudent, opts.StdoutBytes, opts.StaticFiles = seed, 12, 3, 2, 300, 2
	opts.Static = func(ctx context.Context, courseID int64, p string, content []byte) error {
		_, err := in.files.AddStatic(ctx, courseID, p, bytes.NewReader(content))
		return err
	}
	if _, err := demo.Generate(context.Background(), in.d, opts); err != nil {
		t.Fatal(err)
	}
	in.d.Close()
	return dir
}

// target is a new PostgreSQL database (migrated, as coursevault leaves one
// it opened), or a skip when the tests do not run on PostgreSQL.
func target(t *testing.T) string {
	t.Helper()
	if !pgtest.Enabled() {
		t.Skip("db copy needs PostgreSQL: run with COURSEVAULT_TEST_DATABASE=postgres after `. .ci/pg`")
	}
	return dbtest.URL(t)
}

// export archives a course with stdout and static files at a fixed time.
func (in *instance) export(t *testing.T, courseID int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := in.d.ReadTx(context.Background(), func(tx *db.Queries) error {
		src := archive.Source{Q: tx, CourseID: courseID, OpenFile: func(ctx context.Context, id int64) (io.ReadCloser, error) {
			f, err := in.files.GetByID(ctx, id)
			if err != nil {
				return nil, err
			}
			return in.files.Open(ctx, f)
		}}
		_, err := archive.Write(context.Background(), &buf, src, archive.Options{IncludeStdout: true, IncludeStaticFiles: true,
			Now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// entries reads an archive's entries by name.
func entries(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], err = io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

var stamp = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"`)

// micro cuts the times of an archive's JSON to microseconds: PostgreSQL keeps
// no finer times, SQLite's text keeps the nanoseconds Go wrote.
func micro(b []byte) []byte {
	return stamp.ReplaceAllFunc(b, func(m []byte) []byte {
		t, err := time.Parse(`"`+time.RFC3339Nano+`"`, string(m))
		if err != nil {
			return m
		}
		return []byte(t.Truncate(time.Microsecond).Format(`"` + time.RFC3339Nano + `"`))
	})
}

// The proof the copy loses nothing: every course's archive (data files,
// stdout, static files) exported from PostgreSQL after the copy is the one
// exported from SQLite (times to the microsecond, PostgreSQL's precision), every data_version is the same, and new
// rows get fresh ids.
func TestCopy_postgresShowsWhatSQLiteShowed(t *testing.T) {
	dir := demoDir(t, 1)
	url := target(t)
	ctx := context.Background()
	res, err := Copy(ctx, filepath.Join(dir, "coursevault.db"), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tb := range res.Tables {
		names[tb.Name] = true
		if !tb.OK() {
			t.Errorf("%s not verified: %+v", tb.Name, tb)
		}
	}
	for _, want := range []string{"users", "courses", "submissions", "test_results", "static_files", "files", "server_keys"} {
		if !names[want] {
			t.Errorf("table %s was not copied (copied %v)", want, names)
		}
	}

	lite, pg := open(t, filepath.Join(dir, "coursevault.db"), dir), open(t, url, dir)
	courses, err := lite.d.CourseOverviews(ctx)
	if err != nil || len(courses) != 3 {
		t.Fatalf("demo courses: %d, %v", len(courses), err)
	}
	for _, c := range courses {
		a, b := entries(t, lite.export(t, c.ID)), entries(t, pg.export(t, c.ID))
		if len(a) != len(b) {
			t.Errorf("course %d: %d entries from SQLite, %d from PostgreSQL", c.ID, len(a), len(b))
		}
		for name, data := range a {
			if name == archive.ManifestName {
				continue // it holds the data files' sha256, compared below after microseconds
			}
			if !bytes.Equal(micro(data), micro(b[name])) {
				t.Errorf("course %d: %s differs after the copy:\n%s", c.ID, name, firstDifference(data, b[name]))
			}
		}
		lc, _ := lite.d.CourseByID(ctx, c.ID)
		pc, err := pg.d.CourseByID(ctx, c.ID)
		if err != nil || pc.DataVersion != lc.DataVersion || lc.DataVersion < 2 {
			t.Errorf("course %d: data_version %d on SQLite, %d on PostgreSQL (%v)", c.ID, lc.DataVersion, pc.DataVersion, err)
		}
	}

	var id int64
	err = pg.d.InTx(ctx, func(tx *db.Queries) error {
		id, err = tx.InsertCourse(ctx, db.Course{Code: "NEW1", Name: "After the copy", CreatedAt: time.Now()})
		return err
	})
	if err != nil || id != 4 {
		t.Errorf("a course added after the copy got id %d (%v), want 4", id, err)
	}
}

// A target that already holds data is refused before anything changes.
func TestCopy_nonEmptyTargetIsRefusedAndLeftUnchanged(t *testing.T) {
	url := target(t)
	ctx := context.Background()
	if _, err := Copy(ctx, filepath.Join(demoDir(t, 1), "coursevault.db"), url, Options{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, url)
	_, err := Copy(ctx, filepath.Join(demoDir(t, 2), "coursevault.db"), url, Options{})
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "users: ") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("copy into a full database: %v", err)
	}
	if after := snapshot(t, url); after != before {
		t.Errorf("the refused copy changed the target:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot is every user's email and every course's code and version.
func snapshot(t *testing.T, url string) string {
	t.Helper()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var s string
	err = raw.QueryRow(`SELECT COALESCE((SELECT string_agg(email::text, ',' ORDER BY id) FROM users), '') || '|' ||
		COALESCE((SELECT string_agg(code || ':' || data_version, ',' ORDER BY id) FROM courses), '')`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A SQLite table that PostgreSQL lacks stops the copy: nothing is forgotten.
func TestCopy_tableWithoutTwinStopsTheCopy(t *testing.T) {
	dir := demoDir(t, 1)
	raw, err := sql.Open("sqlite", filepath.Join(dir, "coursevault.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	url := target(t)
	_, err = Copy(context.Background(), filepath.Join(dir, "coursevault.db"), url, Options{})
	if err == nil || !strings.Contains(err.Error(), "table notes of the SQLite database has no twin in PostgreSQL") {
		t.Fatalf("copy with an extra table: %v", err)
	}
	if s := snapshot(t, url); s != "|" {
		t.Errorf("the stopped copy left data: %q", s)
	}
}

// Bad target URLs are told clearly, without their password.
func TestCopy_brokenURLIsAClearError(t *testing.T) {
	dir := demoDir(t, 1)
	for _, tc := range []struct{ name, url, want string }{
		{"not a URL", "postgres://app:secret@[bad/db", "the --to URL: cannot parse"},
		{"nobody listening", "postgres://app:secret@127.0.0.1:1/db?connect_timeout=5", "connect to postgres://app@127.0.0.1:1/db"},
		{"not PostgreSQL", "mysql://app:secret@host/db", "must be a postgres:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Copy(context.Background(), filepath.Join(dir, "coursevault.db"), tc.url, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
				t.Fatalf("got %v, want an error with %q and no password", err, tc.want)
			}
		})
	}
}

func TestChecksum_sameRowsInAnyOrderSumTheSame(t *testing.T) {
	row := func(vals ...any) [32]byte {
		h := newRowHash()
		for _, v := range vals {
			k := map[bool]kind{true: kindText, false: kindInt}[v == nil || isString(v)]
			h.add(k, v)
		}
		return h.sum()
	}
	var a, b, c, d checksum
	a.add(row(int64(1), "x"))
	a.add(row(int64(2), nil))
	b.add(row(int64(2), nil))
	b.add(row(int64(1), "x"))
	c.add(row(int64(2), ""))
	c.add(row(int64(1), "x"))
	d.add(row(int64(1), "x"))
	d.add(row(int64(1), "x"))
	if a != b {
		t.Error("the order of rows changed the sum")
	}
	if a == c {
		t.Error("NULL and the empty string sum the same")
	}
	var one checksum
	one.add(row(int64(1), "x"))
	if d == one {
		t.Error("a repeated row did not count")
	}
}

func isString(v any) bool { _, ok := v.(string); return ok }

// firstDifference shows where two texts part, with a little context.
func firstDifference(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-120)
	return "SQLite:     " + string(a[from:min(len(a), i+120)]) + "\nPostgreSQL: " + string(b[from:min(len(b), i+120)])
}
