package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// FileRow is one row of the files table: the record of an attachment whose
// bytes live in the file store (package db/files owns the bytes).
type FileRow struct {
	ID          int64
	Token       string // 32 lowercase hex
	OwnerType   string // e.g. "course"
	OwnerID     int64
	Category    string
	Filename    string
	ContentType string
	Size        int64
	SHA256      string // lowercase hex
	CreatedBy   int64  // 0: nobody (a job, the CLI, a deleted user)
	CreatedAt   time.Time
	ExpiresAt   *time.Time // nil: pinned, kept until deleted
	Missing     bool       // the bytes were not found at the last start-up sweep
}

// fileColumns is the column list every files query reads, in scanFile's order.
const fileColumns = `id, token, owner_type, owner_id, category, filename, content_type,
       size, sha256, created_by, created_at, expires_at, missing`

func scanFile(s interface{ Scan(dest ...any) error }) (FileRow, error) {
	var (
		f         FileRow
		createdBy sql.NullInt64
		expiresAt sql.NullTime
	)
	err := s.Scan(&f.ID, &f.Token, &f.OwnerType, &f.OwnerID, &f.Category, &f.Filename, &f.ContentType,
		&f.Size, &f.SHA256, &createdBy, &f.CreatedAt, &expiresAt, &f.Missing)
	if err != nil {
		return FileRow{}, err
	}
	f.CreatedBy = createdBy.Int64
	f.CreatedAt = f.CreatedAt.UTC()
	if expiresAt.Valid {
		t := expiresAt.Time.UTC()
		f.ExpiresAt = &t
	}
	return f, nil
}

