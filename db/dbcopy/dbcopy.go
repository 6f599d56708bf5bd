// Package dbcopy moves a coursevault SQLite database into an empty
// PostgreSQL database (`coursevault db copy`), row for row with the same ids,
// and verifies every table by its row count and a checksum.
package dbcopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"coursevault/db"
)

// ErrNotEmpty refuses a target that already holds coursevault data.
var ErrNotEmpty = errors.New("the PostgreSQL database is not empty")

// ErrMismatch says a table read back from PostgreSQL differs from SQLite.
var ErrMismatch = errors.New("verification failed")

// Options tune Copy.
type Options struct {
	// Progress, when set, is called as rows are copied: done of total rows,
	// and the table being copied.
	Progress func(done, total int64, note string)
}

// Table is one table's verification.
type Table struct {
	Name       string
	Rows       int64 // in SQLite
	TargetRows int64
	Checksum   string // hex, SQLite's rows
	Target     string // hex, PostgreSQL's rows
}

// OK reports whether both sides hold the same rows.
func (t Table) OK() bool { return t.Rows == t.TargetRows && t.Checksum == t.Target }

// Result is what Copy did.
type Result struct {
	Tables []Table
	Rows   int64
	Copy   time.Duration // migrating, copying and committing
	Verify time.Duration // reading PostgreSQL's rows back
}

