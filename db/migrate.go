package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrationDirs holds each dialect's migrations. Both carry the same
// versions: migrations/postgres/NNNN_what.sql does for PostgreSQL what
// migrations/NNNN_what.sql does for SQLite.
var migrationDirs = map[dialect]string{dialectSQLite: "migrations", dialectPostgres: "migrations/postgres"}

// migrations lists the embedded files named NNNN_what.sql in version order.
func migrations(dl dialect) ([]migration, error) {
	names, err := fs.Glob(migrationFS, migrationDirs[dl]+"/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("db: migration %s: name must start with a number and _", base)
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("db: migrations %s and %s share a version", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int {
	ms, err := migrations(dialectSQLite)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate applies, each in its own transaction, the migrations newer than the
// database's schema version. The version is kept in PRAGMA user_version on
// SQLite and in the schema_version table on PostgreSQL, so a database from a
// newer coursevault is recognised and left untouched. On PostgreSQL it first
// checks that every SQLite migration has its PostgreSQL counterpart: a
// missing one is refused before anything changes.
func migrate(ctx context.Context, w *sql.DB, dl dialect) error {
	ms, err := migrations(dl)
	if err != nil {
		return err
	}
	if dl != dialectSQLite {
		if err := sameVersions(ms); err != nil {
			return err
		}
	}
	current, err := schemaVersion(ctx, w, dl)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if latest := SchemaVersion(); current > latest {
		return fmt.Errorf("db: the database has schema version %d but this coursevault knows only up to %d; use a newer coursevault (nothing was changed)", current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("db: migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("db: migration %s: %w", m.name, err)
		}
		if err := setSchemaVersion(ctx, tx, dl, m.version); err != nil {
			tx.Rollback()
			return fmt.Errorf("db: migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("db: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// sameVersions refuses a dialect's migrations ms unless they carry exactly
// the SQLite migrations' versions.
func sameVersions(ms []migration) error {
	base, err := migrations(dialectSQLite)
	if err != nil {
		return err
	}
	have := map[int]bool{}
	for _, m := range ms {
		have[m.version] = true
	}
	for _, m := range base {
		if !have[m.version] {
			return fmt.Errorf("db: migration %s has no PostgreSQL version (db/migrations/postgres/%04d_*.sql); this coursevault cannot run on PostgreSQL (nothing was changed)", m.name, m.version)
		}
		delete(have, m.version)
	}
	for v := range have {
		return fmt.Errorf("db: PostgreSQL migration %04d has no SQLite version", v)
	}
	return nil
}
