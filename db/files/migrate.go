package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"coursevault/db"
)

// Migration is what Migrate did, file by file.
type Migration struct {
	Copied, Present int   // copied now; already at the destination, checked
	Bytes           int64 // bytes copied now
	Failed          []MigrationFailure
}

// MigrationFailure is a file Migrate could not copy, and why.
type MigrationFailure struct {
	File File
	Err  error
}

// Migrate copies the bytes of every file row from one store to another,
// checking each against the row's sha256 on the way, so the data directory
// can switch stores. It is resumable: a file already at the destination
// with the row's size and digest is left as it is (a killed migration
// starts again where it stopped; a partial upload never appears there). A
// file it cannot copy (missing at the source, a digest that does not
// match) is reported in Failed and the others go on; an unreachable store
// stops it. progress, if set, is told of each file.
func Migrate(ctx context.Context, d *db.DB, from, to Blobs, progress func(f File, what string)) (Migration, error) {
	var files []File
	err := d.EachFile(ctx, func(r db.FileRow) error {
		files = append(files, fromRow(r))
		return nil
	})
	if err != nil {
		return Migration{}, fmt.Errorf("files: migrate: %w", err)
	}
	var m Migration
	say := func(f File, what string) {
		if progress != nil {
			progress(f, what)
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		ok, err := holds(ctx, to, f)
		if err != nil {
			return m, fmt.Errorf("files: migrate %s: %w", f.Filename, err)
		}
		if ok {
			m.Present++
			say(f, "already there")
			continue
		}
		n, err := copyChecked(ctx, from, to, f)
		if errors.Is(err, ErrStoreDown) || errors.Is(err, context.Canceled) {
			return m, fmt.Errorf("files: migrate %s: %w", f.Filename, err)
		}
		if err != nil {
			m.Failed = append(m.Failed, MigrationFailure{File: f, Err: err})
			say(f, "FAILED: "+err.Error())
			continue
		}
		m.Copied++
		m.Bytes += n
		say(f, "copied")
	}
	return m, nil
}

// holds reports whether b has f's bytes: its size and its digest.
func holds(ctx context.Context, b Blobs, f File) (bool, error) {
	size, err := b.Stat(ctx, f.Token)
	if isNotExist(err) {
		return false, nil
	}
	if err != nil || size != f.Size {
		return false, err
	}
	sum, err := digest(ctx, b, f.Token)
	if isNotExist(err) {
		return false, nil
	}
	return sum == f.SHA256, err
}

func digest(ctx context.Context, b Blobs, key string) (string, error) {
	r, err := b.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, ContextReader(ctx, r), make([]byte, 1<<20)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copyChecked streams f's bytes from one store to the other, hashing them on
// the way; bytes that do not match the row are removed again.
func copyChecked(ctx context.Context, from, to Blobs, f File) (int64, error) {
	r, err := from.Open(ctx, f.Token)
	if isNotExist(err) {
		return 0, errors.New("the bytes are missing at the source")
	}
	if err != nil {
		return 0, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := to.Put(ctx, f.Token, io.TeeReader(r, h))
	if err != nil {
		return 0, err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 || n != f.Size {
		to.Delete(context.WithoutCancel(ctx), f.Token)
		return 0, fmt.Errorf("the source's bytes do not match the row (%d bytes, sha256 %s; the row says %d, %s)", n, sum, f.Size, f.SHA256)
	}
	return n, nil
}
