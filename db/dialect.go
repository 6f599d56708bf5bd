package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// This file holds everything that differs between the two databases
// coursevault runs on. The queries in the other files are written once, in
// SQLite's dialect (which is also close to standard SQL); on PostgreSQL they
// pass through pgConn, which rewrites each query once (placeholders, the few
// SQLite-only spellings) and converts arguments (Go bools).
//
// Schema conventions the queries rely on, kept on both: ids are 64-bit
// integers; booleans are INTEGER 0/1 (so `= 1` and `= 0` work everywhere and
// scan into Go bools); times are DATETIME (SQLite text in UTC, PostgreSQL
// timestamptz) and scan into time.Time; users.email and courses.code compare
// ignoring case (COLLATE NOCASE, citext).

// dialect names the database a DB runs on.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// IsPostgresURL reports whether a --database value names a PostgreSQL
// server rather than a SQLite file.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// OpenURL opens the database a --database value names: a postgres:// URL, or
// else the path of a SQLite file (see Open).
func OpenURL(ctx context.Context, database string) (*DB, error) {
	if IsPostgresURL(database) {
		return openPostgres(ctx, database)
	}
	return Open(ctx, database)
}

// writerLock is the key of the PostgreSQL advisory lock every write
// transaction takes first. It keeps SQLite's single-writer semantics (one
// write transaction at a time, across every process on the database), which
// the read-then-write checks inside InTx and the job claim rely on.
const writerLock = 0x636f757273657661 // "coursev"

// openPostgres connects two pools to the server: a writer pool whose
// transactions serialise on writerLock, and a reader pool whose transactions
// are read-only, like SQLite's query_only readers.
func openPostgres(ctx context.Context, url string) (*DB, error) {
	what := RedactURL(url)
	open := func(readOnly bool) (*sql.DB, error) {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			return nil, fmt.Errorf("db: %s: %w", what, err)
		}
		if readOnly {
			cfg.RuntimeParams["default_transaction_read_only"] = "on"
		}
		cfg.RuntimeParams["timezone"] = "UTC"
		c := stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
			// Times come back in UTC, as SQLite's do.
			c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
				Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
			return nil
		}))
		return sql.OpenDB(pgConnector{c}), nil
	}
	w, err := open(false)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(4)
	w.SetMaxIdleConns(4)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: connect to %s: %w", what, err)
	}
	d := &DB{w: w, dialect: dialectPostgres, url: url}
	if err := migrate(ctx, w, dialectPostgres); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: %s: %w", what, err)
	}
	r, err := open(true)
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	d.r = r
	d.Queries = &Queries{q: r, dialect: dialectPostgres}
	return d, nil
}

