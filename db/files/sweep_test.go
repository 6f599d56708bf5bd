package files

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSweep_tempOfDeadProcessGoesAtOnceRunningOnesStay(t *testing.T) {
	fx := newFixture(t, Options{})
	// A pid that cannot be running, and pid 1 (init), which always is.
	dead := filepath.Join(fx.dir, ".tmp-999999999-partial")
	alive := filepath.Join(fx.dir, ".tmp-1-partial")
	for _, p := range []string{dead, alive} {
		if err := os.WriteFile(p, []byte("half an archive"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(alive, old, old) // however old, a running process's temp stays
	if _, _, err := fx.s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Error("a fresh temp of a dead process survived the sweep")
	}
	if _, err := os.Stat(alive); err != nil {
		t.Error("a running process's temp was removed")
	}
}