// Copy copies every table of the SQLite database at source into the
// PostgreSQL database at target, in one transaction, then verifies it.
//
// The target is migrated to this coursevault's schema first (a fresh
// database gets its tables) and must hold no coursevault data: rows beyond
// those the migrations themselves insert refuse the copy with ErrNotEmpty,
// before anything is changed. Tables are found in SQLite's schema, so a
// table a new migration adds is copied too; one without a PostgreSQL twin
// (or a column without one) stops the copy. Rows keep their ids and values
// exactly: the copy runs with the tables' own triggers disabled (the
// data_version triggers would otherwise move every course's version), in
// foreign-key order, streamed with COPY; then every identity sequence is
// moved past the copied ids. The source is read in one snapshot.
//
// A mismatch found by the verification returns the result and ErrMismatch.
func Copy(ctx context.Context, source, target string, opts Options) (Result, error) {
	start := time.Now()
	what := db.RedactURL(target)
	if !db.IsPostgresURL(target) {
		return Result{}, errors.New("the target must be a postgres:// URL")
	}
	cfg, err := pgx.ParseConfig(target)
	if err != nil {
		return Result{}, fmt.Errorf("the --to URL: %w", err)
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	if _, err := os.Stat(source); err != nil {
		return Result{}, fmt.Errorf("no SQLite database to copy at %s (give --data-dir or --database): %w", source, err)
	}
	// Bring the source to this binary's schema, so both sides match.
	src0, err := db.Open(ctx, source)
	if err != nil {
		return Result{}, err
	}
	src0.Close()
	baseline, err := freshCounts(ctx)
	if err != nil {
		return Result{}, err
	}

	pg, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return Result{}, fmt.Errorf("connect to %s: %w", what, err)
	}
	defer pg.Close(context.Background())

	src, err := sql.Open("sqlite", "file:"+filepath.ToSlash(source)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return Result{}, fmt.Errorf("open %s: %w", source, err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	// One read transaction for the whole copy and its verification: one
	// snapshot even if something writes to the file meanwhile.
	stx, err := src.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, fmt.Errorf("read %s: %w", source, err)
	}
	defer stx.Rollback()
	tables, err := sourceTables(ctx, stx)
	if err != nil {
		return Result{}, fmt.Errorf("read %s's schema: %w", source, err)
	}

	// Refuse a target holding data before even migrating it.
	if err := checkEmpty(ctx, pg, tables, baseline, what); err != nil {
		return Result{}, err
	}
	tgt0, err := db.OpenURL(ctx, target)
	if err != nil {
		return Result{}, err
	}
	tgt0.Close()
	if err := registerCitext(ctx, pg); err != nil {
		return Result{}, err
	}
	if err := targetColumns(ctx, pg, tables); err != nil {
		return Result{}, err
	}

	var total int64
	for _, t := range tables {
		if err := stx.QueryRowContext(ctx, `SELECT count(*) FROM `+sqliteName(t.name)).Scan(&t.rows); err != nil {
			return Result{}, fmt.Errorf("count %s: %w", t.name, err)
		}
		total += t.rows
	}

	if err := copyAll(ctx, pg, stx, tables, baseline, what, total, opts.Progress); err != nil {
		return Result{}, err
	}
	res := Result{Rows: total, Copy: time.Since(start)}
	verified := time.Now()
	failed := false
	for _, t := range tables {
		n, sum, err := targetChecksum(ctx, pg, t)
		if err != nil {
			return Result{}, fmt.Errorf("verify %s: %w", t.name, err)
		}
		row := Table{Name: t.name, Rows: t.copied, TargetRows: n, Checksum: t.sum.hex(), Target: sum.hex()}
		failed = failed || !row.OK()
		res.Tables = append(res.Tables, row)
	}
	res.Verify = time.Since(verified)
	if failed {
		return res, ErrMismatch
	}
	return res, nil
}

// table is one table being copied.
type table struct {
	name    string
	cols    []column
	parents []string // tables its foreign keys point to
	rows    int64    // counted before the copy
	copied  int64
	sum     checksum
}

type column struct {
	name     string
	kind     kind // from PostgreSQL's type
	identity bool
}

// sourceTables lists the SQLite database's tables (SQLite's own left out)
// with their columns, in an order where each comes after the tables its
// foreign keys point to.
func sourceTables(ctx context.Context, tx *sql.Tx) ([]*table, error) {
	names, err := strings1(ctx, tx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	byName := map[string]*table{}
	var all []*table
	for _, n := range names {
		t := &table{name: n}
		cols, err := strings1(ctx, tx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, n)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			t.cols = append(t.cols, column{name: c})
		}
		if t.parents, err = strings1(ctx, tx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, n); err != nil {
			return nil, err
		}
		byName[n] = t
		all = append(all, t)
	}
	// Depth-first: parents first. A table pointing at itself needs nothing
	// before it; a cycle between tables cannot be copied in order.
	var order []*table
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(t *table) error
	visit = func(t *table) error {
		switch state[t.name] {
		case 1:
			return fmt.Errorf("the foreign keys of %s form a cycle: db copy cannot order it", t.name)
		case 2:
			return nil
		}
		state[t.name] = 1
		for _, p := range t.parents {
			if pt := byName[p]; pt != nil && p != t.name {
				if err := visit(pt); err != nil {
					return err
				}
			}
		}
		state[t.name] = 2
		order = append(order, t)
		return nil
	}
	for _, t := range all {
		if err := visit(t); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// targetColumns finds each table's PostgreSQL twin and its columns' types:
// a table or column without a twin stops the copy.
func targetColumns(ctx context.Context, pg *pgx.Conn, tables []*table) error {
	for _, t := range tables {
		rows, err := pg.Query(ctx, `SELECT column_name, data_type, udt_name, is_identity = 'YES',
				column_default IS NOT NULL OR is_nullable = 'YES'
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, t.name)
		if err != nil {
			return fmt.Errorf("read the PostgreSQL schema: %w", err)
		}
		kinds := map[string]kind{}
		ident := map[string]bool{}
		var required []string // PostgreSQL's columns without a default
		for rows.Next() {
			var name, dataType, udt string
			var id, optional bool
			if err := rows.Scan(&name, &dataType, &udt, &id, &optional); err != nil {
				rows.Close()
				return err
			}
			k, err := kindOf(dataType, udt)
			if err != nil {
				rows.Close()
				return fmt.Errorf("%s.%s: %w", t.name, name, err)
			}
			kinds[name], ident[name] = k, id
			if !optional {
				required = append(required, name)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(kinds) == 0 {
			return fmt.Errorf("table %s of the SQLite database has no twin in PostgreSQL: this coursevault's PostgreSQL migrations lack it (nothing was copied)", t.name)
		}
		for i, c := range t.cols {
			k, ok := kinds[c.name]
			if !ok {
				return fmt.Errorf("column %s.%s of the SQLite database has no twin in PostgreSQL (nothing was copied)", t.name, c.name)
			}
			t.cols[i].kind, t.cols[i].identity = k, ident[c.name]
		}
		// A PostgreSQL-only column (data_version_hold.changed) takes its
		// default; one without a default cannot be filled.
		for _, name := range required {
			if !slices.ContainsFunc(t.cols, func(c column) bool { return c.name == name }) {
				return fmt.Errorf("column %s.%s of PostgreSQL has no default and no twin in SQLite (nothing was copied)", t.name, name)
			}
		}
	}
	return nil
}

// registerCitext lets COPY send text to citext columns (an extension type
// pgx does not know by name): its binary form is text's.
func registerCitext(ctx context.Context, pg *pgx.Conn) error {
	var oid uint32
	err := pg.QueryRow(ctx, `SELECT oid FROM pg_type WHERE typname = 'citext'`).Scan(&oid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up citext: %w", err)
	}
	pg.TypeMap().RegisterType(&pgtype.Type{Name: "citext", OID: oid, Codec: pgtype.TextCodec{}})
	return nil
}

// freshCounts is how many rows each table of a freshly migrated database
// holds (the migrations insert a few: the CSRF key, the backup default).
// Those, and only those, may be in the target already.
func freshCounts(ctx context.Context) (map[string]int64, error) {
	dir, err := os.MkdirTemp("", "coursevault-dbcopy-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "fresh.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	d.Close()
	raw, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	names, err := strings1(ctx, tx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, n := range names {
		var c int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+sqliteName(n)).Scan(&c); err != nil {
			return nil, err
		}
		counts[n] = c
	}
	return counts, nil
}

// checkEmpty refuses a target whose tables hold more rows than a fresh
// database's. Tables it does not have yet count as empty.
func checkEmpty(ctx context.Context, pg pgxQuerier, tables []*table, baseline map[string]int64, what string) error {
	var full []string
	for _, t := range tables {
		var exists bool
		if err := pg.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgName(t.name)).Scan(&exists); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		if !exists {
			continue
		}
		var n int64
		if err := pg.QueryRow(ctx, `SELECT count(*) FROM `+pgName(t.name)).Scan(&n); err != nil {
			return fmt.Errorf("count %s in %s: %w", t.name, what, err)
		}
		if n > baseline[t.name] {
			full = append(full, fmt.Sprintf("%s: %d rows", t.name, n))
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w: %s already holds coursevault data (%s); copy into a new, empty database (CREATE DATABASE ... OWNER ...); nothing was changed",
			ErrNotEmpty, what, strings.Join(full, ", "))
	}
	return nil
}

type pgxQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// copyAll copies every table in one PostgreSQL transaction: it disables the
// tables' triggers (taking their locks, so the emptiness is checked again
// under them), empties what the migrations put there, copies, moves the
// identity sequences and enables the triggers again.
func copyAll(ctx context.Context, pg *pgx.Conn, stx *sql.Tx, tables []*table, baseline map[string]int64, what string, total int64, progress func(done, total int64, note string)) error {
	tx, err := pg.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin on %s: %w", what, err)
	}
	defer tx.Rollback(context.Background())
	for _, t := range tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgName(t.name)+` DISABLE TRIGGER USER`); err != nil {
			return fmt.Errorf("disable the triggers of %s (the copy must run as the user owning coursevault's tables): %w", t.name, err)
		}
	}
	if err := checkEmpty(ctx, tx, tables, baseline, what); err != nil {
		return err
	}
	for _, t := range slices.Backward(tables) {
		if _, err := tx.Exec(ctx, `DELETE FROM `+pgName(t.name)); err != nil {
			return fmt.Errorf("empty %s: %w", t.name, err)
		}
	}
	var done int64
	for _, t := range tables {
		names := make([]string, len(t.cols))
		for i, c := range t.cols {
			names[i] = sqliteName(c.name)
		}
		rows, err := stx.QueryContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+sqliteName(t.name))
		if err != nil {
			return fmt.Errorf("read %s: %w", t.name, err)
		}
		s := newStream(t, rows, func(n int64) {
			if progress != nil && n%1000 == 0 {
				progress(done+n, total, t.name)
			}
		})
		colNames := make([]string, len(t.cols))
		for i, c := range t.cols {
			colNames[i] = c.name
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{t.name}, colNames, s)
		rows.Close()
		if err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
		t.copied = s.n
		done += s.n
		if progress != nil {
			progress(done, total, t.name)
		}
		for _, c := range t.cols {
			if !c.identity {
				continue
			}
			// The next id is one past the largest copied (1 when none).
			q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(%s) FROM %s), 0) + 1, false)`, pgName(c.name), pgName(t.name))
			if _, err := tx.Exec(ctx, q, pgName(t.name), c.name); err != nil {
				return fmt.Errorf("move %s's id sequence: %w", t.name, err)
			}
		}
	}
	for _, t := range tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgName(t.name)+` ENABLE TRIGGER USER`); err != nil {
			return fmt.Errorf("enable the triggers of %s: %w", t.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit on %s: %w", what, err)
	}
	return nil
}

// stream feeds COPY one SQLite row at a time, converted to the target's
// types and added to the table's checksum; nothing else is kept in memory.
type stream struct {
	t     *table
	rows  *sql.Rows
	raw   []any
	ptrs  []any
	out   []any
	n     int64
	err   error
	after func(n int64)
}

func newStream(t *table, rows *sql.Rows, after func(n int64)) *stream {
	s := &stream{t: t, rows: rows, raw: make([]any, len(t.cols)), ptrs: make([]any, len(t.cols)), out: make([]any, len(t.cols)), after: after}
	for i := range s.raw {
		s.ptrs[i] = &s.raw[i]
	}
	return s
}

func (s *stream) Next() bool {
	if s.err != nil || !s.rows.Next() {
		return false
	}
	if s.err = s.rows.Scan(s.ptrs...); s.err != nil {
		return false
	}
	h := newRowHash()
	for i, c := range s.t.cols {
		v, err := convert(c.kind, s.raw[i])
		if err != nil {
			s.err = fmt.Errorf("row %d, column %s: %w", s.n+1, c.name, err)
			return false
		}
		s.out[i] = v
		h.add(c.kind, v)
	}
	s.t.sum.add(h.sum())
	s.n++
	s.after(s.n)
	return true
}

func (s *stream) Values() ([]any, error) { return s.out, nil }

func (s *stream) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// targetChecksum reads a table back from PostgreSQL and sums it as the copy
// summed SQLite's rows.
func targetChecksum(ctx context.Context, pg *pgx.Conn, t *table) (int64, checksum, error) {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = pgName(c.name)
	}
	var sum checksum
	var n int64
	rows, err := pg.Query(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+pgName(t.name))
	if err != nil {
		return 0, sum, err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return 0, sum, err
		}
		h := newRowHash()
		for i, c := range t.cols {
			v, err := convert(c.kind, vals[i])
			if err != nil {
				return 0, sum, fmt.Errorf("column %s: %w", c.name, err)
			}
			h.add(c.kind, v)
		}
		sum.add(h.sum())
		n++
	}
	return n, sum, rows.Err()
}

func strings1(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func sqliteName(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func pgName(s string) string { return pgx.Identifier{s}.Sanitize() }
