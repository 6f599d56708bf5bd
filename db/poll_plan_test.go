package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
)

// recorder is a querier that remembers every query it passes on.
type recorder struct {
	querier
	queries []recorded
}

type recorded struct {
	sql  string
	args []any
}

func (r *recorder) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.queries = append(r.queries, recorded{query, args})
	return r.querier.QueryRowContext(ctx, query, args...)
}

func (r *recorder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.queries = append(r.queries, recorded{query, args})
	return r.querier.QueryContext(ctx, query, args...)
}

// TestPolling_everyQueryOfAPollSearchesAnIndex runs the reads of one poll of
// an export row (session, user, course with the caller's role, the export)
// and of the exports API list, and asks SQLite for each one's plan: none may
// scan a table, so a poll costs the same with 10 exports or 10,000.
func TestPolling_everyQueryOfAPollSearchesAnIndex(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	rec := &recorder{querier: d.Queries.q}
	q := &Queries{q: rec}
	store := SessionStore{DB: &DB{Queries: q}}

	if _, _, err := store.FindCtx(ctx, "token"); err != nil {
		t.Fatal(err)
	}
	for _, call := range []func() error{
		func() error { _, err := q.UserByID(ctx, 1); return err },
		func() error { _, _, err := q.CourseForUser(ctx, 1, 1); return err },
		func() error { _, err := q.ExportByID(ctx, 1, 1); return err },
	} {
		if err := call(); err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
	if _, err := q.Exports(ctx, 1, ExportArchive, 50); err != nil {
		t.Fatal(err)
	}
	if len(rec.queries) != 5 {
		t.Fatalf("recorded %d queries, want 5", len(rec.queries))
	}
	skipOnPostgres(t, d, "checks SQLite's query plans (EXPLAIN QUERY PLAN)")
	for _, r := range rec.queries {
		rows, err := d.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+r.sql, r.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		t.Logf("%s", strings.Join(plan, "; "))
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN") || strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("query %s\nplan: %s\nwant only index searches", strings.Join(strings.Fields(r.sql), " "), strings.Join(plan, "; "))
				break
			}
		}
	}
}
