// Package files is coursevault's attachment subsystem: it keeps the bytes of
// exports and course material in a store (Blobs: the local directory or an
// S3-compatible bucket) beside their rows in the files table.
package files

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"coursevault/db"
)

// Categories: what a file is, which decides who may download it (Permits).
const (
	CourseArchive   = "course-archive"
	PerformanceBook = "performance-book"
	CourseStatic    = "course-static"
	// ImportUpload is an uploaded course archive waiting to be imported: never
	// downloadable (Permits admits nobody), removed when the import is done.
	ImportUpload = "course-import-upload"
	// KeptUpload is an uploaded file between its preview and its apply (a
	// roster, a gradebook): never downloadable, see Keep.
	KeptUpload = "kept-upload"
)

// Defaults for Options.
const (
	DefaultTTL         = 7 * 24 * time.Hour
	DefaultCourseQuota = 10 << 30 // 10 GiB
)

// OwnerCourse is the owner type of files that belong to a course.
const OwnerCourse = "course"

var (
	// ErrNotFound: no such file (unknown or malformed token, deleted row).
	ErrNotFound = errors.New("file not found")
	// ErrQuota: storing the file would exceed its owner's quota. The error
	// that wraps it (a *QuotaError) says how much is used and how to free space.
	ErrQuota = errors.New("storage quota exceeded")
)

// Owner is what a file belongs to, polymorphically: a course, later perhaps a user.
type Owner struct {
	Type string
	ID   int64
}

// Course is the owner for a course's files.
func Course(id int64) Owner { return Owner{Type: OwnerCourse, ID: id} }

// File is a stored file's record.
type File struct {
	ID          int64
	Token       string // 32 lowercase hex, 128 random bits; also the on-disk name
	Owner       Owner
	Category    string
	Filename    string // sanitized display name, what the browser saves
	ContentType string
	Size        int64
	SHA256      string // lowercase hex
	CreatedBy   int64  // user id, 0 for none
	CreatedAt   time.Time
	ExpiresAt   *time.Time // nil: pinned, kept until deleted
	Missing     bool       // bytes not found by the last Sweep
}

// URL is the download path: /files/<token>/<escaped filename>.
func (f File) URL() string {
	return "/files/" + f.Token + "/" + url.PathEscape(f.Filename)
}

// Expired reports whether the file's expiry has passed at now. Until the
// janitor deletes it, an expired file must not be served.
func (f File) Expired(now time.Time) bool {
	return f.ExpiresAt != nil && !now.Before(*f.ExpiresAt)
}

// Pinned reports whether the file never expires.
func (f File) Pinned() bool { return f.ExpiresAt == nil }

func fromRow(r db.FileRow) File {
	return File{
		ID: r.ID, Token: r.Token, Owner: Owner{Type: r.OwnerType, ID: r.OwnerID}, Category: r.Category,
		Filename: r.Filename, ContentType: r.ContentType, Size: r.Size, SHA256: r.SHA256,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, Missing: r.Missing,
	}
}

