package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"time"
)

// Blobs is where the bytes of files live, each under a key (the file's
// token). The Service keeps the rows and the rules on top of it and does
// not know which store it has: the local directory (Dir) or an
// S3-compatible bucket (S3). Missing objects are errors matching
// fs.ErrNotExist.
type Blobs interface {
	// Put streams r to key and returns how many bytes it wrote. The object
	// appears under key only once it is complete: on any error (r failing,
	// ctx ending, the store refusing) nothing is left under key, and the
	// partial write is removed (or left for Tidy when the store cannot be
	// reached).
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open opens an object for reading at any offset (ranged reads on S3).
	Open(ctx context.Context, key string) (Blob, error)
	// Stat returns an object's size.
	Stat(ctx context.Context, key string) (int64, error)
	// Delete removes an object; a missing one is no error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every complete object.
	List(ctx context.Context, fn func(Object) error) error
	// Tidy removes partial writes abandoned by a dead process, or older
	// than grace, except those to keys live reports (this process is
	// writing them), and returns how many it removed.
	Tidy(ctx context.Context, grace time.Duration, live func(key string) bool) (int, error)
	// String describes the store for logs, without any secret.
	String() string
}

// Presigner is a store that can hand out short-lived URLs for an object's
// bytes (S3). params are extra response overrides such as
// response-content-disposition.
type Presigner interface {
	Presign(ctx context.Context, key string, ttl time.Duration, params url.Values) (*url.URL, error)
}

// Blob is an open object: readable from any offset, as http.ServeContent
// and zip readers need.
type Blob interface {
	io.ReadSeekCloser
	io.ReaderAt
}

// Object is a stored object as List sees it.
type Object struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// ErrStoreDown marks errors of a file store that did not answer (refused
// connection, timeout): the operation may succeed if retried later.
var ErrStoreDown = errors.New("the file store did not answer")

// downError wraps an error of an unreachable store so that it reads
// "the file store did not answer: ..." and matches ErrStoreDown.
func downError(err error) error {
	if err == nil || errors.Is(err, ErrStoreDown) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrStoreDown, err)
}

// isNotExist reports whether err says an object is missing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// ErrStorageURL marks a --storage value that names no store we know or is
// malformed; the message says what is wrong without repeating credentials.
var ErrStorageURL = errors.New("must be file or an s3:// URL")

// OpenStorage opens the store a storage setting names: nil for "file" or ""
// (New's default, the data directory's attachments), an S3 bucket for an
// s3:// URL. A bad setting matches ErrStorageURL.
func OpenStorage(storage string) (Blobs, error) {
	switch {
	case storage == "" || storage == "file":
		return nil, nil
	case strings.HasPrefix(storage, "s3://"):
		cfg, err := ParseS3URL(storage)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrStorageURL, err)
		}
		return NewS3(cfg)
	}
	return nil, ErrStorageURL
}
