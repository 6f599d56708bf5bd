package db

import (
	"context"
	"fmt"
	"time"
)

// Import is a site admin's request to restore an uploaded course archive.
type Import struct {
	ID          int64
	FileID      int64
	Filename    string
	Code        string
	RequestedBy int64
	JobID       int64
	CreatedAt   time.Time
}

// InsertImport records an uploaded archive waiting to be restored.
func (q *Queries) InsertImport(ctx context.Context, im Import) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO imports (file_id, filename, code, requested_by, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		nullID(im.FileID), im.Filename, im.Code, nullID(im.RequestedBy), nullID(im.JobID), im.CreatedAt.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert import: %w", err)
	}
	return id, nil
}

// SetImportJob points an import at the job that restores it.
func (q *Queries) SetImportJob(ctx context.Context, importID, jobID int64) error {
	if _, err := q.q.ExecContext(ctx, `UPDATE imports SET job_id = ? WHERE id = ?`, jobID, importID); err != nil {
		return fmt.Errorf("db: set job of import %d: %w", importID, err)
	}
	return nil
}

// FinishImport records the course an import created.
func (q *Queries) FinishImport(ctx context.Context, importID, courseID int64) error {
	if _, err := q.q.ExecContext(ctx, `UPDATE imports SET course_id = ? WHERE id = ?`, courseID, importID); err != nil {
		return fmt.Errorf("db: finish import %d: %w", importID, err)
	}
	return nil
}

// ImportView is an import with its job's state and the course it created.
type ImportView struct {
	Import
	RequesterName string
	JobState      string
	Done, Total   int64
	Note          string
	LastError     string
	CourseID      int64
	CourseCode    string
	CourseName    string
}

const importViewQuery = `
	SELECT i.id, coalesce(i.file_id, 0), i.filename, i.code, coalesce(i.requested_by, 0), coalesce(i.job_id, 0), i.created_at,
	       coalesce(u.name, ''), coalesce(j.state, ''), coalesce(j.done, 0), coalesce(j.total, 0), coalesce(j.note, ''),
	       coalesce(j.last_error, ''), coalesce(c.id, 0), coalesce(c.code, ''), coalesce(c.name, '')
	  FROM imports i
	  LEFT JOIN users u ON u.id = i.requested_by
	  LEFT JOIN jobs j ON j.id = i.job_id
	  LEFT JOIN courses c ON c.id = i.course_id`

func scanImportView(s interface{ Scan(...any) error }) (ImportView, error) {
	var v ImportView
	err := s.Scan(&v.ID, &v.FileID, &v.Filename, &v.Code, &v.RequestedBy, &v.JobID, &v.CreatedAt,
		&v.RequesterName, &v.JobState, &v.Done, &v.Total, &v.Note, &v.LastError, &v.CourseID, &v.CourseCode, &v.CourseName)
	return v, err
}

// ImportByID returns one import.
func (q *Queries) ImportByID(ctx context.Context, id int64) (ImportView, error) {
	v, err := scanImportView(q.q.QueryRowContext(ctx, importViewQuery+` WHERE i.id = ?`, id))
	if err != nil {
		return ImportView{}, notFound(err, fmt.Sprintf("import %d", id))
	}
	return v, nil
}

// ImportByJob returns the import a job restores.
func (q *Queries) ImportByJob(ctx context.Context, jobID int64) (ImportView, error) {
	v, err := scanImportView(q.q.QueryRowContext(ctx, importViewQuery+` WHERE i.job_id = ?`, jobID))
	if err != nil {
		return ImportView{}, notFound(err, fmt.Sprintf("import of job %d", jobID))
	}
	return v, nil
}

// Imports lists the newest imports.
func (q *Queries) Imports(ctx context.Context, limit int) ([]ImportView, error) {
	rows, err := q.q.QueryContext(ctx, importViewQuery+` ORDER BY i.id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("db: list imports: %w", err)
	}
	defer rows.Close()
	var out []ImportView
	for rows.Next() {
		v, err := scanImportView(rows)
		if err != nil {
			return nil, fmt.Errorf("db: list imports: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
