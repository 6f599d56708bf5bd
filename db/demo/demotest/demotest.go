// Package demotest gives tests their own copy of a demo data directory,
// generated once per test binary for each set of demo options (generation
// takes seconds under -race; a copy, milliseconds).
package demotest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"coursevault/db"
	"coursevault/db/demo"
	"coursevault/db/files"
	"coursevault/db/pgtest"
)

var templates struct {
	sync.Mutex
	dirs map[string]string // by fmt "%+v" of the options and the store's directory
	root string
}

// Copy makes t a data directory holding the demo for opts, its course files
// in the store directory filesDir (relative to dir), and returns it with
// the database to open: the directory's SQLite file, or with
// COURSEVAULT_TEST_DATABASE=postgres a database copied from a template
// (pgtest.From) generated on first use.
func Copy(t testing.TB, opts demo.Options, filesDir string) (dir, database string) {
	t.Helper()
	tmpl, err := template(opts, filesDir)
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	database = filepath.Join(dir, "coursevault.db")
	if pgtest.Enabled() {
		database = pgtest.From(t, tmpl, func(url string) error { return generate(url, tmpl, filesDir, opts) })
	}
	if err := os.CopyFS(dir, os.DirFS(tmpl)); err != nil {
		t.Fatal(err)
	}
	return dir, database
}

// Cleanup removes the templates; call it from TestMain after m.Run.
func Cleanup() {
	templates.Lock()
	defer templates.Unlock()
	if templates.root != "" {
		os.RemoveAll(templates.root)
	}
}

// template returns the directory of the demo for opts, made once: on SQLite
// it holds the generated coursevault.db (closed, so the copy is consistent)
// and the store; on PostgreSQL it is empty until Copy's first pgtest.From
// generates the demo into it and a template database.
func template(opts demo.Options, filesDir string) (string, error) {
	templates.Lock()
	defer templates.Unlock()
	key := fmt.Sprintf("%+v %s", opts, filesDir)
	if dir, ok := templates.dirs[key]; ok {
		return dir, nil
	}
	if templates.root == "" {
		var err error
		if templates.root, err = os.MkdirTemp("", "demotest-"); err != nil {
			return "", err
		}
		templates.dirs = map[string]string{}
	}
	dir := filepath.Join(templates.root, fmt.Sprint(len(templates.dirs)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if !pgtest.Enabled() {
		if err := generate(filepath.Join(dir, "coursevault.db"), dir, filesDir, opts); err != nil {
			return "", err
		}
	}
	templates.dirs[key] = dir
	return dir, nil
}

// generate fills database, and the store in dir/filesDir, with the demo.
func generate(database, dir, filesDir string, opts demo.Options) error {
	ctx := context.Background()
	d, err := db.OpenURL(ctx, database)
	if err != nil {
		return err
	}
	defer d.Close()
	svc, err := files.New(d, filepath.Join(dir, filesDir), files.Options{})
	if err != nil {
		return err
	}
	opts.Static = func(ctx context.Context, courseID int64, p string, content []byte) error {
		_, err := svc.AddStatic(ctx, courseID, p, bytes.NewReader(content))
		return err
	}
	if _, err := demo.Generate(ctx, d, opts); err != nil {
		return err
	}
	return d.Close() // on SQLite, checkpoints the WAL into the file
}
