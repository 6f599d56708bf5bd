package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Backup frequencies (backup_default.frequency, backup_schedules.frequency).
const (
	BackupOff    = "off"
	BackupDaily  = "daily"
	BackupWeekly = "weekly"
)

// BackupSchedule is when a course's archive is made by itself, and how.
// Minute is minutes after midnight in the school's time zone; Weekday
// (0 Sunday) only counts for weekly schedules.
type BackupSchedule struct {
	Frequency     string
	Weekday       int
	Minute        int
	IncludeStdout bool
	IncludeStatic bool
	Keep          int // scheduled archives kept; older ones are deleted
}

// CourseBackup is a course with its effective backup schedule (its own when
// Override, else the site default) and the scheduler's state.
type CourseBackup struct {
	CourseID    int64
	Code        string
	Name        string
	Term        string
	DataVersion int64
	Override    bool
	Schedule    BackupSchedule
	NextRunAt   *time.Time // nil: not computed yet (or off)
	LastRunAt   *time.Time
}

// BackupDefault returns the site-wide schedule.
func (q *Queries) BackupDefault(ctx context.Context) (BackupSchedule, error) {
	var s BackupSchedule
	err := q.q.QueryRowContext(ctx, `
		SELECT frequency, weekday, minute, include_stdout, include_static, keep FROM backup_default WHERE id = 1`).
		Scan(&s.Frequency, &s.Weekday, &s.Minute, &s.IncludeStdout, &s.IncludeStatic, &s.Keep)
	if err != nil {
		return s, fmt.Errorf("db: read the default backup schedule: %w", err)
	}
	return s, nil
}

// SetBackupDefault changes the site-wide schedule.
func (q *Queries) SetBackupDefault(ctx context.Context, s BackupSchedule, by int64, at time.Time) error {
	_, err := q.q.ExecContext(ctx, `
		UPDATE backup_default SET frequency = ?, weekday = ?, minute = ?, include_stdout = ?, include_static = ?, keep = ?,
		       updated_by = ?, updated_at = ?
		 WHERE id = 1`,
		s.Frequency, s.Weekday, s.Minute, s.IncludeStdout, s.IncludeStatic, s.Keep, nullID(by), at.UTC())
	if err != nil {
		return fmt.Errorf("db: set the default backup schedule: %w", err)
	}
	return nil
}

// SetInheritedBackupNextRun sets the next run of every course that follows
// the site default (after the default changed); nil when it is off.
func (q *Queries) SetInheritedBackupNextRun(ctx context.Context, next *time.Time) error {
	if _, err := q.q.ExecContext(ctx, `UPDATE backup_schedules SET next_run_at = ? WHERE override = 0`, utcPtr(next)); err != nil {
		return fmt.Errorf("db: set next backup runs of courses on the default: %w", err)
	}
	return nil
}

// AddMissingBackupSchedules gives every course without one a row that follows
// the site default, with its next run still to compute. It returns how many.
func (q *Queries) AddMissingBackupSchedules(ctx context.Context) (int64, error) {
	res, err := q.q.ExecContext(ctx, `
		INSERT INTO backup_schedules (course_id)
		SELECT c.id FROM courses c
		 WHERE c.restoring_by IS NULL AND NOT EXISTS (SELECT 1 FROM backup_schedules s WHERE s.course_id = c.id)`)
	if err != nil {
		return 0, fmt.Errorf("db: add missing backup schedules: %w", err)
	}
	return res.RowsAffected()
}

