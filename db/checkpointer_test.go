package db

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bulk write with a Checkpointer: the writer's commits do not checkpoint
// (its automatic checkpoint is off until the last Checkpointer stops), the
// WAL is copied in the background and still starts over, so its file stays
// near maxWALFrames however much is written, and every row is there.
func TestCheckpointer_walStaysBoundedAndAutoCheckpointComesBack(t *testing.T) {
	defer func(n int64) { maxWALFrames = n }(maxWALFrames)
	maxWALFrames = 100 // 400 KiB
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coursevault.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.w.ExecContext(ctx, `CREATE TABLE bulk (x TEXT)`); err != nil {
		t.Fatal(err)
	}
	auto := func() (n int) {
		if err := d.w.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	c1, err := d.StartCheckpointer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := d.StartCheckpointer(ctx) // a second ingest at the same time
	if err != nil {
		t.Fatal(err)
	}
	if n := auto(); n != 0 {
		t.Errorf("automatic checkpoint %d pages during a bulk write, want off", n)
	}
	text := strings.Repeat("x", 100<<10)
	var walMax int64
	for range 60 { // 6 MiB, 15 times maxWALFrames
		err := d.InTx(ctx, func(tx *Queries) error {
			_, err := tx.q.ExecContext(ctx, `INSERT INTO bulk (x) VALUES (?)`, text)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := c1.Committed(); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			walMax = max(walMax, fi.Size())
		}
	}
	if walMax > 2<<20 { // maxWALFrames, maxBehind commits and slack
		t.Errorf("the WAL grew to %d bytes for 6 MiB written: it never started over", walMax)
	}
	if err := c1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := auto(); n != 0 {
		t.Errorf("automatic checkpoint %d pages while another Checkpointer runs, want off", n)
	}
	if err := c2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := auto(); n != 1000 {
		t.Errorf("automatic checkpoint %d pages after the bulk writes, want SQLite's 1000", n)
	}
	var rows int
	if err := d.r.QueryRowContext(ctx, `SELECT count(*) FROM bulk`).Scan(&rows); err != nil || rows != 60 {
		t.Errorf("%d rows, %v", rows, err)
	}
}
