package db

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen_migratesAndIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cv.db")
	for i := range 2 {
		d, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open #%d: %v", i+1, err)
		}
		var v int
		if err := d.w.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != SchemaVersion() {
			t.Fatalf("user_version = %d, want %d", v, SchemaVersion())
		}
		d.Close()
	}
}

func TestOpen_refusesNonSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.db")
	content := strings.Repeat("this is not a database\n", 100)
	os.WriteFile(path, []byte(content), 0o600)
	_, err := Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "not a coursevault database") {
		t.Fatalf("err = %v, want a clear refusal", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != content {
		t.Fatal("the file was changed")
	}
}

func TestOpen_refusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cv.db")
	d, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	d.w.Exec("PRAGMA user_version = 9999")
	d.Close()
	_, err = Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "schema version 9999") {
		t.Fatalf("err = %v, want a newer-schema refusal", err)
	}
}

func TestReaderPoolCannotWrite(t *testing.T) {
	d := openTest(t)
	_, err := d.q.ExecContext(context.Background(), "DELETE FROM users")
	if err == nil {
		t.Fatal("a write on the reader pool succeeded")
	}
}
