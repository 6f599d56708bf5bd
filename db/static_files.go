package db

import (
	"context"
	"fmt"
	"time"
)

// StaticFile is a piece of public course material (a lecture PDF, an image):
// its place in the course's tree and the file row holding its bytes.
type StaticFile struct {
	ID        int64
	CourseID  int64
	Path      string // slash-separated, relative, e.g. "lectures/week1.pdf"
	CreatedAt time.Time
	File      FileRow
}

// InsertStaticFile records that fileID is the course's material at path.
func (q *Queries) InsertStaticFile(ctx context.Context, courseID int64, path string, fileID int64, now time.Time) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO static_files (course_id, path, file_id, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		courseID, path, fileID, now.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert static file %s of course %d: %w", path, courseID, err)
	}
	return id, nil
}

// staticFileColumns reads a static_files row joined with its files row
// (aliases s and f), in scanStaticFile's order.
const staticFileColumns = `s.id, s.course_id, s.path, s.created_at,
       f.id, f.token, f.owner_type, f.owner_id, f.category, f.filename, f.content_type,
       f.size, f.sha256, f.created_by, f.created_at, f.expires_at, f.missing`

func scanStaticFile(s interface{ Scan(dest ...any) error }) (StaticFile, error) {
	var sf StaticFile
	f, err := scanFile(prefixScanner{s, []any{&sf.ID, &sf.CourseID, &sf.Path, &sf.CreatedAt}})
	if err != nil {
		return StaticFile{}, err
	}
	sf.CreatedAt = sf.CreatedAt.UTC()
	sf.File = f
	return sf, nil
}

// prefixScanner lets scanFile read the files columns that follow a few
// leading columns of a joined row.
type prefixScanner struct {
	s    interface{ Scan(dest ...any) error }
	head []any
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.s.Scan(append(p.head, dest...)...)
}

// StaticFileByPath returns the course's material at path, or ErrNotFound.
func (q *Queries) StaticFileByPath(ctx context.Context, courseID int64, path string) (StaticFile, error) {
	row := q.q.QueryRowContext(ctx, `
		SELECT `+staticFileColumns+`
		  FROM static_files s JOIN files f ON f.id = s.file_id
		 WHERE s.course_id = ? AND s.path = ?`, courseID, path)
	sf, err := scanStaticFile(row)
	if err != nil {
		return StaticFile{}, notFound(err, fmt.Sprintf("get static file %s of course %d", path, courseID))
	}
	return sf, nil
}

// ListStaticFiles returns a course's static files with their file rows, by
// path (the order the archive writes them in).
func (q *Queries) ListStaticFiles(ctx context.Context, courseID int64) ([]StaticFile, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT `+staticFileColumns+`
		  FROM static_files s JOIN files f ON f.id = s.file_id
		 WHERE s.course_id = ?
		 ORDER BY s.path`, courseID)
	if err != nil {
		return nil, fmt.Errorf("db: list static files of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []StaticFile
	for rows.Next() {
		sf, err := scanStaticFile(rows)
		if err != nil {
			return nil, fmt.Errorf("db: list static files of course %d: %w", courseID, err)
		}
		out = append(out, sf)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list static files of course %d: %w", courseID, err)
	}
	return out, nil
}

// StaticFilesSummary returns how many static files a course has and their
// total size in bytes (the Exports tab: "Include static files — 12 files, 40 MB").
func (q *Queries) StaticFilesSummary(ctx context.Context, courseID int64) (count int, bytes int64, err error) {
	err = q.q.QueryRowContext(ctx, `
		SELECT COUNT(*), COALESCE(SUM(f.size), 0)
		  FROM static_files s JOIN files f ON f.id = s.file_id
		 WHERE s.course_id = ?`, courseID).Scan(&count, &bytes)
	if err != nil {
		return 0, 0, fmt.Errorf("db: summarise static files of course %d: %w", courseID, err)
	}
	return count, bytes, nil
}

// DeleteStaticFilesOfFile deletes the static_files rows pointing at a file, so
// the file row itself can be deleted in the same transaction.
func (q *Queries) DeleteStaticFilesOfFile(ctx context.Context, fileID int64) error {
	if _, err := q.q.ExecContext(ctx, `DELETE FROM static_files WHERE file_id = ?`, fileID); err != nil {
		return fmt.Errorf("db: delete static files of file %d: %w", fileID, err)
	}
	return nil
}

// StaticFileByID returns the course's material with static_files id, or
// ErrNotFound (also when it belongs to another course).
func (q *Queries) StaticFileByID(ctx context.Context, courseID, id int64) (StaticFile, error) {
	row := q.q.QueryRowContext(ctx, `
		SELECT `+staticFileColumns+`
		  FROM static_files s JOIN files f ON f.id = s.file_id
		 WHERE s.course_id = ? AND s.id = ?`, courseID, id)
	sf, err := scanStaticFile(row)
	if err != nil {
		return StaticFile{}, notFound(err, fmt.Sprintf("get static file %d of course %d", id, courseID))
	}
	return sf, nil
}

// MoveStaticFile changes the path of the course's static file id. A path the
// course already uses is a unique violation (IsUniqueViolation).
func (q *Queries) MoveStaticFile(ctx context.Context, courseID, id int64, path string) error {
	res, err := q.q.ExecContext(ctx, `UPDATE static_files SET path = ? WHERE course_id = ? AND id = ?`, path, courseID, id)
	if err != nil {
		return fmt.Errorf("db: move static file %d of course %d to %s: %w", id, courseID, path, err)
	}
	return rowAffected(res, fmt.Sprintf("move static file %d of course %d", id, courseID))
}
