package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/demo"
	"coursevault/db/demo/demotest"
	"coursevault/db/files"
)

// fixture is a demo database with its file store.
type fixture struct {
	d     *db.DB
	files *files.Service
}

// secretHash is the demo users' password hash; it must never reach an archive.
const secretHash = "$argon2id$v=19$m=65536,t=1,p=2$c2VjcmV0LXNhbHQ$SECRET-HASH-MUST-NOT-LEAK"

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// smallDemo is the demo's default size: three courses, the last one empty.
func smallDemo() demo.Options { return demo.Defaults() }

// newFixture gives each test its own copy of a demo database sized by opts,
// with static files in a real file store. Each size is generated once per
// test binary and copied (generation costs seconds under -race): a SQLite
// file, or with COURSEVAULT_TEST_DATABASE=postgres a template database
// (db/pgtest), and the files beside it.
func newFixture(t testing.TB, opts demo.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	opts.PasswordHash = secretHash
	dir, database := demotest.Copy(t, opts, "files")
	d, err := db.OpenURL(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	svc, err := files.New(d, filepath.Join(dir, "files"), files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{d: d, files: svc}
}

func TestMain(m *testing.M) {
	code := m.Run()
	demotest.Cleanup()
	os.Exit(code)
}

func (f *fixture) source(q *db.Queries, courseID int64) Source {
	return Source{Q: q, CourseID: courseID, OpenFile: func(ctx context.Context, fileID int64) (io.ReadCloser, error) {
		file, err := f.files.GetByID(ctx, fileID)
		if err != nil {
			return nil, err
		}
		return f.files.Open(ctx, file)
	}}
}

// write archives courseID in one read snapshot and returns the zip bytes.
func (f *fixture) write(t testing.TB, courseID int64, opts Options) ([]byte, Manifest) {
	t.Helper()
	ctx := context.Background()
	opts.Now = testNow
	var buf bytes.Buffer
	var m Manifest
	err := f.d.ReadTx(ctx, func(tx *db.Queries) error {
		var err error
		m, err = Write(ctx, &buf, f.source(tx, courseID), opts, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m
}

// unzip returns every entry's bytes by name, and the names in zip order.
func unzip(t testing.TB, b []byte) (map[string][]byte, []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var names []string
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
		out[f.Name] = data
		names = append(names, f.Name)
	}
	return out, names
}

// rezip builds a zip from entries in order, each with the given method;
// tests use it to tamper with archives.
func rezip(t testing.TB, names []string, entries map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(entries[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
