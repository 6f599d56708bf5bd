package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Export kinds, which are also the categories of their files.
const (
	ExportArchive = "course-archive"
	ExportBook    = "performance-book"
)

// Export is a request for a course archive or a performance book.
type Export struct {
	ID            int64
	CourseID      int64
	Kind          string
	IncludeStdout bool
	IncludeStatic bool
	RequestedBy   int64
	JobID         int64
	CreatedAt     time.Time
	Scheduled     bool // made by the backup schedule (jobs/backups), not by hand
}

// InsertExport records a new export request.
func (q *Queries) InsertExport(ctx context.Context, e Export) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO exports (course_id, kind, include_stdout, include_static, requested_by, job_id, created_at, scheduled)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.CourseID, e.Kind, e.IncludeStdout, e.IncludeStatic, nullID(e.RequestedBy), nullID(e.JobID), e.CreatedAt.UTC(), e.Scheduled).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert export: %w", err)
	}
	return id, nil
}

// SetExportJob points an export at the job that makes it.
func (q *Queries) SetExportJob(ctx context.Context, exportID, jobID int64) error {
	if _, err := q.q.ExecContext(ctx, `UPDATE exports SET job_id = ? WHERE id = ?`, jobID, exportID); err != nil {
		return fmt.Errorf("db: set job of export %d: %w", exportID, err)
	}
	return nil
}