func fromRows(rows []db.FileRow) []File {
	out := make([]File, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out
}

func (f File) row() db.FileRow {
	return db.FileRow{
		ID: f.ID, Token: f.Token, OwnerType: f.Owner.Type, OwnerID: f.Owner.ID, Category: f.Category,
		Filename: f.Filename, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256,
		CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt, ExpiresAt: f.ExpiresAt, Missing: f.Missing,
	}
}

// Clock tells the time; tests inject a fake one.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options configure a Service. Zero values mean the defaults.
type Options struct {
	DefaultTTL  time.Duration // how long a stored file lives unless pinned (7 days)
	CourseQuota int64         // bytes a course's files may take together (10 GiB)
	Clock       Clock
	Logger      *slog.Logger
	// Unlink, if set, runs inside the transaction that deletes a file's row
	// (Delete and ExpireDue), so rows pointing at the file (an export) can be
	// cleared or marked expired atomically with it.
	Unlink func(tx *db.Queries, f File) error
	// Blobs is where the bytes go; nil: the directory New is given.
	Blobs Blobs
	// OrphanGrace is how old bytes without a row (or an abandoned partial
	// write) must be before Sweep removes them: a minute for the directory,
	// an hour for object storage.
	OrphanGrace time.Duration
}

// Service stores, finds and deletes files. It is safe for concurrent use.
type Service struct {
	d      *db.DB
	blobs  Blobs
	ttl    time.Duration
	quota  int64
	grace  time.Duration
	clock  Clock
	log    *slog.Logger
	unlink func(tx *db.Queries, f File) error

	mu   sync.Mutex
	live map[string]struct{} // keys being written or not yet committed, which Sweep must leave alone
}

// New returns a Service keeping bytes in opts.Blobs or, when that is nil, in
// dir, which is created (mode 0700) if missing. dir must be private to
// coursevault: tokens are the on-disk names.
func New(d *db.DB, dir string, opts Options) (*Service, error) {
	b := opts.Blobs
	grace := time.Hour
	if g, ok := b.(interface{ Grace() time.Duration }); ok {
		grace = g.Grace()
	}
	if b == nil {
		local, err := NewDir(dir, opts.Logger)
		if err != nil {
			return nil, err
		}
		b, grace = local, time.Minute
	}
	s := &Service{
		d: d, blobs: b, ttl: opts.DefaultTTL, quota: opts.CourseQuota, clock: opts.Clock, grace: opts.OrphanGrace,
		log: opts.Logger, unlink: opts.Unlink, live: map[string]struct{}{},
	}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.quota <= 0 {
		s.quota = DefaultCourseQuota
	}
	if s.grace <= 0 {
		s.grace = grace
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// Blobs is the store the bytes live in.
func (s *Service) Blobs() Blobs { return s.blobs }

// Dir is the attachment directory (absolute), or "" when the bytes are in
// object storage.
func (s *Service) Dir() string {
	if d, ok := s.blobs.(*Dir); ok {
		return d.Path()
	}
	return ""
}

// Get returns the file with token. Malformed tokens are refused before any
// query, with the same ErrNotFound as unknown ones.
func (s *Service) Get(ctx context.Context, token string) (File, error) {
	if !ValidToken(token) {
		return File{}, fmt.Errorf("files: get: %w", ErrNotFound)
	}
	r, err := s.d.FileByToken(ctx, token)
	if errors.Is(err, db.ErrNotFound) {
		return File{}, fmt.Errorf("files: get: %w", ErrNotFound)
	}
	if err != nil {
		return File{}, fmt.Errorf("files: get: %w", err)
	}
	return fromRow(r), nil
}

// GetByID returns the file with id (for rows that reference files, such as exports).
func (s *Service) GetByID(ctx context.Context, id int64) (File, error) {
	r, err := s.d.FileByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return File{}, fmt.Errorf("files: get %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return File{}, fmt.Errorf("files: get %d: %w", id, err)
	}
	return fromRow(r), nil
}

// List returns an owner's files of one category, newest first.
func (s *Service) List(ctx context.Context, owner Owner, category string) ([]File, error) {
	rows, err := s.d.ListFiles(ctx, owner.Type, owner.ID, category)
	if err != nil {
		return nil, fmt.Errorf("files: list: %w", err)
	}
	return fromRows(rows), nil
}

// Owned returns every file of an owner, all categories, oldest first.
func (s *Service) Owned(ctx context.Context, owner Owner) ([]File, error) {
	rows, err := s.d.OwnerFiles(ctx, owner.Type, owner.ID)
	if err != nil {
		return nil, fmt.Errorf("files: list owned: %w", err)
	}
	return fromRows(rows), nil
}

// Open opens a file's bytes for reading. Bytes gone from the store give an
// error matching both ErrNotFound and fs.ErrNotExist.
func (s *Service) Open(ctx context.Context, f File) (Blob, error) {
	if !ValidToken(f.Token) {
		return nil, fmt.Errorf("files: open: %w", ErrNotFound)
	}
	b, err := s.blobs.Open(ctx, f.Token)
	if isNotExist(err) {
		return nil, fmt.Errorf("files: open %s: bytes missing: %w (%w)", f.Filename, ErrNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("files: open %s: %w", f.Filename, err)
	}
	return b, nil
}

// Usage returns how many bytes an owner's files take.
func (s *Service) Usage(ctx context.Context, owner Owner) (int64, error) {
	n, err := s.d.OwnerFileUsage(ctx, owner.Type, owner.ID)
	if err != nil {
		return 0, fmt.Errorf("files: usage: %w", err)
	}
	return n, nil
}

// Pin keeps a file until it is deleted (pinned) or gives it the default
// lifetime again from now (unpinned), and returns the updated file.
func (s *Service) Pin(ctx context.Context, f File, pinned bool) (File, error) {
	var exp *time.Time
	if !pinned {
		t := s.clock.Now().UTC().Add(s.ttl)
		exp = &t
	}
	err := s.d.InTx(ctx, func(tx *db.Queries) error { return tx.SetFileExpiry(ctx, f.ID, exp) })
	if errors.Is(err, db.ErrNotFound) {
		return File{}, fmt.Errorf("files: pin %s: %w", f.Filename, ErrNotFound)
	}
	if err != nil {
		return File{}, fmt.Errorf("files: pin %s: %w", f.Filename, err)
	}
	f.ExpiresAt = exp
	return f, nil
}

// Delete removes a file's row (with any static_files row pointing at it, and
// whatever Options.Unlink clears) and then its bytes. The row goes first so a
// listed file never lacks its bytes; bytes left behind by a failed removal are
// orphans that the next Sweep deletes.
func (s *Service) Delete(ctx context.Context, f File) error {
	err := s.d.InTx(ctx, func(tx *db.Queries) error { return s.deleteRow(ctx, tx, f) })
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("files: delete %s: %w", f.Filename, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("files: delete %s: %w", f.Filename, err)
	}
	s.removeBytes(f)
	return nil
}

func (s *Service) deleteRow(ctx context.Context, tx *db.Queries, f File) error {
	if s.unlink != nil {
		if err := s.unlink(tx, f); err != nil {
			return err
		}
	}
	if err := tx.DeleteStaticFilesOfFile(ctx, f.ID); err != nil {
		return err
	}
	return tx.DeleteFile(ctx, f.ID)
}

func (s *Service) removeBytes(f File) {
	if err := s.blobs.Delete(context.Background(), f.Token); err != nil {
		s.log.Warn("files: bytes of a deleted file left in the store; the next sweep removes them",
			"file_id", f.ID, "token", f.Token, "err", err)
	}
}

// Quota returns how many bytes a course's files may take together.
func (s *Service) Quota() int64 { return s.quota }

// Check tells whether the store answers (one cheap request for S3). Its
// error says what is wrong, never with credentials.
func (s *Service) Check(ctx context.Context) error {
	type checker interface{ Check(context.Context) error }
	if c, ok := s.blobs.(checker); ok {
		return c.Check(ctx)
	}
	return nil
}
