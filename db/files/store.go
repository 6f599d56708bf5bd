package files

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"coursevault/db"
)

// tempPrefix starts the name of every temp file in the attachment directory,
// so Sweep can tell an orphaned temp from stored bytes (named by token).
const tempPrefix = ".tmp-"

// Input describes a file to store.
type Input struct {
	Owner       Owner
	Category    string // CourseArchive, PerformanceBook or CourseStatic
	Filename    string // display name; sanitized with SafeName
	ContentType string // "" derives it from the extension, then from the bytes
	CreatedBy   int64  // user id, 0 for none
	TTL         time.Duration
	Pinned      bool // never expires; TTL is ignored
	// SHA256 is for Adopt only: the lowercase hex digest the caller computed
	// while writing the temp file. Empty: Adopt reads the file once to compute it.
	SHA256 string
	// Link, if set, runs inside the transaction that inserts the file's row,
	// so the caller can point its own row (an export) at the file atomically.
	// An error from Link rolls the row back and removes the bytes.
	Link func(tx *db.Queries, f File) error
}

// QuotaError is the error a store returns when it would exceed the owner's
// quota; it matches ErrQuota. Its message is meant for the user.
type QuotaError struct {
	Owner Owner
	Quota int64 // bytes allowed
	Used  int64 // bytes already stored
	Size  int64 // bytes of the file refused (at least this many)
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("%s storage quota of %s would be exceeded (%s used); delete old exports or course files to free space",
		e.Owner.Type, FormatSize(e.Quota), FormatSize(e.Used))
}

func (e *QuotaError) Unwrap() error { return ErrQuota }

// Store writes r's bytes to the attachment directory and records the file.
// The bytes are durable before the row commits (temp file, fsync, rename,
// fsync of the directory); on any failure nothing is left: no temp file, no
// bytes, no row.
func (s *Service) Store(ctx context.Context, in Input, r io.Reader) (File, error) {
	in, err := s.checkInput(in)
	if err != nil {
		return File{}, err
	}
	// Refuse early, and stop copying once the quota is passed, so a full
	// course does not first fill the disk. The transaction checks again.
	room, err := s.room(ctx, in.Owner)
	if err != nil {
		return File{}, fmt.Errorf("files: store %s: %w", in.Filename, err)
	}
	tmp, err := s.CreateTemp()
	if err != nil {
		return File{}, err
	}
	var w io.Writer = tmp
	if s.writeHook != nil {
		w = s.writeHook(w)
	}
	h := sha256.New()
	var head sniffBuffer
	src := io.Reader(ctxReader{ctx, r})
	if room >= 0 {
		src = io.LimitReader(src, room+1)
	}
	buf := make([]byte, 1<<20)
	n, err := io.CopyBuffer(io.MultiWriter(w, h, &head), src, buf)
	if err != nil {
		s.Discard(tmp)
		return File{}, fmt.Errorf("files: store %s: write: %w", in.Filename, err)
	}
	if room >= 0 && n > room {
		s.Discard(tmp)
		return File{}, fmt.Errorf("files: store %s: %w", in.Filename,
			&QuotaError{Owner: in.Owner, Quota: s.quota, Used: s.quota - room, Size: n})
	}
	return s.commit(ctx, in, tmp, n, hex.EncodeToString(h.Sum(nil)), head.b)
}

// CreateTemp creates a temp file in the attachment directory for a job to
// write a large file into and then Adopt (or Discard). Sweep leaves it alone
// while this process holds it.
func (s *Service) CreateTemp() (*os.File, error) {
	// The pid in the name lets a sweep tell a dead process's temp (remove it
	// at once) from a running one's (leave it, however old).
	tmp, err := os.CreateTemp(s.dir, tempPrefix+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("files: create temp file: %w", err)
	}
	s.setLive(tmp.Name(), true)
	return tmp, nil
}

