// Package pgtest gives tests a throwaway PostgreSQL database each, when
// COURSEVAULT_TEST_DATABASE=postgres and COURSEVAULT_TEST_PG names a server
// (.ci/pg starts one). It imports nothing of coursevault, so db's own tests
// use it as well as db/dbtest.
package pgtest

import (
	"context"
	"database/sql"
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

var (
	mu       sync.Mutex
	admin    *sql.DB
	server   *url.URL
	template string
	tmplErr  error
	made     atomic.Int64
)

// Database returns the URL of a new database for t, dropped when t ends.
// Every database of this test binary is a copy of one template that prepare
// (given the template's URL) migrates once, so each test starts from the
// freshly migrated schema without paying for the migrations again.
// Without a server it skips t, or fails it when CI=true.
func Database(t testing.TB, prepare func(url string) error) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if admin == nil {
		raw := os.Getenv("COURSEVAULT_TEST_PG")
		if raw == "" {
			msg := "COURSEVAULT_TEST_DATABASE=postgres needs COURSEVAULT_TEST_PG=postgres://user@host:port/db (.ci/pg starts a server)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("COURSEVAULT_TEST_PG: %v", err)
		}
		a, err := sql.Open("pgx", raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Ping(); err != nil {
			a.Close()
			t.Fatalf("PostgreSQL test server %s: %v", u.Redacted(), err)
		}
		admin, server = a, u
		dropLeftovers()
	}
	ctx := context.Background()
	if template == "" && tmplErr == nil {
		name := fmt.Sprintf("cvtmpl_%d_%d", os.Getpid(), made.Add(1))
		if _, tmplErr = admin.ExecContext(ctx, `CREATE DATABASE `+name); tmplErr == nil {
			tmplErr = prepare(dbURL(name))
		}
		if tmplErr != nil {
			admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
		}
		template = name
	}
	if tmplErr != nil {
		t.Fatalf("prepare the template database: %v", tmplErr)
	}
	name := fmt.Sprintf("cvtest_%d_%d", os.Getpid(), made.Add(1))
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+template+` STRATEGY FILE_COPY`); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return dbURL(name)
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