// fileCreator stores 0 as NULL, for optional references to users.
func fileCreator(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// fileExpiry stores nil as NULL and everything else in UTC, so DATETIME text
// compares correctly.
func fileExpiry(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

// InsertFile records a file whose bytes are already in place and returns its id.
// f.ID and f.Missing are ignored.
func (q *Queries) InsertFile(ctx context.Context, f FileRow) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO files (token, owner_type, owner_id, category, filename, content_type,
		                   size, sha256, created_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		f.Token, f.OwnerType, f.OwnerID, f.Category, f.Filename, f.ContentType,
		f.Size, f.SHA256, fileCreator(f.CreatedBy), f.CreatedAt.UTC(), fileExpiry(f.ExpiresAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert file %s: %w", f.Filename, err)
	}
	return id, nil
}

// FileByToken returns the file with the given token, or ErrNotFound.
func (q *Queries) FileByToken(ctx context.Context, token string) (FileRow, error) {
	row := q.q.QueryRowContext(ctx, `SELECT `+fileColumns+` FROM files WHERE token = ?`, token)
	f, err := scanFile(row)
	if err != nil {
		return FileRow{}, notFound(err, "get file by token")
	}
	return f, nil
}

// FileByID returns the file with the given id, or ErrNotFound.
func (q *Queries) FileByID(ctx context.Context, id int64) (FileRow, error) {
	row := q.q.QueryRowContext(ctx, `SELECT `+fileColumns+` FROM files WHERE id = ?`, id)
	f, err := scanFile(row)
	if err != nil {
		return FileRow{}, notFound(err, fmt.Sprintf("get file %d", id))
	}
	return f, nil
}

// ListFiles returns an owner's files of one category, newest first.
func (q *Queries) ListFiles(ctx context.Context, ownerType string, ownerID int64, category string) ([]FileRow, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT `+fileColumns+`
		  FROM files
		 WHERE owner_type = ? AND owner_id = ? AND category = ?
		 ORDER BY created_at DESC, id DESC`, ownerType, ownerID, category)
	if err != nil {
		return nil, fmt.Errorf("db: list files: %w", err)
	}
	return collectFiles(rows, "list files")
}

// ExpiredFiles returns up to limit files whose expiry is at or before now,
// oldest expiry first.
func (q *Queries) ExpiredFiles(ctx context.Context, now time.Time, limit int) ([]FileRow, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT `+fileColumns+`
		  FROM files
		 WHERE expires_at IS NOT NULL AND expires_at <= ?
		 ORDER BY expires_at, id
		 LIMIT ?`, now.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("db: list expired files: %w", err)
	}
	return collectFiles(rows, "list expired files")
}

// EachFile calls fn for every file row, in id order, stopping at fn's first
// error. It streams, so the start-up sweep holds one row at a time.
func (q *Queries) EachFile(ctx context.Context, fn func(FileRow) error) error {
	rows, err := q.q.QueryContext(ctx, `SELECT `+fileColumns+` FROM files ORDER BY id`)
	if err != nil {
		return fmt.Errorf("db: scan all files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return fmt.Errorf("db: scan all files: %w", err)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: scan all files: %w", err)
	}
	return nil
}

func collectFiles(rows *sql.Rows, what string) ([]FileRow, error) {
	defer rows.Close()
	var out []FileRow
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("db: %s: %w", what, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: %s: %w", what, err)
	}
	return out, nil
}

// OwnerFileUsage returns the total size in bytes of an owner's files, all
// categories together (what the quota limits).
func (q *Queries) OwnerFileUsage(ctx context.Context, ownerType string, ownerID int64) (int64, error) {
	var n int64
	err := q.q.QueryRowContext(ctx, `
		SELECT COALESCE(SUM(size), 0) FROM files WHERE owner_type = ? AND owner_id = ?`,
		ownerType, ownerID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: file usage of %s %d: %w", ownerType, ownerID, err)
	}
	return n, nil
}

// SetFileExpiry sets (or, with nil, clears: pins) a file's expiry.
func (q *Queries) SetFileExpiry(ctx context.Context, id int64, expiresAt *time.Time) error {
	res, err := q.q.ExecContext(ctx, `UPDATE files SET expires_at = ? WHERE id = ?`, fileExpiry(expiresAt), id)
	if err != nil {
		return fmt.Errorf("db: set expiry of file %d: %w", id, err)
	}
	return rowAffected(res, fmt.Sprintf("set expiry of file %d", id))
}

// SetFileMissing records whether a file's bytes were found on disk.
func (q *Queries) SetFileMissing(ctx context.Context, id int64, missing bool) error {
	res, err := q.q.ExecContext(ctx, `UPDATE files SET missing = ? WHERE id = ?`, missing, id)
	if err != nil {
		return fmt.Errorf("db: mark file %d missing: %w", id, err)
	}
	return rowAffected(res, fmt.Sprintf("mark file %d missing", id))
}

// SetFileName changes the name a file is downloaded under (its link's last
// part), as when course material is renamed.
func (q *Queries) SetFileName(ctx context.Context, id int64, filename string) error {
	res, err := q.q.ExecContext(ctx, `UPDATE files SET filename = ? WHERE id = ?`, filename, id)
	if err != nil {
		return fmt.Errorf("db: rename file %d: %w", id, err)
	}
	return rowAffected(res, fmt.Sprintf("rename file %d", id))
}

// DeleteFile deletes a file's row. Rows referring to it (static_files,
// exports) must be dealt with first in the same transaction.
func (q *Queries) DeleteFile(ctx context.Context, id int64) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM files WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("db: delete file %d: %w", id, err)
	}
	return rowAffected(res, fmt.Sprintf("delete file %d", id))
}

// OwnerFiles returns every file of an owner, all categories, oldest first.
func (q *Queries) OwnerFiles(ctx context.Context, ownerType string, ownerID int64) ([]FileRow, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT `+fileColumns+` FROM files WHERE owner_type = ? AND owner_id = ? ORDER BY id`, ownerType, ownerID)
	if err != nil {
		return nil, fmt.Errorf("db: list files of %s %d: %w", ownerType, ownerID, err)
	}
	return collectFiles(rows, "list files of an owner")
}
