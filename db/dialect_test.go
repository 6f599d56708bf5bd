package db

import (
	"context"
	"database/sql/driver"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every SQLite migration has its PostgreSQL twin with the same number, and
// no twin is left without its SQLite migration. A new migration added to
// db/migrations without one in db/migrations/postgres fails here.
func TestMigrations_postgresMirrorsEverySQLiteVersion(t *testing.T) {
	versions := func(dl dialect) []int {
		ms, err := migrations(dl)
		if err != nil {
			t.Fatal(err)
		}
		var vs []int
		for _, m := range ms {
			vs = append(vs, m.version)
		}
		return vs
	}
	lite, pg := versions(dialectSQLite), versions(dialectPostgres)
	if !slices.Equal(lite, pg) {
		t.Fatalf("migrations differ:\n  db/migrations          %v\n  db/migrations/postgres %v", lite, pg)
	}
	if err := sameVersions(nil); err == nil || !strings.Contains(err.Error(), "has no PostgreSQL version") {
		t.Fatalf("a missing PostgreSQL migration gave %v, want a refusal naming it", err)
	}
}

func TestRebind_writesSQLiteQueriesForPostgres(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		args           []int
	}{
		{"bare placeholders count up", `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`, []int{0, 1}},
		{"numbered ones keep their argument", `WHERE a = ?2 OR b = ?1 OR c = ?2`, `WHERE a = $1 OR b = $2 OR c = $1`, []int{1, 0}},
		{"a skipped argument is not passed", `WHERE a = ?1 AND b = ?3`, `WHERE a = $1 AND b = $2`, []int{0, 2}},
		{"a bare ? follows the highest number", `VALUES (?2, ?)`, `VALUES ($1, $2)`, []int{1, 2}},
		{"question marks in literals stay", `SELECT '?', "a?b", x FROM t WHERE y = ? -- why?` + "\n", `SELECT '?', "a?b", x FROM t WHERE y = $1 -- why?` + "\n", []int{0}},
		{"a doubled quote stays inside the literal", `SELECT 'it''s ?' WHERE a = ?`, `SELECT 'it''s ?' WHERE a = $1`, []int{0}},
		{"dollar-quoted bodies stay", `CREATE FUNCTION f() AS $$ SELECT '?' LIKE 'x' $$; SELECT ?`, `CREATE FUNCTION f() AS $$ SELECT '?' LIKE 'x' $$; SELECT $1`, []int{0}},
		{"LIKE ignores case as in SQLite", `WHERE e LIKE ? ESCAPE '\' OR n NOT like ?`, `WHERE e ILIKE $1 ESCAPE '\' OR n NOT ILIKE $2`, []int{0, 1}},
		{"COLLATE NOCASE orders by lower", `ORDER BY u.name COLLATE NOCASE, u.email`, `ORDER BY lower(u.name), u.email`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rebind(tc.in)
			if got.sql != tc.want || !slices.Equal(got.args, tc.args) {
				t.Errorf("rebind(%q)\n got %q %v\nwant %q %v", tc.in, got.sql, got.args, tc.want, tc.args)
			}
		})
	}
	if got := rebind(`SELECT value FROM json_each(?)`).sql; !strings.Contains(got, "jsonb_array_elements_text(") || strings.Contains(got, "?") {
		t.Errorf("json_each became %q", got)
	}
	got := rebind(`SELECT s.id FROM json_each(?) j CROSS JOIN submissions s INDEXED BY submissions_external_id WHERE s.external_id = j.value`).sql
	if !strings.HasSuffix(got, ") AS j CROSS JOIN submissions s WHERE s.external_id = j.value") || strings.Contains(got, "INDEXED") {
		t.Errorf("json_each with an alias and an index hint became %q", got)
	}
	got = rebind(`SELECT value FROM json_each(?) WHERE value <> ''`).sql
	if !strings.HasSuffix(got, ") AS json_each WHERE value <> ''") {
		t.Errorf("json_each before WHERE became %q", got)
	}
}

func TestPgConn_bindsBoolsAsIntegers(t *testing.T) {
	var c pgConn
	for in, want := range map[any]any{true: int64(1), false: int64(0), "x": "x", int64(7): int64(7)} {
		nv := driver.NamedValue{Value: in}
		if err := c.CheckNamedValue(&nv); err != nil || nv.Value != want {
			t.Errorf("%v bound as %v (%v), want %v", in, nv.Value, err, want)
		}
	}
}

// On PostgreSQL, as on SQLite: opening again applies nothing new, and a
// database from a newer coursevault is refused untouched.
func TestOpen_postgresKeepsItsSchemaVersion(t *testing.T) {
	url := postgresURL(t, "TestOpen_* cover SQLite")
	ctx := context.Background()
	d := openURL(t, url)
	var v int
	if err := d.w.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("schema_version = %d (%v), want %d", v, err, SchemaVersion())
	}
	if _, err := d.w.Exec(`UPDATE schema_version SET version = 9999`); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := OpenURL(ctx, url); err == nil || !strings.Contains(err.Error(), "schema version 9999") {
		t.Fatalf("err = %v, want a newer-schema refusal", err)
	}
}

func TestRedactURL_hidesThePassword(t *testing.T) {
	got := RedactURL("postgres://cv:s3cret@db.example:5433/coursevault?sslmode=require")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "db.example:5433/coursevault") {
		t.Fatalf("RedactURL = %q", got)
	}
}

// Write transactions run one at a time on PostgreSQL too, even from two
// processes (here two DBs) on one database: the second waits for the first.
func TestInTx_postgresWritersTakeTurnsAcrossProcesses(t *testing.T) {
	url := postgresURL(t, "SQLite's single writer is its file lock")
	ctx := context.Background()
	a, b := openURL(t, url), openURL(t, url)
	inA, release, bDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		a.InTx(ctx, func(*Queries) error { close(inA); <-release; return nil })
	}()
	<-inA
	go func() {
		b.InTx(ctx, func(*Queries) error { return nil })
		close(bDone)
	}()
	select {
	case <-bDone:
		t.Fatal("a second write transaction ran while the first was open")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	select {
	case <-bDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the second write transaction never ran")
	}
}

// postgresURL returns a new PostgreSQL database for a PostgreSQL-only test,
// or skips it on SQLite, saying what covers SQLite instead.
func postgresURL(t *testing.T, onSQLite string) string {
	t.Helper()
	url := testURL(t)
	if !IsPostgresURL(url) {
		t.Skip("PostgreSQL only (COURSEVAULT_TEST_DATABASE=postgres); " + onSQLite)
	}
	return url
}

// openURL opens the database at url, closed when t ends.
func openURL(t *testing.T, url string) *DB {
	t.Helper()
	d, err := OpenURL(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
