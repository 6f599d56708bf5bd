package db

import (
	"context"
	"database/sql"
	"sync"
)

// A bulk write runs the same few statements in transaction after
// transaction (an ingest's batches, an import's), and SQLite compiles a
// statement each time it is prepared: a 64-row INSERT takes longer to
// compile than to run. stmtCache keeps such statements prepared on the
// writer pool for every later transaction to use (Queries.prepare).
//
// A statement is first prepared inside the transaction that needs it, as
// before, and on the pool once that transaction has ended: preparing on
// the pool waits for a free writer connection, and on SQLite the
// transaction holds the only one.
type stmtCache struct {
	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool // asked for inside a transaction, to prepare after it
	closed bool
}

// maxCachedStmts bounds the cache: the bulk inserts' statements (a few
// row counts for each table) and the ingest writer's.
const maxCachedStmts = 64

// get returns query's cached statement, or nil after noting it for
// prepareWanted (while there is room).
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stmts[query]
	if s == nil && !c.closed && len(c.stmts)+len(c.wanted) < maxCachedStmts {
		if c.wanted == nil {
			c.wanted = map[string]bool{}
		}
		c.wanted[query] = true
	}
	return s
}

// prepareWanted prepares on pool w the statements asked for since the
// last call; a failure only means they are compiled again next time.
func (c *stmtCache) prepareWanted(ctx context.Context, w *sql.DB) {
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for query := range wanted {
		s, err := w.PrepareContext(context.WithoutCancel(ctx), query)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.closed || c.stmts[query] != nil {
			s.Close()
		} else {
			if c.stmts == nil {
				c.stmts = map[string]*sql.Stmt{}
			}
			c.stmts[query] = s
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts, c.wanted, c.closed = nil, nil, true
}

// prepare returns query prepared for this transaction, from the writer's
// cache when it is there; close it when done (it closes with the
// transaction anyway). Outside a write transaction it prepares as
// PrepareContext does.
func (q *Queries) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	if q.tx != nil && q.cache != nil {
		if s := q.cache.get(query); s != nil {
			return q.tx.StmtContext(ctx, s), nil
		}
	}
	return q.q.PrepareContext(ctx, query)
}
