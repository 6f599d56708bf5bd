// Package dbtest gives the tests of the packages above db a real database:
// a fresh SQLite file, migrated, in the test's temporary directory.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"

	"coursevault/db"
)

// Open creates and migrates a database file in t's temporary directory and
// closes it when the test ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "coursevault.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