// FinishExport points an export at its finished file and the data version it
// was made from. ErrNotFound if the export was deleted meanwhile, so the job's
// file transaction rolls back and the bytes are removed.
func (q *Queries) FinishExport(ctx context.Context, exportID, fileID, dataVersion int64, now time.Time) error {
	res, err := q.q.ExecContext(ctx, `UPDATE exports SET file_id = ?, data_version = ?, finished_at = ? WHERE id = ?`,
		fileID, dataVersion, now.UTC(), exportID)
	if err != nil {
		return fmt.Errorf("db: finish export %d: %w", exportID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("db: finish export %d: %w", exportID, ErrNotFound)
	}
	return nil
}

// DeleteExport removes an export row (its file is deleted by the caller).
func (q *Queries) DeleteExport(ctx context.Context, exportID int64) error {
	if _, err := q.q.ExecContext(ctx, `DELETE FROM exports WHERE id = ?`, exportID); err != nil {
		return fmt.Errorf("db: delete export %d: %w", exportID, err)
	}
	return nil
}

// ExportView is an export with what its table row shows: the job's state and
// progress, the file, and who asked.
type ExportView struct {
	Export
	DataVersion   int64
	FinishedAt    *time.Time
	RequesterName string
	// The job (zero when it was pruned).
	JobState    string
	Attempt     int
	MaxAttempts int
	Done, Total int64
	Note        string
	LastError   string
	// The file (FileID 0 when none yet, or expired and removed).
	FileID      int64
	Token       string
	Filename    string
	Size        int64
	SHA256      string
	FileCreated *time.Time
	ExpiresAt   *time.Time
	Missing     bool
	// A skipped scheduled run (no job, no file): how many runs in a row
	// found the course unchanged since the archive made at SkippedSince.
	Skipped      int
	SkippedSince *time.Time
}

// Export statuses, in the words of ExportView.Status.
const (
	ExportQueued    = "queued"
	ExportRunning   = "running"
	ExportReady     = "ready"
	ExportFailed    = "failed"
	ExportCancelled = "cancelled"
	ExportExpired   = "expired"
	ExportMissing   = "missing" // the row says ready, the bytes are gone
	ExportSkipped   = "skipped" // a scheduled run found nothing changed
)

// Status derives the export's status from its file and job.
func (e ExportView) Status() string {
	switch {
	case e.Skipped > 0:
		return ExportSkipped
	case e.FileID != 0 && e.Missing:
		return ExportMissing
	case e.FileID != 0:
		return ExportReady
	case e.JobState == JobQueued:
		return ExportQueued
	case e.JobState == JobRunning:
		return ExportRunning
	case e.JobState == JobFailed:
		return ExportFailed
	case e.JobState == JobCancelled:
		return ExportCancelled
	}
	// The job succeeded (or was pruned) and the file is gone: the janitor expired it.
	return ExportExpired
}

// Final reports whether the export will not change by itself any more.
func (e ExportView) Final() bool {
	s := e.Status()
	return s != ExportQueued && s != ExportRunning
}

const exportViewQuery = `
	SELECT e.id, e.course_id, e.kind, e.include_stdout, e.include_static, coalesce(e.requested_by, 0),
	       coalesce(e.job_id, 0), e.created_at, e.data_version, e.finished_at, coalesce(u.name, ''),
	       coalesce(j.state, ''), coalesce(j.attempt, 0), coalesce(j.max_attempts, 0),
	       coalesce(j.done, 0), coalesce(j.total, 0), coalesce(j.note, ''), coalesce(j.last_error, ''),
	       coalesce(f.id, 0), coalesce(f.token, ''), coalesce(f.filename, ''), coalesce(f.size, 0),
	       coalesce(f.sha256, ''), f.created_at, f.expires_at, coalesce(f.missing, 0),
	       e.scheduled, e.skipped, e.skipped_since
	  FROM exports e
	  LEFT JOIN users u ON u.id = e.requested_by
	  LEFT JOIN jobs j ON j.id = e.job_id
	  LEFT JOIN files f ON f.id = e.file_id`

func scanExportView(s interface{ Scan(...any) error }) (ExportView, error) {
	var e ExportView
	var finished, fileCreated, expires, since sql.NullTime
	err := s.Scan(&e.ID, &e.CourseID, &e.Kind, &e.IncludeStdout, &e.IncludeStatic, &e.RequestedBy,
		&e.JobID, &e.CreatedAt, &e.DataVersion, &finished, &e.RequesterName,
		&e.JobState, &e.Attempt, &e.MaxAttempts, &e.Done, &e.Total, &e.Note, &e.LastError,
		&e.FileID, &e.Token, &e.Filename, &e.Size, &e.SHA256, &fileCreated, &expires, &e.Missing,
		&e.Scheduled, &e.Skipped, &since)
	e.FinishedAt, e.FileCreated, e.ExpiresAt, e.SkippedSince = timePtr(finished), timePtr(fileCreated), timePtr(expires), timePtr(since)
	return e, err
}

// ExportByID returns one export of courseID: the polled fragment's one
// indexed query. An export of another course is ErrNotFound.
func (q *Queries) ExportByID(ctx context.Context, courseID, exportID int64) (ExportView, error) {
	e, err := scanExportView(q.q.QueryRowContext(ctx, exportViewQuery+` WHERE e.id = ? AND e.course_id = ?`, exportID, courseID))
	if err != nil {
		return ExportView{}, notFound(err, fmt.Sprintf("export %d", exportID))
	}
	return e, nil
}

// ExportByJob returns the export a job makes.
func (q *Queries) ExportByJob(ctx context.Context, jobID int64) (ExportView, error) {
	e, err := scanExportView(q.q.QueryRowContext(ctx, exportViewQuery+` WHERE e.job_id = ?`, jobID))
	if err != nil {
		return ExportView{}, notFound(err, fmt.Sprintf("export of job %d", jobID))
	}
	return e, nil
}

// Exports lists a course's exports of kind, newest first.
func (q *Queries) Exports(ctx context.Context, courseID int64, kind string, limit int) ([]ExportView, error) {
	return q.exportViews(ctx, fmt.Sprintf("list exports of course %d", courseID),
		exportViewQuery+` WHERE e.course_id = ? AND e.kind = ? ORDER BY e.id DESC LIMIT ?`, courseID, kind, limit)
}

// exportViews runs a query of export views (what names it in errors).
func (q *Queries) exportViews(ctx context.Context, what, query string, args ...any) ([]ExportView, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: %s: %w", what, err)
	}
	defer rows.Close()
	var out []ExportView
	for rows.Next() {
		e, err := scanExportView(rows)
		if err != nil {
			return nil, fmt.Errorf("db: %s: %w", what, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ActiveExportJobs lists the queued or running jobs of a course's exports.
func (q *Queries) ActiveExportJobs(ctx context.Context, courseID int64) ([]int64, error) {
	return q.ids(ctx, fmt.Sprintf("list active export jobs of course %d", courseID), `
		SELECT j.id FROM exports e JOIN jobs j ON j.id = e.job_id
		 WHERE e.course_id = ? AND j.state IN ('queued', 'running')`, courseID)
}

// LastScheduledArchive returns the newest archive the backup schedule made
// for a course (not a skipped run); ErrNotFound when there is none.
func (q *Queries) LastScheduledArchive(ctx context.Context, courseID int64) (ExportView, error) {
	e, err := scanExportView(q.q.QueryRowContext(ctx, exportViewQuery+`
		WHERE e.course_id = ? AND e.scheduled = 1 AND e.skipped = 0 ORDER BY e.id DESC LIMIT 1`, courseID))
	if err != nil {
		return ExportView{}, notFound(err, fmt.Sprintf("scheduled archive of course %d", courseID))
	}
	return e, nil
}

// LastScheduledExport returns a course's newest scheduled row, archive or
// skipped run; ErrNotFound when there is none.
func (q *Queries) LastScheduledExport(ctx context.Context, courseID int64) (ExportView, error) {
	e, err := scanExportView(q.q.QueryRowContext(ctx, exportViewQuery+`
		WHERE e.course_id = ? AND e.scheduled = 1 ORDER BY e.id DESC LIMIT 1`, courseID))
	if err != nil {
		return ExportView{}, notFound(err, fmt.Sprintf("scheduled export of course %d", courseID))
	}
	return e, nil
}

// InsertSkippedExport lists a scheduled run that found the course unchanged
// since the archive made at since: a row without job or file.
func (q *Queries) InsertSkippedExport(ctx context.Context, e Export, since, now time.Time) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO exports (course_id, kind, include_stdout, include_static, created_at, finished_at, scheduled, skipped, skipped_since)
		VALUES (?, ?, ?, ?, ?, ?, 1, 1, ?) RETURNING id`,
		e.CourseID, e.Kind, e.IncludeStdout, e.IncludeStatic, now.UTC(), now.UTC(), since.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert skipped export of course %d: %w", e.CourseID, err)
	}
	return id, nil
}

// AddExportSkip counts one more skipped run on a skipped row (runs in a row
// share one row), at now.
func (q *Queries) AddExportSkip(ctx context.Context, exportID int64, now time.Time) error {
	if _, err := q.q.ExecContext(ctx, `UPDATE exports SET skipped = skipped + 1, finished_at = ? WHERE id = ? AND skipped > 0`,
		now.UTC(), exportID); err != nil {
		return fmt.Errorf("db: count a skipped run on export %d: %w", exportID, err)
	}
	return nil
}

// LatestScheduledExports returns each course's newest scheduled row, by
// course: archives only (skipped runs left out) or any.
func (q *Queries) LatestScheduledExports(ctx context.Context, archivesOnly bool) (map[int64]ExportView, error) {
	list, err := q.exportViews(ctx, "list the newest scheduled exports", exportViewQuery+`
		WHERE e.id IN (SELECT max(id) FROM exports WHERE scheduled = 1 AND (skipped = 0 OR ? = 0) GROUP BY course_id)`, archivesOnly)
	out := make(map[int64]ExportView, len(list))
	for _, e := range list {
		out[e.CourseID] = e
	}
	return out, err
}

// ScheduledExportsBeyondKeep lists the scheduled rows a schedule no longer
// keeps: in each scheduled course, every scheduled row (archive, failure or
// skipped run) older than its keep-th newest scheduled archive that has a
// file. Archives made by hand are never listed.
func (q *Queries) ScheduledExportsBeyondKeep(ctx context.Context) ([]ExportView, error) {
	return q.exportViews(ctx, "list scheduled exports beyond keep", `
		WITH k AS (SELECT id AS course_id, keep FROM (`+courseBackupQuery+`) AS eff WHERE frequency != 'off'),
		     r AS (SELECT e.course_id, e.id, row_number() OVER (PARTITION BY e.course_id ORDER BY e.id DESC) AS n
		             FROM exports e
		            WHERE e.scheduled = 1 AND e.skipped = 0 AND e.file_id IS NOT NULL),
		     cut AS (SELECT r.course_id, r.id FROM r JOIN k ON k.course_id = r.course_id AND r.n = k.keep)`+
		exportViewQuery+`
		WHERE e.scheduled = 1 AND e.id < (SELECT cut.id FROM cut WHERE cut.course_id = e.course_id)
		ORDER BY e.id`)
}