// Discard closes and removes a temp file from CreateTemp (a cancelled or
// failed job). Discarding twice is harmless.
func (s *Service) Discard(tmp *os.File) {
	if tmp == nil {
		return
	}
	tmp.Close()
	if s.isOurTemp(tmp.Name()) {
		if err := os.Remove(tmp.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("files: could not remove temp file; the next sweep removes it", "path", tmp.Name(), "err", err)
		}
	}
	s.setLive(tmp.Name(), false)
}

// Adopt records a temp file from CreateTemp, already written by the caller,
// as a stored file: it is renamed into place, never copied. The hash comes
// from in.SHA256 or from reading the file once. Adopt always consumes tmp: on
// failure it is removed.
func (s *Service) Adopt(ctx context.Context, in Input, tmp *os.File) (File, error) {
	if tmp == nil || !s.isOurTemp(tmp.Name()) {
		name := "<nil>"
		if tmp != nil {
			name = tmp.Name()
		}
		return File{}, fmt.Errorf("files: adopt %s: not a temp file of this attachment directory", name)
	}
	in, err := s.checkInput(in)
	if err != nil {
		s.Discard(tmp)
		return File{}, err
	}
	size, sum, head, err := s.measure(in, tmp)
	if err != nil {
		s.Discard(tmp)
		return File{}, fmt.Errorf("files: adopt %s: %w", in.Filename, err)
	}
	return s.commit(ctx, in, tmp, size, sum, head)
}

