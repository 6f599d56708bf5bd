// Package db opens coursevault's database (a SQLite file, or PostgreSQL: see
// dialect.go), applies its embedded migrations and holds the typed queries
// for every table.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is the application's database. It keeps two pools on the same file:
//
//   - one writer connection. SQLite allows a single writer at a time; funnelling
//     every write through one connection whose transactions start with BEGIN
//     IMMEDIATE means our own writers queue in Go instead of failing with
//     SQLITE_BUSY (a deferred transaction that reads first and then writes can
//     fail that way even with busy_timeout). busy_timeout still covers other
//     processes, such as the CLI, writing to the same file.
//   - a pool of read-only connections. In WAL mode readers never block the writer
//     nor each other, so pages, polls and long export reads run beside writes.
//
// Never call a DB method that writes from inside InTx: the single writer is busy
// with the transaction and the call would wait forever.
type DB struct {
	*Queries // reads, on the reader pool

	w       *sql.DB
	r       *sql.DB
	dialect dialect
	stmts   stmtCache // the writer's, for bulk writes
	url     string    // PostgreSQL's, for the job listener's own connection
}

// Path-independent connection settings. synchronous=NORMAL is durable across
// process crashes in WAL mode (only a power cut may lose the last commits);
// attachment bytes are fsynced separately before their rows commit.
// journal_size_limit: once a checkpoint lets the WAL start over, a WAL file
// grown past 64 MiB (a big import batch) is cut back to it, not kept at its
// largest size for good.
const pragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=journal_size_limit(67108864)&_time_format=sqlite"

// Open opens (creating if needed) the database file at path and migrates it to
// the schema this binary knows. A file that is not SQLite, or carries a newer
// schema, is refused without being changed.
func Open(ctx context.Context, path string) (*DB, error) {
	u := "file:" + (&url.URL{Path: path}).EscapedPath()
	// The writer gets a 64 MiB page cache: bulk writes (demo, import) touch
	// many index pages, and there is only this one connection to hold it.
	w, err := sql.Open("sqlite", u+"?"+pragmas+"&_pragma=cache_size(-65536)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, describeOpenError(path, err)
	}
	if err := migrate(ctx, w, dialectSQLite); err != nil {
		w.Close()
		return nil, describeOpenError(path, err)
	}
	r, err := sql.Open("sqlite", u+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	return &DB{Queries: &Queries{q: r}, w: w, r: r, dialect: dialectSQLite}, nil
}

func describeOpenError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_NOTADB || se.Code() == sqlite3.SQLITE_CORRUPT) {
		return fmt.Errorf("db: %s is not a coursevault database (not SQLite or damaged); nothing was changed", path)
	}
	return fmt.Errorf("db: open %s: %w", path, err)
}

// Close closes both pools.
func (d *DB) Close() error {
	d.stmts.close()
	return errors.Join(d.r.Close(), d.w.Close())
}

// SetWriterCache sets the writer connection's page cache to kib KiB (Open
// gives it 64 MiB). A one-shot command that streams a large course in, like
// import, needs far less and keeps its memory small with less.
func (d *DB) SetWriterCache(ctx context.Context, kib int) error {
	if d.dialect == dialectPostgres {
		return nil // the server's shared buffers are the cache
	}
	if _, err := d.w.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", kib)); err != nil {
		return fmt.Errorf("db: set the writer's page cache: %w", err)
	}
	return nil
}

// InTx runs fn in one immediate write transaction on the writer connection and
// commits if fn returns nil. Everything fn does through tx commits together or
// not at all (an export row and its job, for instance).
func (d *DB) InTx(ctx context.Context, fn func(tx *Queries) error) error {
	tx, err := d.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	// Statements the transaction compiled for the cache are prepared on the
	// writer pool once it has ended.
	defer d.stmts.prepareWanted(ctx, d.w)
	if err := fn(&Queries{q: tx, dialect: d.dialect, tx: tx, cache: &d.stmts}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// InBulkTx is InTx for a transaction that writes many rows of one course (an
// ingest batch, a gradebook apply, an import batch). The per-row
// data_version triggers stand aside (migration 0020) and the course's
// data_version moves once, before commit, if fn changed any row. fn must write
// only that course's data; a person's name or email changed inside still moves
// every course they belong to.
func (d *DB) InBulkTx(ctx context.Context, courseID int64, fn func(tx *Queries) error) error {
	return d.InTx(ctx, func(tx *Queries) error {
		var before int64
		if d.dialect == dialectSQLite {
			if err := tx.q.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
				return fmt.Errorf("db: bulk write: %w", err)
			}
		}
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO data_version_hold (course_id) VALUES (?)`, courseID); err != nil {
			return fmt.Errorf("db: hold course %d's data version: %w", courseID, err)
		}
		if err := fn(tx); err != nil {
			return err
		}
		changed, err := d.releaseHold(ctx, tx, before)
		if err != nil {
			return fmt.Errorf("db: release course %d's data version: %w", courseID, err)
		}
		if !changed {
			return nil
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE courses SET data_version = data_version + 1 WHERE id = ?`, courseID); err != nil {
			return fmt.Errorf("db: move course %d's data version: %w", courseID, err)
		}
		return nil
	})
}

// releaseHold deletes the hold and tells whether the transaction changed a
// row since it was taken. SQLite counts rows changed directly by statements
// in total_changes() (the hold's own insert and delete are two of them);
// PostgreSQL's trigger functions mark the hold row instead.
func (d *DB) releaseHold(ctx context.Context, tx *Queries, before int64) (bool, error) {
	if d.dialect == dialectPostgres {
		var changed int
		err := tx.q.QueryRowContext(ctx, `DELETE FROM data_version_hold RETURNING changed`).Scan(&changed)
		return changed == 1, err
	}
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM data_version_hold`); err != nil {
		return false, err
	}
	var after int64
	err := tx.q.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after)
	return after-before > 2, err
}

// Checkpoint copies what it can of the WAL into the database file without
// waiting for anyone (PASSIVE): frames a reader's snapshot still needs stay.
// Once everything is copied, the next write starts the WAL over.
// PostgreSQL has no WAL of ours to copy back: there it does nothing.
func (d *DB) Checkpoint(ctx context.Context) error {
	if d.dialect == dialectPostgres {
		return nil
	}
	if _, err := d.w.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		return fmt.Errorf("db: checkpoint: %w", err)
	}
	return nil
}

// Queries holds every typed query. The same methods run on the reader pool
// (DB's embedded Queries) and inside a write transaction (InTx's tx).
type Queries struct {
	q       querier
	dialect dialect
	tx      *sql.Tx    // in a write transaction (InTx)
	cache   *stmtCache // of the writer pool, in a write transaction
	times   struct {   // timeArg's last texts
		t    [2]time.Time
		s    [2]string
		next int
	}
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// ErrNotFound is returned by single-row lookups that match nothing.
var ErrNotFound = errors.New("not found")

// notFound turns sql.ErrNoRows into ErrNotFound, wrapping with what was looked up.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: %s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("db: %s: %w", what, err)
}

// rowAffected turns an update or delete that touched no row into ErrNotFound.
func rowAffected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("db: %s: %w", what, ErrNotFound)
	}
	return nil
}
