// Package pgtest gives tests a throwaway PostgreSQL database each, when
// COURSEVAULT_TEST_DATABASE=postgres and COURSEVAULT_TEST_PG names a server
// (.ci/pg starts one). It imports nothing of coursevault, so db's own tests
// use it as well as db/dbtest.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Enabled reports whether the tests run on PostgreSQL.
func Enabled() bool { return os.Getenv("COURSEVAULT_TEST_DATABASE") == "postgres" }

// ErrNoServer is Lasting's error when COURSEVAULT_TEST_PG names no server.
var ErrNoServer = errors.New("COURSEVAULT_TEST_DATABASE=postgres needs COURSEVAULT_TEST_PG=postgres://user@host:port/db (.ci/pg starts a server)")

var (
	mu        sync.Mutex
	admin     *sql.DB
	server    *url.URL
	templates = map[string]template{} // by the key of From
	made      atomic.Int64
)

type template struct {
	name string
	err  error
}

// Database returns the URL of a new database for t, dropped when t ends.
// Every database of this test binary is a copy of one template that prepare
// (given the template's URL) migrates once, so each test starts from the
// freshly migrated schema without paying for the migrations again.
// Without a server it skips t, or fails it when CI=true.
func Database(t testing.TB, prepare func(url string) error) string {
	t.Helper()
	return From(t, "", prepare)
}

// From is Database with a template per key: tests that start from several
// fixtures (demo courses of several sizes) fill each template once, with
// prepare, and copy it per test as a SQLite test copies a file.
func From(t testing.TB, key string, prepare func(url string) error) string {
	t.Helper()
	name, err := create(key, prepare)
	if errors.Is(err, ErrNoServer) {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return dbURL(name)
}

// Lasting is Database for what outlives one test (a server that the tests
// of a binary share): the caller drops the database with drop when done.
// Without a server its error is ErrNoServer.
func Lasting(prepare func(url string) error) (url string, dropIt func() error, err error) {
	name, err := create("", prepare)
	if err != nil {
		return "", nil, err
	}
	return dbURL(name), func() error { return drop(name) }, nil
}

// create makes a new database from key's template, filling the template
// with prepare first if this binary has not yet.
func create(key string, prepare func(url string) error) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if err := connect(); err != nil {
		return "", err
	}
	ctx := context.Background()
	tmpl, ok := templates[key]
	if !ok {
		tmpl.name = fmt.Sprintf("cvtmpl_%d_%d", os.Getpid(), made.Add(1))
		if _, tmpl.err = admin.ExecContext(ctx, `CREATE DATABASE `+tmpl.name); tmpl.err == nil {
			tmpl.err = prepare(dbURL(tmpl.name))
		}
		if tmpl.err != nil {
			admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+tmpl.name+` WITH (FORCE)`)
			tmpl.err = fmt.Errorf("prepare the template database: %w", tmpl.err)
		}
		templates[key] = tmpl
	}
	if tmpl.err != nil {
		return "", tmpl.err
	}
	name := fmt.Sprintf("cvtest_%d_%d", os.Getpid(), made.Add(1))
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+tmpl.name+` STRATEGY FILE_COPY`); err != nil {
		return "", fmt.Errorf("create test database: %w", err)
	}
	return name, nil
}

func drop(name string) error {
	_, err := admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	return err
}

// connect opens the admin connection to COURSEVAULT_TEST_PG once.
func connect() error {
	if admin != nil {
		return nil
	}
	raw := os.Getenv("COURSEVAULT_TEST_PG")
	if raw == "" {
		return ErrNoServer
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("COURSEVAULT_TEST_PG: %w", err)
	}
	a, err := sql.Open("pgx", raw)
	if err != nil {
		return err
	}
	if err := a.Ping(); err != nil {
		a.Close()
		return fmt.Errorf("PostgreSQL test server %s: %w", u.Redacted(), err)
	}
	admin, server = a, u
	dropLeftovers()
	return nil
}

// dbURL is the server's URL with the database name replaced.
func dbURL(name string) string {
	u := *server
	u.Path = "/" + name
	return u.String()
}

// dropLeftovers drops the databases test binaries on this machine left
// behind (each binary's template, and any database of a killed run): those
// whose process is gone. Only for a server on loopback, where the process
// ids are this machine's.
func dropLeftovers() {
	if h := server.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return
	}
	rows, err := admin.Query(`SELECT datname FROM pg_database WHERE datname ~ '^cv(tmpl|test)_[0-9]+_[0-9]+$'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			break
		}
		pid, _ := strconv.Atoi(strings.Split(name, "_")[1])
		if pid != os.Getpid() && syscall.Kill(pid, 0) == syscall.ESRCH {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	}
}