// measure finds the size, digest and first bytes of an adopted temp file.
func (s *Service) measure(in Input, tmp *os.File) (size int64, sum string, head []byte, err error) {
	if in.SHA256 != "" {
		if len(in.SHA256) != 64 || !isLowerHex(in.SHA256) {
			return 0, "", nil, fmt.Errorf("SHA256 %q is not 64 lowercase hex digits", in.SHA256)
		}
		st, err := tmp.Stat()
		if err != nil {
			return 0, "", nil, err
		}
		head := make([]byte, sniffLen)
		k, err := tmp.ReadAt(head, 0)
		if err != nil && err != io.EOF {
			return 0, "", nil, err
		}
		return st.Size(), in.SHA256, head[:k], nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, "", nil, err
	}
	h := sha256.New()
	var sb sniffBuffer
	n, err := io.CopyBuffer(io.MultiWriter(h, &sb), tmp, make([]byte, 1<<20))
	if err != nil {
		return 0, "", nil, fmt.Errorf("hash: %w", err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), sb.b, nil
}

// commit makes a written temp file durable under its token's name and
// inserts its row (checking the quota and running in.Link in the same
// transaction). Any failure removes the bytes.
func (s *Service) commit(ctx context.Context, in Input, tmp *os.File, size int64, sum string, head []byte) (File, error) {
	fail := func(err error) (File, error) {
		s.Discard(tmp)
		return File{}, fmt.Errorf("files: store %s: %w", in.Filename, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	// fsync before rename: after a crash the name must never point at
	// bytes that were not yet on disk.
	if err := tmp.Sync(); err != nil {
		return fail(fmt.Errorf("sync: %w", err))
	}
	if err := tmp.Close(); err != nil {
		return fail(fmt.Errorf("close: %w", err))
	}
	token, err := newToken()
	if err != nil {
		return fail(err)
	}
	final := s.path(token)
	s.setLive(final, true) // between rename and commit the bytes have no row yet
	defer s.setLive(final, false)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fail(fmt.Errorf("rename into place: %w", err))
	}
	s.setLive(tmp.Name(), false)
	removeFinal := func(err error) (File, error) {
		if rerr := os.Remove(final); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			s.log.Warn("files: could not remove bytes of a failed store; the next sweep removes them", "token", token, "err", rerr)
		}
		return File{}, fmt.Errorf("files: store %s: %w", in.Filename, err)
	}
	// fsync the directory so the rename itself survives a crash.
	if err := syncDir(s.dir); err != nil {
		return removeFinal(fmt.Errorf("sync directory: %w", err))
	}
	now := s.clock.Now().UTC()
	f := File{
		Token: token, Owner: in.Owner, Category: in.Category, Filename: in.Filename,
		ContentType: in.ContentType, Size: size, SHA256: sum, CreatedBy: in.CreatedBy, CreatedAt: now,
	}
	if f.ContentType == "" {
		f.ContentType = contentType(in.Filename, head)
	}
	if !in.Pinned {
		ttl := in.TTL
		if ttl <= 0 {
			ttl = s.ttl
		}
		exp := now.Add(ttl)
		f.ExpiresAt = &exp
	}
	err = s.d.InTx(ctx, func(tx *db.Queries) error {
		if s.hasQuota(in.Owner) {
			used, err := tx.OwnerFileUsage(ctx, in.Owner.Type, in.Owner.ID)
			if err != nil {
				return err
			}
			if used+size > s.quota {
				return &QuotaError{Owner: in.Owner, Quota: s.quota, Used: used, Size: size}
			}
		}
		id, err := tx.InsertFile(ctx, f.row())
		if err != nil {
			return err
		}
		f.ID = id
		if in.Link != nil {
			return in.Link(tx, f)
		}
		return nil
	})
	if err != nil {
		return removeFinal(err)
	}
	return f, nil
}

// checkInput validates in and fills in its sanitized filename.
func (s *Service) checkInput(in Input) (Input, error) {
	if in.Owner.Type == "" {
		return in, errors.New("files: store: the file has no owner")
	}
	switch in.Category {
	case CourseArchive, PerformanceBook, CourseStatic, ImportUpload, KeptUpload:
	default:
		return in, fmt.Errorf("files: store: unknown category %q", in.Category)
	}
	in.Filename = SafeName(in.Filename)
	return in, nil
}

func (s *Service) hasQuota(o Owner) bool { return o.Type == OwnerCourse }

// room is how many more bytes the owner may store (-1: no limit).
func (s *Service) room(ctx context.Context, o Owner) (int64, error) {
	if !s.hasQuota(o) {
		return -1, nil
	}
	used, err := s.d.OwnerFileUsage(ctx, o.Type, o.ID)
	if err != nil {
		return 0, err
	}
	if used >= s.quota {
		return 0, &QuotaError{Owner: o, Quota: s.quota, Used: used}
	}
	return s.quota - used, nil
}

func (s *Service) setLive(name string, live bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if live {
		s.live[name] = struct{}{}
	} else {
		delete(s.live, name)
	}
}

func (s *Service) isLive(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.live[name]
	return ok
}

func (s *Service) isOurTemp(name string) bool {
	return filepath.Dir(name) == s.dir && strings.HasPrefix(filepath.Base(name), tempPrefix)
}

// newToken returns 128 random bits as 32 lowercase hex digits.
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("files: token: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// ValidToken reports whether s has the shape of a token: 32 lowercase hex digits.
func ValidToken(s string) bool { return len(s) == 32 && isLowerHex(s) }

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// OpenByID opens the bytes of the file with id, for readers that know only
// the row id (the archive writer's static files).
func (s *Service) OpenByID(ctx context.Context, id int64) (io.ReadCloser, error) {
	f, err := s.GetByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.Open(ctx, f)
}

// ContextReader returns a reader of r that stops with ctx's error once ctx
// ends, so a long copy (of a cancelled job) stops between reads.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

// ctxReader stops a copy when the context ends (a cancelled job).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

const sniffLen = 512

// sniffBuffer keeps the first bytes written, for content type detection.
type sniffBuffer struct{ b []byte }

func (s *sniffBuffer) Write(p []byte) (int, error) {
	if k := sniffLen - len(s.b); k > 0 {
		s.b = append(s.b, p[:min(k, len(p))]...)
	}
	return len(p), nil
}
