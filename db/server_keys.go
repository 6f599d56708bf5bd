package db

import (
	"context"
)

// ServerKey returns the secret named name (migration 0019 creates them).
func (q *Queries) ServerKey(ctx context.Context, name string) ([]byte, error) {
	var k []byte
	err := q.q.QueryRowContext(ctx, `SELECT key FROM server_keys WHERE name = ?`, name).Scan(&k)
	if err != nil {
		return nil, notFound(err, "server key "+name)
	}
	return k, nil
}
