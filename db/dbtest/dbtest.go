// Package dbtest gives the tests of the packages above db a real database:
// a fresh SQLite file, migrated, in the test's temporary directory, or with
// COURSEVAULT_TEST_DATABASE=postgres a fresh PostgreSQL database (db/pgtest).
package dbtest

import (
	"context"
	"path/filepath"
	"testing"

	"coursevault/db"
	"coursevault/db/pgtest"
)

// Open creates and migrates a database and closes it when the test ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.OpenURL(context.Background(), URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// URL returns a --database value for a new, empty database of t: a file in
// t's temporary directory, or a PostgreSQL URL. Opening it migrates it.
func URL(t testing.TB) string {
	t.Helper()
	if pgtest.Enabled() {
		return pgtest.Database(t, Migrate)
	}
	return filepath.Join(t.TempDir(), "coursevault.db")
}

// Migrate opens the database at url once, which migrates it, and closes it.
func Migrate(url string) error {
	d, err := db.OpenURL(context.Background(), url)
	if err != nil {
		return err
	}
	return d.Close()
}