// RedactURL hides the password of a database URL for messages and logs.
func RedactURL(s string) string {
	if !IsPostgresURL(s) {
		return s
	}
	cfg, err := pgconn.ParseConfig(s)
	if err != nil {
		return "the PostgreSQL database"
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// beginWrite starts InTx's transaction: BEGIN IMMEDIATE on SQLite's single
// writer connection (the DSN's _txlock), the advisory writer lock on
// PostgreSQL.
func (d *DB) beginWrite(ctx context.Context) (*sql.Tx, error) {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil || d.dialect != dialectPostgres {
		return tx, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(writerLock)); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// readTxOptions gives ReadTx one snapshot for all its statements: SQLite's
// deferred transaction on a WAL reader has one; PostgreSQL needs REPEATABLE READ.
func (d *DB) readTxOptions() *sql.TxOptions {
	if d.dialect == dialectPostgres {
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return nil
}

// IsUniqueViolation reports whether err is a UNIQUE constraint failure.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Guard runs fn, statements whose failure a caller may answer and then go on
// in the same transaction (a taken course code is looked up to say who holds
// it; a mail that cannot be queued must not undo the export it is about).
// SQLite fails only the statement; PostgreSQL fails the whole transaction,
// so there fn runs under a savepoint it rolls back to.
func (q *Queries) Guard(ctx context.Context, fn func() error) error {
	tx, ok := q.q.(*sql.Tx)
	if !ok || q.dialect != dialectPostgres {
		return fn()
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT guard`); err != nil {
		return err
	}
	err := fn()
	end := `RELEASE SAVEPOINT guard`
	if err != nil {
		end = `ROLLBACK TO SAVEPOINT guard`
	}
	if _, rerr := tx.ExecContext(ctx, end); rerr != nil && err == nil {
		return rerr
	}
	return err
}

// schemaVersion reads the database's schema version: SQLite's PRAGMA
// user_version, PostgreSQL's schema_version table (created empty, as 0).
func schemaVersion(ctx context.Context, w *sql.DB, dl dialect) (int, error) {
	var v int
	if dl == dialectPostgres {
		if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
			return 0, err
		}
		err := w.QueryRowContext(ctx, `SELECT COALESCE(max(version), 0) FROM schema_version`).Scan(&v)
		return v, err
	}
	err := w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// setSchemaVersion records v inside the migration's transaction.
func setSchemaVersion(ctx context.Context, tx *sql.Tx, dl dialect, v int) error {
	if dl == dialectPostgres {
		if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v)
		return err
	}
	_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
	return err
}

// pgConnector hands out pgx connections wrapped in pgConn.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return pgConn{conn.(*stdlib.Conn)}, nil
}

// pgConn is pgx's database/sql connection with every query rewritten from
// the SQLite dialect (rebind) and Go bools bound as the INTEGER 0/1 the
// schema stores (pgx refuses to bind a bool to an integer parameter).
// Statements prepared on it convert their arguments here too: database/sql
// asks the connection when the statement does not check values itself.
type pgConn struct{ *stdlib.Conn }

func (c pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	q := rebind(query)
	st, err := c.Conn.PrepareContext(ctx, q.sql)
	if err != nil {
		return nil, err
	}
	return pgStmt{st.(*stdlib.Stmt), q}, nil
}

func (c pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	q := rebind(query)
	return c.Conn.ExecContext(ctx, q.sql, q.pick(args))
}

func (c pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q := rebind(query)
	return c.Conn.QueryContext(ctx, q.sql, q.pick(args))
}

// pgStmt is a statement prepared on pgConn; it passes the arguments its
// query uses (see pgQuery.pick).
type pgStmt struct {
	*stdlib.Stmt
	q pgQuery
}

// NumInput is -1: the caller may pass arguments the query does not use.
func (s pgStmt) NumInput() int { return -1 }

func (s pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Stmt.ExecContext(ctx, s.q.pick(args))
}

func (s pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.Stmt.QueryContext(ctx, s.q.pick(args))
}

func (c pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := nv.Value.(driver.Valuer); ok {
		val, err := v.Value()
		if err != nil {
			return err
		}
		nv.Value = val
	}
	if b, ok := nv.Value.(bool); ok {
		nv.Value = int64(0)
		if b {
			nv.Value = int64(1)
		}
	}
	return nil
}

// pgQuery is a query rewritten for PostgreSQL. SQLite lets a query skip
// some of its numbered arguments (?1, ?2, ?4) and ignores extra ones;
// PostgreSQL must know the type of every $N and wants exactly as many
// arguments. So the placeholders a query uses are numbered $1, $2, ... in the
// order of their first use, and args lists which argument each one takes.
type pgQuery struct {
	sql  string
	args []int // $i takes the caller's argument args[i-1] (0-based)
}

// pick returns the arguments the query uses, in its $N order.
func (q pgQuery) pick(in []driver.NamedValue) []driver.NamedValue {
	out := make([]driver.NamedValue, 0, len(q.args))
	for i, a := range q.args {
		if a >= len(in) {
			break // too few: let the server say so
		}
		nv := in[a]
		nv.Ordinal = i + 1
		out = append(out, nv)
	}
	return out
}

var rebound sync.Map // query → its pgQuery

// rebind turns a query written for SQLite into PostgreSQL's dialect, once
// per query text: placeholders ? and ?N become $N (see pgQuery); LIKE
// (case-insensitive for ASCII in SQLite) becomes ILIKE; `x COLLATE NOCASE`
// becomes lower(x); json_each(?) lists become jsonList. String literals, quoted names, comments
// and dollar-quoted bodies are left alone.
func rebind(query string) pgQuery {
	if v, ok := rebound.Load(query); ok {
		return v.(pgQuery)
	}
	var out, code strings.Builder
	flush := func() {
		out.WriteString(rewriteCode(code.String()))
		code.Reset()
	}
	var q pgQuery
	number := map[int]int{} // the caller's argument (1-based) → its $N
	n := 0                  // the highest argument so far: a bare ? is the next one
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(query[i+1:], c)
			end := len(query)
			if j >= 0 {
				end = i + 1 + j + 1
			}
			flush()
			out.WriteString(query[i:end]) // a doubled quote reads as two literals: same text
			i = end - 1
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			flush()
			out.WriteString(query[i : i+end])
			i += end - 1
		case c == '$' && dollarTag.MatchString(query[i:]):
			tag := dollarTag.FindString(query[i:])
			end := strings.Index(query[i+len(tag):], tag)
			stop := len(query)
			if end >= 0 {
				stop = i + len(tag) + end + len(tag)
			}
			flush()
			out.WriteString(query[i:stop])
			i = stop - 1
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			k := n + 1
			if j > i+1 {
				k, _ = strconv.Atoi(query[i+1 : j])
			}
			n = max(n, k)
			if number[k] == 0 {
				q.args = append(q.args, k-1)
				number[k] = len(q.args)
			}
			code.WriteString("$" + strconv.Itoa(number[k]))
			i = j - 1
		default:
			code.WriteByte(c)
		}
	}
	flush()
	q.sql = out.String()
	rebound.Store(query, q)
	return q
}

var (
	dollarTag = regexp.MustCompile(`^\$[A-Za-z_]*\$`)
	likeWord  = regexp.MustCompile(`(?i)\bLIKE\b`)
	nocase    = regexp.MustCompile(`(?i)([A-Za-z_][A-Za-z_0-9.]*)\s+COLLATE\s+NOCASE\b`)
	jsonEach  = regexp.MustCompile(`(?i)\bjson_each\((\$[0-9]+)\)(\s+(?:AS\s+)?([A-Za-z_][A-Za-z_0-9]*))?`)
	indexedBy = regexp.MustCompile(`(?i)\s+INDEXED\s+BY\s+[A-Za-z_][A-Za-z_0-9]*`)
)

// sqlWords may follow json_each(?) without being its alias.
var sqlWords = map[string]bool{"WHERE": true, "CROSS": true, "JOIN": true, "LEFT": true, "INNER": true,
	"ON": true, "ORDER": true, "GROUP": true, "LIMIT": true, "UNION": true, "USING": true, "NATURAL": true}

// jsonList is json_each($N) on PostgreSQL: the elements of a JSON array
// as a table with one column, value. JSON null (a nil Go slice) is an empty
// list, as in SQLite. The values are citext so that they compare with a
// citext column (users.email) ignoring case, as a NOCASE column does in
// SQLite, and with a text column (jobs.kind) exactly.
const jsonList = `(SELECT value::citext AS value FROM jsonb_array_elements_text(
	CASE jsonb_typeof(CAST($1 AS text)::jsonb) WHEN 'array' THEN CAST($1 AS text)::jsonb ELSE '[]' END)) AS json_each`

// rewriteCode rewrites the SQLite-only spellings in a stretch of a query
// outside literals (see rebind).
func rewriteCode(s string) string {
	s = likeWord.ReplaceAllString(s, "ILIKE")
	s = nocase.ReplaceAllString(s, "lower($1)")
	// INDEXED BY is a SQLite planner hint; PostgreSQL plans for itself.
	s = indexedBy.ReplaceAllString(s, "")
	return jsonEach.ReplaceAllStringFunc(s, func(m string) string {
		g := jsonEach.FindStringSubmatch(m)
		list := strings.Replace(jsonList, "$1", g[1], -1)
		if g[3] == "" || sqlWords[strings.ToUpper(g[3])] {
			return list + g[2] // json_each(?) keeps its name; the word after it stays
		}
		return strings.TrimSuffix(list, "AS json_each") + "AS " + g[3]
	})
}
