package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"time"

	"coursevault/db"
)

var (
	// ErrPathTaken: the course already has material at the path a rename asked for.
	ErrPathTaken = errors.New("the course already has a file at that path")
	// ErrTooLarge: an upload is larger than the limit it was given (a *SizeError).
	ErrTooLarge = errors.New("file too large")
)

// SizeError is the error of an upload over its size limit; it matches
// ErrTooLarge and its message is meant for the user.
type SizeError struct{ Limit int64 }

func (e *SizeError) Error() string {
	return "the file is larger than the limit of " + FormatSize(e.Limit)
}

func (e *SizeError) Unwrap() error { return ErrTooLarge }

// Static is a piece of a course's public material: its path in the course's
// tree and the stored file holding its bytes.
type Static struct {
	ID        int64 // the static_files row
	CourseID  int64
	Path      string
	CreatedAt time.Time
	File      File
}

func fromStatic(r db.StaticFile) Static {
	return Static{ID: r.ID, CourseID: r.CourseID, Path: r.Path, CreatedAt: r.CreatedAt, File: fromRow(r.File)}
}

// StaticInput describes material to put at a course path.
type StaticInput struct {
	Path string // checked with CleanStaticPath
	// ContentType is the type the uploader declared; "" or a generic or
	// malformed one derives it from the extension, then from the bytes.
	ContentType string
	CreatedBy   int64 // user id, 0 for none (a course token, the demo)
	MaxSize     int64 // bytes; 0: no limit but the quota
}

// AddStatic stores r's bytes as the course's static material at p (e.g.
// "lectures/week1.pdf"). Material already at p is replaced.
func (s *Service) AddStatic(ctx context.Context, courseID int64, p string, r io.Reader) (File, error) {
	st, _, err := s.PutStatic(ctx, courseID, StaticInput{Path: p}, r)
	return st.File, err
}

// PutStatic streams r into the store as the course's material at in.Path:
// pinned, in category CourseStatic, counted against the course's quota, with
// its static_files row inserted in the same transaction as its file row.
// Material already at the path is replaced in that transaction (replaced is
// true) and its bytes removed only after the commit, so a failure leaves the
// old file whole. Over in.MaxSize the error is a *SizeError; over the quota a
// *QuotaError; a refused path a *PathError.
func (s *Service) PutStatic(ctx context.Context, courseID int64, in StaticInput, r io.Reader) (st Static, replaced bool, err error) {
	clean, err := CleanStaticPath(in.Path)
	if err != nil {
		return Static{}, false, err
	}
	var old *File
	var id int64
	sin := Input{
		Owner: Course(courseID), Category: CourseStatic, Filename: path.Base(clean), Pinned: true,
		ContentType: declaredType(in.ContentType), CreatedBy: in.CreatedBy,
		Link: func(tx *db.Queries, f File) error {
			prev, err := tx.StaticFileByPath(ctx, courseID, clean)
			switch {
			case errors.Is(err, db.ErrNotFound):
			case err != nil:
				return err
			default:
				if err := tx.DeleteStaticFilesOfFile(ctx, prev.File.ID); err != nil {
					return err
				}
				if err := tx.DeleteFile(ctx, prev.File.ID); err != nil {
					return err
				}
				of := fromRow(prev.File)
				old = &of
			}
			id, err = tx.InsertStaticFile(ctx, courseID, clean, f.ID, f.CreatedAt)
			return err
		},
	}
	if in.MaxSize > 0 {
		r = &limitReader{r: r, left: in.MaxSize, limit: in.MaxSize}
	}
	f, err := s.Store(ctx, sin, r)
	if err != nil {
		return Static{}, false, fmt.Errorf("files: put static %s: %w", clean, err)
	}
	if old != nil {
		s.removeBytes(*old)
	}
	return Static{ID: id, CourseID: courseID, Path: clean, CreatedAt: f.CreatedAt, File: f}, old != nil, nil
}

// declaredType keeps an uploader's content type when it says something:
// a generic or malformed one is dropped so the store derives it.
func declaredType(ct string) string {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt == "application/octet-stream" || mt == "" {
		return ""
	}
	return mime.FormatMediaType(mt, params)
}

// limitReader fails with a *SizeError once more than limit bytes are read.
type limitReader struct {
	r           io.Reader
	left, limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, &SizeError{Limit: l.limit}
	}
	return n, err
}

// ListStatic returns a course's material by path.
func (s *Service) ListStatic(ctx context.Context, courseID int64) ([]Static, error) {
	rows, err := s.d.ListStaticFiles(ctx, courseID)
	if err != nil {
		return nil, fmt.Errorf("files: list static: %w", err)
	}
	out := make([]Static, len(rows))
	for i, r := range rows {
		out[i] = fromStatic(r)
	}
	return out, nil
}

// StaticByID returns the course's material with id; ErrNotFound when the
// course has none with it.
func (s *Service) StaticByID(ctx context.Context, courseID, id int64) (Static, error) {
	r, err := s.d.StaticFileByID(ctx, courseID, id)
	return staticResult(r, err, "files: get static")
}

// StaticByPath returns the course's material at p; ErrNotFound when there
// is none (or p is not a path CleanStaticPath accepts).
func (s *Service) StaticByPath(ctx context.Context, courseID int64, p string) (Static, error) {
	clean, err := CleanStaticPath(p)
	if err != nil {
		return Static{}, fmt.Errorf("files: get static: %w", ErrNotFound)
	}
	r, err := s.d.StaticFileByPath(ctx, courseID, clean)
	return staticResult(r, err, "files: get static")
}

func staticResult(r db.StaticFile, err error, what string) (Static, error) {
	if errors.Is(err, db.ErrNotFound) {
		return Static{}, fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if err != nil {
		return Static{}, fmt.Errorf("%s: %w", what, err)
	}
	return fromStatic(r), nil
}

// RenameStatic moves the course's material id to path p; the download name
// (the link's last part) becomes p's last part, so the old link stops
// working. A path in use is ErrPathTaken; the same path changes nothing.
func (s *Service) RenameStatic(ctx context.Context, courseID, id int64, p string) (Static, error) {
	clean, err := CleanStaticPath(p)
	if err != nil {
		return Static{}, err
	}
	var st Static
	err = s.d.InTx(ctx, func(tx *db.Queries) error {
		r, err := tx.StaticFileByID(ctx, courseID, id)
		if err != nil {
			return err
		}
		st = fromStatic(r)
		if st.Path == clean {
			return nil
		}
		if err := tx.MoveStaticFile(ctx, courseID, id, clean); err != nil {
			if db.IsUniqueViolation(err) {
				return ErrPathTaken
			}
			return err
		}
		name := SafeName(path.Base(clean))
		if err := tx.SetFileName(ctx, st.File.ID, name); err != nil {
			return err
		}
		st.Path, st.File.Filename = clean, name
		return nil
	})
	if errors.Is(err, db.ErrNotFound) {
		return Static{}, fmt.Errorf("files: rename static %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Static{}, fmt.Errorf("files: rename static %d to %s: %w", id, clean, err)
	}
	return st, nil
}

// DeleteStatic removes a course's material: its rows, then its bytes.
func (s *Service) DeleteStatic(ctx context.Context, st Static) error {
	return s.Delete(ctx, st.File)
}