// SetCourseBackup sets a course's own schedule (override) or makes it follow
// the site default (override false; s is then ignored), with its next run.
func (q *Queries) SetCourseBackup(ctx context.Context, courseID int64, override bool, s BackupSchedule, next *time.Time, by int64, at time.Time) error {
	if !override {
		s = BackupSchedule{Frequency: BackupOff, Minute: 120, IncludeStatic: true, Keep: 7} // the columns' defaults
	}
	_, err := q.q.ExecContext(ctx, `
		INSERT INTO backup_schedules (course_id, override, frequency, weekday, minute, include_stdout, include_static, keep,
		                              next_run_at, updated_by, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (course_id) DO UPDATE SET override = excluded.override, frequency = excluded.frequency,
		       weekday = excluded.weekday, minute = excluded.minute, include_stdout = excluded.include_stdout,
		       include_static = excluded.include_static, keep = excluded.keep, next_run_at = excluded.next_run_at,
		       updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		courseID, override, s.Frequency, s.Weekday, s.Minute, s.IncludeStdout, s.IncludeStatic, s.Keep,
		utcPtr(next), nullID(by), at.UTC())
	if err != nil {
		return fmt.Errorf("db: set the backup schedule of course %d: %w", courseID, err)
	}
	return nil
}

// SetBackupRun records that a course's scheduled run happened at ran (or, with
// ran zero, only sets the next run).
func (q *Queries) SetBackupRun(ctx context.Context, courseID int64, ran time.Time, next *time.Time) error {
	var err error
	if ran.IsZero() {
		_, err = q.q.ExecContext(ctx, `UPDATE backup_schedules SET next_run_at = ? WHERE course_id = ?`, utcPtr(next), courseID)
	} else {
		_, err = q.q.ExecContext(ctx, `UPDATE backup_schedules SET last_run_at = ?, next_run_at = ? WHERE course_id = ?`,
			ran.UTC(), utcPtr(next), courseID)
	}
	if err != nil {
		return fmt.Errorf("db: record the backup run of course %d: %w", courseID, err)
	}
	return nil
}

// courseBackupQuery is every live course with its effective schedule: its own
// columns when it overrides the default, the default's otherwise.
const courseBackupQuery = `
	SELECT id, code, name, term, data_version, override, frequency, weekday, minute, include_stdout, include_static, keep,
	       next_run_at, last_run_at
	  FROM (SELECT c.id, c.code, c.name, c.term, c.data_version, coalesce(s.override, 0) AS override,
	               CASE WHEN s.override = 1 THEN s.frequency ELSE d.frequency END AS frequency,
	               CASE WHEN s.override = 1 THEN s.weekday ELSE d.weekday END AS weekday,
	               CASE WHEN s.override = 1 THEN s.minute ELSE d.minute END AS minute,
	               CASE WHEN s.override = 1 THEN s.include_stdout ELSE d.include_stdout END AS include_stdout,
	               CASE WHEN s.override = 1 THEN s.include_static ELSE d.include_static END AS include_static,
	               CASE WHEN s.override = 1 THEN s.keep ELSE d.keep END AS keep,
	               s.next_run_at, s.last_run_at
	          FROM courses c
	          CROSS JOIN backup_default d
	          LEFT JOIN backup_schedules s ON s.course_id = c.id
	         WHERE c.restoring_by IS NULL) AS cb`

func scanCourseBackup(s interface{ Scan(...any) error }) (CourseBackup, error) {
	var b CourseBackup
	var next, last sql.NullTime
	err := s.Scan(&b.CourseID, &b.Code, &b.Name, &b.Term, &b.DataVersion, &b.Override,
		&b.Schedule.Frequency, &b.Schedule.Weekday, &b.Schedule.Minute, &b.Schedule.IncludeStdout,
		&b.Schedule.IncludeStatic, &b.Schedule.Keep, &next, &last)
	b.NextRunAt, b.LastRunAt = timePtr(next), timePtr(last)
	return b, err
}

func (q *Queries) courseBackups(ctx context.Context, what, where string, args ...any) ([]CourseBackup, error) {
	rows, err := q.q.QueryContext(ctx, courseBackupQuery+where, args...)
	if err != nil {
		return nil, fmt.Errorf("db: %s: %w", what, err)
	}
	defer rows.Close()
	var out []CourseBackup
	for rows.Next() {
		b, err := scanCourseBackup(rows)
		if err != nil {
			return nil, fmt.Errorf("db: %s: %w", what, err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// CourseBackup returns one course's effective schedule and state.
func (q *Queries) CourseBackup(ctx context.Context, courseID int64) (CourseBackup, error) {
	b, err := scanCourseBackup(q.q.QueryRowContext(ctx, courseBackupQuery+` WHERE id = ?`, courseID))
	if err != nil {
		return CourseBackup{}, notFound(err, fmt.Sprintf("backup schedule of course %d", courseID))
	}
	return b, nil
}

// CourseBackups lists every course's effective schedule and state, by code.
func (q *Queries) CourseBackups(ctx context.Context) ([]CourseBackup, error) {
	return q.courseBackups(ctx, "list backup schedules", ` ORDER BY code`)
}

// BackupsWithoutNextRun lists the scheduled courses whose next run is not
// computed yet (new courses, a default just turned on elsewhere).
func (q *Queries) BackupsWithoutNextRun(ctx context.Context, limit int) ([]CourseBackup, error) {
	return q.courseBackups(ctx, "list backup schedules without a next run",
		` WHERE frequency != 'off' AND next_run_at IS NULL ORDER BY id LIMIT ?`, limit)
}

// DueBackups lists up to limit scheduled courses whose next run is at or
// before now, the longest due first.
func (q *Queries) DueBackups(ctx context.Context, now time.Time, limit int) ([]CourseBackup, error) {
	return q.courseBackups(ctx, "list due backups",
		` WHERE frequency != 'off' AND next_run_at <= ? ORDER BY next_run_at, id LIMIT ?`, now.UTC(), limit)
}

func utcPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}
