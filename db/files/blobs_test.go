package files_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"coursevault/db/files"
	"coursevault/db/files/filestest"
)

// The one store suite: every store passes the same tests.
func TestBlobs(t *testing.T) {
	stores := map[string]func(t *testing.T) files.Blobs{
		"dir": func(t *testing.T) files.Blobs {
			d, err := files.NewDir(t.TempDir(), nil)
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"s3": func(t *testing.T) files.Blobs { return filestest.S3(t) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) { blobSuite(t, open) })
	}
}

const keyA, keyB = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"

func blobSuite(t *testing.T, open func(t *testing.T) files.Blobs) {
	ctx := context.Background()
	t.Run("put then open reads the bytes back at any offset", func(t *testing.T) {
		b := open(t)
		data := make([]byte, 11<<20+123) // more than two 5 MiB parts
		rand.Read(data)
		n, err := b.Put(ctx, keyA, bytes.NewReader(data))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("put = %d, %v", n, err)
		}
		if size, err := b.Stat(ctx, keyA); err != nil || size != n {
			t.Fatalf("stat = %d, %v", size, err)
		}
		r, err := b.Open(ctx, keyA)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if end, err := r.Seek(0, io.SeekEnd); err != nil || end != n {
			t.Fatalf("seek end = %d, %v", end, err)
		}
		if _, err := r.Seek(6<<20, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 1000)
		if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, data[6<<20:6<<20+1000]) {
			t.Fatalf("ranged read: %v", err)
		}
		at := make([]byte, 10)
		if _, err := r.ReadAt(at, 42); err != nil || !bytes.Equal(at, data[42:52]) {
			t.Fatalf("ReadAt: %v", err)
		}
	})
	t.Run("a failing source leaves nothing listed", func(t *testing.T) {
		b := open(t)
		boom := errors.New("the archive writer failed")
		src := io.MultiReader(bytes.NewReader(make([]byte, 7<<20)), &errReader{boom})
		if _, err := b.Put(ctx, keyA, src); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the source's", err)
		}
		assertEmpty(t, b)
		if _, err := b.Stat(ctx, keyA); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat = %v, want ErrNotExist", err)
		}
		// Put cleaned up after itself: no partial write is left to tidy.
		if n, err := b.Tidy(ctx, -time.Hour, nil); err != nil || n != 0 {
			t.Fatalf("tidy removed %d partial writes (%v), want none", n, err)
		}
	})
	t.Run("a cancelled context stops the put", func(t *testing.T) {
		b := open(t)
		c, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := b.Put(c, keyA, strings.NewReader("abc")); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		assertEmpty(t, b)
	})
	t.Run("missing objects are ErrNotExist and delete is idempotent", func(t *testing.T) {
		b := open(t)
		if _, err := b.Open(ctx, keyB); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("open = %v", err)
		}
		if _, err := b.Stat(ctx, keyB); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stat = %v", err)
		}
		if err := b.Delete(ctx, keyB); err != nil {
			t.Errorf("delete of a missing object = %v", err)
		}
	})
	t.Run("list shows complete objects, delete removes them", func(t *testing.T) {
		b := open(t)
		for _, k := range []string{keyA, keyB} {
			if _, err := b.Put(ctx, k, strings.NewReader(k)); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string]int64{}
		if err := b.List(ctx, func(o files.Object) error { got[o.Key] = o.Size; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[keyA] != 32 || got[keyB] != 32 {
			t.Fatalf("list = %v", got)
		}
		if err := b.Delete(ctx, keyA); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Stat(ctx, keyA); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat after delete = %v", err)
		}
	})
	t.Run("keys that are not tokens are refused", func(t *testing.T) {
		b := open(t)
		if _, err := b.Put(ctx, "../escape", strings.NewReader("x")); err == nil {
			t.Fatal("stored under a path")
		}
	})
}

func assertEmpty(t *testing.T, b files.Blobs) {
	t.Helper()
	var keys []string
	b.List(context.Background(), func(o files.Object) error { keys = append(keys, o.Key); return nil })
	if len(keys) != 0 {
		t.Fatalf("store lists %v, want nothing", keys)
	}
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }
