package db

import (
	"context"
	"path/filepath"
	"testing"
)

// openTest opens a fresh, migrated database file in a temp dir.
func openTest(t testing.TB) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "coursevault.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
