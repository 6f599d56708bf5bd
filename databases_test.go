package main

// Which database the coursevault commands of a test use. On SQLite (the
// default) a data directory's own coursevault.db, as a user gets it. With
// COURSEVAULT_TEST_DATABASE=postgres every data directory a test hands to
// coursevault gets a fresh PostgreSQL database of its own (db/pgtest), which
// the helpers that run coursevault (runCLI, vaultRun, startCommand,
// fillDemo, startServer) pass as --database: the same tests run on both.

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"coursevault/db"
	"coursevault/db/dbtest"
	"coursevault/db/pgtest"
)

var testDatabases struct {
	sync.Mutex
	byDir map[string]string // data directory -> its --database value
}

// databaseOf returns the --database value of dir's database: its SQLite
// file, or on PostgreSQL a database made on first use and dropped when t
// ends.
func databaseOf(t testing.TB, dir string) string {
	t.Helper()
	if !pgtest.Enabled() {
		return filepath.Join(dir, "coursevault.db")
	}
	key, _ := filepath.Abs(dir)
	testDatabases.Lock()
	defer testDatabases.Unlock()
	if url, ok := testDatabases.byDir[key]; ok {
		return url
	}
	url := dbtest.URL(t)
	remember(t, key, url)
	return url
}

// databaseFlags are the flags that put a command on dir's database: none
// on SQLite, where the data directory names it.
func databaseFlags(t testing.TB, dir string) []string {
	t.Helper()
	if !pgtest.Enabled() {
		return nil
	}
	return []string{"--database", databaseOf(t, dir)}
}

// lastingDatabase is databaseFlags for a data directory that outlives any
// one test (the browser tests' shared large demo); drop drops its
// PostgreSQL database.
func lastingDatabase(dir string) (flags []string, drop func() error, err error) {
	if !pgtest.Enabled() {
		return nil, nil, nil
	}
	url, drop, err := pgtest.Lasting(dbtest.Migrate)
	if err != nil {
		return nil, nil, err
	}
	key, _ := filepath.Abs(dir)
	testDatabases.Lock()
	defer testDatabases.Unlock()
	record(key, url)
	return []string{"--database", url}, drop, nil
}

// keepSQLite keeps dir's database its SQLite file on a PostgreSQL run too,
// for a test whose subject is that file (the source of db copy).
func keepSQLite(t testing.TB, dir string) {
	key, _ := filepath.Abs(dir)
	testDatabases.Lock()
	defer testDatabases.Unlock()
	remember(t, key, filepath.Join(dir, "coursevault.db"))
}

// remember records dir's database until t ends; record, for good.
func remember(t testing.TB, key, database string) {
	record(key, database)
	t.Cleanup(func() {
		testDatabases.Lock()
		defer testDatabases.Unlock()
		delete(testDatabases.byDir, key)
	})
}

func record(key, database string) {
	if testDatabases.byDir == nil {
		testDatabases.byDir = map[string]string{}
	}
	testDatabases.byDir[key] = database
}

// withDatabase adds --database of the data directory that args name with
// --data-dir, on PostgreSQL, unless args or COURSEVAULT_DATABASE name a
// database already.
func withDatabase(t testing.TB, args []string) []string {
	t.Helper()
	if !pgtest.Enabled() || os.Getenv("COURSEVAULT_DATABASE") != "" {
		return args
	}
	i := slices.Index(args, "--data-dir")
	if i < 0 || i+1 == len(args) || slices.ContainsFunc(args, func(a string) bool {
		return a == "--database" || strings.HasPrefix(a, "--database=")
	}) {
		return args
	}
	return slices.Concat(args[:i+2], []string{"--database", databaseOf(t, args[i+1])}, args[i+2:])
}

// dataLocOf is dir with its database, as the command line's flags make it.
func dataLocOf(t testing.TB, dir string) dataLoc {
	t.Helper()
	return dataLoc{dir: dir, database: databaseOf(t, dir)}
}

// openDataDir opens dir's database as coursevault does; it is closed when
// t ends.
func openDataDir(t testing.TB, dir string) *db.DB {
	t.Helper()
	d, err := db.OpenURL(context.Background(), databaseOf(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// rawDataDir opens a connection of its own to dir's database (read-only on
// SQLite), for a test that looks at rows the app's queries do not show.
func rawDataDir(t testing.TB, dir string) *sql.DB {
	t.Helper()
	database := databaseOf(t, dir)
	driver, dsn := "sqlite", "file:"+database+"?mode=ro"
	if db.IsPostgresURL(database) {
		driver, dsn = "pgx", database
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// skipOnPostgres skips a test whose subject is the SQLite file itself.
func skipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if pgtest.Enabled() {
		t.Skip("SQLite only: " + why)
	}
}
