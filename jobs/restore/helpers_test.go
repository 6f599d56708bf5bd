package restore

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/demo"
	"coursevault/db/demo/demotest"
	"coursevault/db/files"
	"coursevault/db/pgtest"
	"coursevault/jobs/archive"
)

// Demo course ids (demo.Defaults: three courses, the last one empty).
const (
	coursePeriods   = 1 // CS101: three periods
	courseNoPeriods = 2 // students, no periods
	courseEmpty     = 3 // staff only
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// instance is a data directory and its database: the directory's
// coursevault.db, or with COURSEVAULT_TEST_DATABASE=postgres a PostgreSQL
// database of its own (db/pgtest).
type instance struct {
	dir      string
	database string // the --database value
	d        *db.DB
	files    *files.Service
}

func openInstance(t testing.TB, dir, database string) *instance {
	t.Helper()
	ctx := context.Background()
	d, err := db.OpenURL(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	svc, err := files.New(d, filepath.Join(dir, "attachments"), files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &instance{dir: dir, database: database, d: d, files: svc}
}

// freshInstance is an empty data directory.
func freshInstance(t testing.TB) *instance {
	t.Helper()
	dir := t.TempDir()
	database := filepath.Join(dir, "coursevault.db")
	if pgtest.Enabled() {
		database = dbtest.URL(t)
	}
	return openInstance(t, dir, database)
}

// demoInstance is a copy of a demo data directory generated once per test
// binary for opts (generation takes seconds under -race): of its SQLite
// file and attachments, or on PostgreSQL of its attachments and a template
// database.
func demoInstance(t testing.TB, opts demo.Options) *instance {
	t.Helper()
	dir, database := demotest.Copy(t, opts, "attachments")
	return openInstance(t, dir, database)
}

// tinyDemo keeps archives small enough to fuzz.
func tinyDemo() demo.Options {
	o := demo.Defaults()
	o.Students, o.Assignments, o.SubmissionsPerStudent, o.StdoutBytes, o.StaticFiles = 4, 3, 1, 200, 2
	return o
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(childImportEnv); dir != "" {
		runChildImport(dir)
		return
	}
	code := m.Run()
	demotest.Cleanup()
	os.Exit(code)
}

// export archives a course of in with stdout and static files.
func (in *instance) export(t testing.TB, courseID int64) []byte {
	t.Helper()
	return in.exportWith(t, courseID, archive.Options{IncludeStdout: true, IncludeStaticFiles: true})
}

func (in *instance) exportWith(t testing.TB, courseID int64, opts archive.Options) []byte {
	t.Helper()
	opts.Now = testNow
	ctx := context.Background()
	var buf bytes.Buffer
	err := in.d.ReadTx(ctx, func(tx *db.Queries) error {
		src := archive.Source{Q: tx, CourseID: courseID, OpenFile: func(ctx context.Context, id int64) (io.ReadCloser, error) {
			f, err := in.files.GetByID(ctx, id)
			if err != nil {
				return nil, err
			}
			return in.files.Open(ctx, f)
		}}
		_, err := archive.Write(ctx, &buf, src, opts, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (in *instance) importArchive(b []byte, opts Options) (Result, error) {
	if opts.Now.IsZero() {
		opts.Now = testNow
	}
	return Import(context.Background(), in.d, in.files, bytes.NewReader(b), int64(len(b)), opts)
}

// state is everything an import could change: every table's rows and the
// attachment directory's names and sizes.
func (in *instance) state(t testing.TB) string {
	t.Helper()
	driver, dsn := "sqlite", "file:"+in.database+"?_pragma=query_only(1)"
	listTables := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if db.IsPostgresURL(in.database) {
		// PostgreSQL has no rowid: each table's lines are sorted instead.
		driver, dsn = "pgx", in.database
		listTables = `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var b strings.Builder
	for _, table := range queryStrings(t, raw, listTables) {
		fmt.Fprintf(&b, "== %s\n", table)
		order := " ORDER BY rowid"
		if driver == "pgx" {
			order = ""
		}
		rows, err := raw.Query(`SELECT * FROM "` + table + `"` + order)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var lines []string
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintln(vals...))
		}
		rows.Close()
		if driver == "pgx" {
			sort.Strings(lines)
		}
		b.WriteString(strings.Join(lines, ""))
	}
	b.WriteString("== attachments\n")
	err = filepath.WalkDir(filepath.Join(in.dir, "attachments"), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		fmt.Fprintln(&b, strings.TrimPrefix(p, in.dir), info.Mode(), info.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func queryStrings(t testing.TB, raw *sql.DB, q string) []string {
	t.Helper()
	rows, err := raw.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// unpacked is an archive opened for tampering: edit entries, then pack.
type unpacked struct {
	names    []string // zip order
	data     map[string][]byte
	modes    map[string]fs.FileMode
	manifest archive.Manifest
	// raw, if set, replaces manifest.json's bytes as they are
	raw []byte
}

func unpack(t testing.TB, b []byte) *unpacked {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	u := &unpacked{data: map[string][]byte{}, modes: map[string]fs.FileMode{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		u.names = append(u.names, f.Name)
		u.data[f.Name] = data
	}
	if err := json.Unmarshal(u.data[archive.ManifestName], &u.manifest); err != nil {
		t.Fatal(err)
	}
	return u
}

// set replaces (or adds) an entry and lists it in the manifest with its
// true size and sha256, so only the check under test can catch it.
func (u *unpacked) set(name string, data []byte) {
	sum := sha256.Sum256(data)
	e := archive.Entry{Path: name, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	var rows []json.RawMessage
	if strings.HasPrefix(name, "data/") && json.Unmarshal(data, &rows) == nil {
		e.Rows = int64(len(rows))
	}
	found := false
	for i := range u.manifest.Entries {
		if u.manifest.Entries[i].Path == name {
			u.manifest.Entries[i], found = e, true
		}
	}
	if !found {
		u.manifest.Entries = append(u.manifest.Entries, e)
		u.names = append(u.names[:len(u.names)-1], name, archive.ManifestName)
	}
	u.data[name] = data
}

// editLine replaces line n (1-based) of a data file.
func (u *unpacked) editLine(t testing.TB, name string, n int, edit func(line string) string) {
	t.Helper()
	lines := strings.Split(string(u.data[name]), "\n")
	if n > len(lines) {
		t.Fatalf("%s has %d lines", name, len(lines))
	}
	lines[n-1] = edit(lines[n-1])
	u.set(name, []byte(strings.Join(lines, "\n")))
}

func (u *unpacked) pack(t testing.TB) []byte {
	t.Helper()
	m, err := json.Marshal(u.manifest)
	if err != nil {
		t.Fatal(err)
	}
	if u.raw != nil {
		m = u.raw
	}
	u.data[archive.ManifestName] = m
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range u.names {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if mode, ok := u.modes[name]; ok {
			h.SetMode(mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(u.data[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// canonical turns an archive's data files into lines that do not depend on
// the ids of the instance it came from, nor on when it was made: every id is
// replaced by the content of the row it names (recursively), rows are sorted,
// data_version (how often the course changed in that instance) is dropped,
// and a static file's archive_path becomes the sha256 of the entry's bytes.
func canonical(t testing.TB, b []byte) map[string][]string {
	t.Helper()
	u := unpack(t, b)
	keys := map[string]map[float64]string{} // table -> old id -> canonical key
	refs := map[string]string{"period_id": "periods", "user_id": "users", "assignment_id": "assignments", "submission_id": "submissions"}
	out := map[string][]string{}
	for _, name := range archive.DataFiles {
		var rows []map[string]any
		if err := json.Unmarshal(u.data[name], &rows); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		table := strings.TrimSuffix(strings.TrimPrefix(name, "data/"), ".json")
		keys[table] = map[float64]string{}
		seen := map[string]int{}
		for _, r := range rows {
			id, _ := r["id"].(float64)
			delete(r, "id")
			if table == "course" {
				delete(r, "data_version")
			}
			// A member's user_id is the user's identity, not a reference.
			uid, isMember := r["user_id"].(float64)
			if table == "members" {
				delete(r, "user_id")
			}
			for field, target := range refs {
				if v, ok := r[field].(float64); ok {
					k, ok := keys[target][v]
					if !ok {
						t.Fatalf("%s: %s %v names no row of %s", name, field, v, target)
					}
					r[field] = k
				}
			}
			if ap, ok := r["archive_path"].(string); ok {
				sum := sha256.Sum256(u.data[ap])
				r["archive_path"] = "sha256:" + hex.EncodeToString(sum[:])
			}
			kb, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			k := string(kb)
			seen[k]++
			k += fmt.Sprintf("#%d", seen[k])
			keys[table][id] = k
			if table == "members" && isMember {
				if keys["users"] == nil {
					keys["users"] = map[float64]string{}
				}
				keys["users"][uid] = k
			}
			out[name] = append(out[name], k)
		}
		sort.Strings(out[name])
	}
	return out
}
