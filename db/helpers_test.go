package db

import (
	"context"
	"path/filepath"
	"testing"

	"coursevault/db/pgtest"
)

// openTest opens a fresh, migrated database: a file in a temp dir, or with
// COURSEVAULT_TEST_DATABASE=postgres a PostgreSQL database.
func openTest(t testing.TB) *DB {
	t.Helper()
	d, err := OpenURL(context.Background(), testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// testURL returns the --database value of a new, empty database for t.
func testURL(t testing.TB) string {
	t.Helper()
	if pgtest.Enabled() {
		return pgtest.Database(t, func(url string) error {
			d, err := OpenURL(context.Background(), url)
			if err != nil {
				return err
			}
			return d.Close()
		})
	}
	return filepath.Join(t.TempDir(), "coursevault.db")
}

// skipOnPostgres skips a test of something only SQLite has.
func skipOnPostgres(t testing.TB, d *DB, what string) {
	t.Helper()
	if d.dialect == dialectPostgres {
		t.Skip("SQLite only: " + what)
	}
}
