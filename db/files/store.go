package files

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"coursevault/db"
)

// Input describes a file to store.
type Input struct {
	Owner       Owner
	Category    string // CourseArchive, PerformanceBook or CourseStatic
	Filename    string // display name; sanitized with SafeName
	ContentType string // "" derives it from the extension, then from the bytes
	CreatedBy   int64  // user id, 0 for none
	TTL         time.Duration
	Pinned      bool // never expires; TTL is ignored
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

// Store streams r's bytes to the store and records the file. The bytes are
// complete, durable and checked (size confirmed by the store, sha256 computed
// while streaming) before the row commits; on any failure nothing is left:
// no partial object, no bytes, no row.
func (s *Service) Store(ctx context.Context, in Input, r io.Reader) (File, error) {
	return s.Produce(ctx, in, func(w io.Writer, _ *Input) error {
		_, err := io.CopyBuffer(w, r, make([]byte, 1<<20))
		return err
	})
}

// Produce stores the bytes write writes (an export being made), streamed to
// the store as they come: nothing of them is kept in memory or on local disk
// beyond the store's own buffer (one multipart part on S3). write may fill
// in what is known only once the bytes are written (the filename, content
// type, Link); the owner and category must be known before. The owner's
// quota bounds the bytes written. A failure of write, of the store or of the
// commit leaves nothing behind.
func (s *Service) Produce(ctx context.Context, in Input, write func(w io.Writer, in *Input) error) (File, error) {
	in, err := s.checkInput(in)
	if err != nil {
		return File{}, err
	}
	name := in.Filename
	// Refuse early, and stop copying once the quota is passed, so a full
	// course does not first fill the store. The transaction checks again.
	room, err := s.room(ctx, in.Owner)
	if err != nil {
		return File{}, fmt.Errorf("files: store %s: %w", name, err)
	}
	token, err := newToken()
	if err != nil {
		return File{}, err
	}
	s.setLive(token, true) // until the row commits, the bytes have no row
	defer s.setLive(token, false)

	owner := in.Owner
	pr, pw := io.Pipe()
	h := sha256.New()
	var head sniffBuffer
	done := make(chan error, 1)
	go func() {
		var w io.Writer = pw
		if room >= 0 {
			w = &roomWriter{w: pw, left: room}
		}
		// Past the quota the upload is abandoned (errNoRoom), not completed.
		err := write(io.MultiWriter(w, h, &head), &in)
		pw.CloseWithError(err)
		done <- err
	}()
	n, perr := s.blobs.Put(ctx, token, pr)
	pr.CloseWithError(errStoreStopped) // unblock write if Put gave up
	werr := <-done
	if in.Filename != "" {
		name = SafeName(in.Filename)
	}
	fail := func(err error) (File, error) {
		if perr == nil {
			s.deleteBytes(token)
		}
		if name == "" {
			return File{}, fmt.Errorf("files: store: %w", err)
		}
		return File{}, fmt.Errorf("files: store %s: %w", name, err)
	}
	switch {
	case errors.Is(werr, errNoRoom) || errors.Is(perr, errNoRoom):
		return fail(&QuotaError{Owner: owner, Quota: s.quota, Used: s.quota - room, Size: room + 1})
	case werr != nil && !errors.Is(werr, errStoreStopped):
		return fail(werr)
	case perr != nil:
		return fail(perr)
	case werr != nil:
		return fail(werr)
	case room >= 0 && n > room:
		return fail(&QuotaError{Owner: in.Owner, Quota: s.quota, Used: s.quota - room, Size: n})
	}
	in, err = s.checkInput(in)
	if err != nil {
		return fail(err)
	}
	if in.Owner != owner {
		return fail(errors.New("the owner changed while the file was written"))
	}
	return s.commit(ctx, in, token, n, hex.EncodeToString(h.Sum(nil)), head.b)
}

// errStoreStopped is what a writer gets once the store stopped reading.
var errStoreStopped = errors.New("the file store stopped reading")

// errNoRoom stops a write that passed the owner's quota.
var errNoRoom = errors.New("no room left")

// roomWriter passes at most left bytes and fails with errNoRoom at the
// first byte more.
type roomWriter struct {
	w    io.Writer
	left int64
}

func (r *roomWriter) Write(p []byte) (int, error) {
	k := min(int64(len(p)), r.left)
	if k == 0 && len(p) > 0 {
		return 0, errNoRoom
	}
	n, err := r.w.Write(p[:k])
	r.left -= int64(n)
	if err == nil && n < len(p) {
		err = errNoRoom
	}
	return n, err
}

// commit inserts the row of bytes stored under token (checking the quota and
// running in.Link in the same transaction). Any failure removes the bytes.
func (s *Service) commit(ctx context.Context, in Input, token string, size int64, sum string, head []byte) (File, error) {
	fail := func(err error) (File, error) {
		s.deleteBytes(token)
		return File{}, fmt.Errorf("files: store %s: %w", in.Filename, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
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
	err := s.d.InTx(ctx, func(tx *db.Queries) error {
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
		return fail(err)
	}
	return f, nil
}

// deleteBytes removes the bytes of a store that failed; what cannot be
// removed now the next sweep removes.
func (s *Service) deleteBytes(token string) {
	if err := s.blobs.Delete(context.Background(), token); err != nil {
		s.log.Warn("files: could not remove bytes of a failed store; the next sweep removes them", "token", token, "err", err)
	}
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

func (s *Service) setLive(token string, live bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if live {
		s.live[token] = struct{}{}
	} else {
		delete(s.live, token)
	}
}

func (s *Service) isLive(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.live[token]
	return ok
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
