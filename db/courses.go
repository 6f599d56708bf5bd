package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Course is a course and the version of its data. The lookups below skip a
// course that an import is still writing (see restore.go).
type Course struct {
	ID          int64
	Code        string
	Name        string
	Term        string
	DataVersion int64
	CreatedAt   time.Time
}

const courseColumns = `c.id, c.code, c.name, c.term, c.data_version, c.created_at`

func scanCourse(s interface{ Scan(...any) error }, extra ...any) (Course, error) {
	var c Course
	err := s.Scan(append([]any{&c.ID, &c.Code, &c.Name, &c.Term, &c.DataVersion, &c.CreatedAt}, extra...)...)
	return c, err
}

// InsertCourse creates a course and returns its id.
func (q *Queries) InsertCourse(ctx context.Context, c Course) (int64, error) {
	var id int64
	err := q.Guard(ctx, func() error {
		return q.q.QueryRowContext(ctx, `
			INSERT INTO courses (code, name, term, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			c.Code, c.Name, c.Term, c.CreatedAt.UTC()).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("db: insert course %s: %w", c.Code, err)
	}
	return id, nil
}

// CourseByID returns the course with id.
func (q *Queries) CourseByID(ctx context.Context, id int64) (Course, error) {
	c, err := scanCourse(q.q.QueryRowContext(ctx, `SELECT `+courseColumns+` FROM courses c WHERE c.id = ? AND c.restoring_by IS NULL`, id))
	if err != nil {
		return Course{}, notFound(err, fmt.Sprintf("course %d", id))
	}
	return c, nil
}

// CourseForUser returns the course with id and userID's role in it ("" when
// none) in one indexed query: every course page and polled fragment asks both.
func (q *Queries) CourseForUser(ctx context.Context, id, userID int64) (Course, string, error) {
	var role string
	c, err := scanCourse(q.q.QueryRowContext(ctx, `
		SELECT `+courseColumns+`, coalesce(m.role, '')
		FROM courses c LEFT JOIN memberships m ON m.course_id = c.id AND m.user_id = ?
		WHERE c.id = ? AND c.restoring_by IS NULL`, userID, id), &role)
	if err != nil {
		return Course{}, "", notFound(err, fmt.Sprintf("course %d", id))
	}
	return c, role, nil
}

// CourseByCode returns the course with code, compared case-insensitively.
func (q *Queries) CourseByCode(ctx context.Context, code string) (Course, error) {
	c, err := scanCourse(q.q.QueryRowContext(ctx, `SELECT `+courseColumns+` FROM courses c WHERE c.code = ? AND c.restoring_by IS NULL`, code))
	if err != nil {
		return Course{}, notFound(err, "course "+code)
	}
	return c, nil
}

// CountCourses returns how many courses the database holds, counting those
// still being restored.
func (q *Queries) CountCourses(ctx context.Context) (int, error) {
	var n int
	if err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM courses`).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: count courses: %w", err)
	}
	return n, nil
}

// StaffCourse is a course seen by a member of its staff (or a site admin).
type StaffCourse struct {
	Course
	Role string // admin, teacher or ta; "admin" for site admins who are not members
}

// StaffCourses lists, by code, the courses where userID is admin, teacher or
// TA; for a site admin every course, with their own role where they have one.
func (q *Queries) StaffCourses(ctx context.Context, userID int64, siteAdmin bool) ([]StaffCourse, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT `+courseColumns+`, coalesce(m.role, 'admin')
		  FROM courses c
		  LEFT JOIN memberships m ON m.course_id = c.id AND m.user_id = ?
		 WHERE ((m.role IN ('admin', 'teacher', 'ta')) OR ? = 1) AND c.restoring_by IS NULL
		 ORDER BY c.code`, userID, siteAdmin)
	if err != nil {
		return nil, fmt.Errorf("db: list staff courses of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []StaffCourse
	for rows.Next() {
		var sc StaffCourse
		c, err := scanCourse(rows, &sc.Role)
		if err != nil {
			return nil, fmt.Errorf("db: list staff courses: %w", err)
		}
		if siteAdmin && sc.Role == "student" {
			sc.Role = "admin"
		}
		sc.Course = c
		out = append(out, sc)
	}
	return out, rows.Err()
}

// UpdateCourse changes a course's code, name and term (the courses_touch_u
// trigger moves its data version). A taken code is a unique violation.
func (q *Queries) UpdateCourse(ctx context.Context, c Course) error {
	what := fmt.Sprintf("update course %d", c.ID)
	var res sql.Result
	err := q.Guard(ctx, func() (err error) {
		res, err = q.q.ExecContext(ctx, `
			UPDATE courses SET code = ?, name = ?, term = ? WHERE id = ? AND restoring_by IS NULL`,
			c.Code, c.Name, c.Term, c.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what)
}

// CourseOverview is a course as the site admin's course list shows it.
type CourseOverview struct {
	Course
	Members    int64
	DataBytes  int64      // bytes of the files the course owns: archives, workbooks, static files
	LastExport *time.Time // when its newest export finished; nil for never
}

// The figures come from correlated subqueries, each an index search
// (memberships' unique key, files_owner, exports_course): one query however
// many courses there are.
const courseOverviewQuery = `
	SELECT ` + courseColumns + `,
	       (SELECT count(*) FROM memberships m WHERE m.course_id = c.id),
	       (SELECT coalesce(sum(f.size), 0) FROM files f WHERE f.owner_type = 'course' AND f.owner_id = c.id),
	       (SELECT max(e.finished_at) FROM exports e WHERE e.course_id = c.id)
	  FROM courses c
	 WHERE c.restoring_by IS NULL`

func scanCourseOverview(s interface{ Scan(...any) error }) (CourseOverview, error) {
	var o CourseOverview
	var last jobTime
	c, err := scanCourse(s, &o.Members, &o.DataBytes, &last)
	o.Course, o.LastExport = c, last.ptr()
	return o, err
}

// CourseOverviews lists every course by code with its member count, data
// size and last export.
func (q *Queries) CourseOverviews(ctx context.Context) ([]CourseOverview, error) {
	rows, err := q.q.QueryContext(ctx, courseOverviewQuery+` ORDER BY c.code`)
	if err != nil {
		return nil, fmt.Errorf("db: list course overviews: %w", err)
	}
	defer rows.Close()
	var out []CourseOverview
	for rows.Next() {
		o, err := scanCourseOverview(rows)
		if err != nil {
			return nil, fmt.Errorf("db: list course overviews: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CourseOverviewByID returns one course's overview.
func (q *Queries) CourseOverviewByID(ctx context.Context, id int64) (CourseOverview, error) {
	o, err := scanCourseOverview(q.q.QueryRowContext(ctx, courseOverviewQuery+` AND c.id = ?`, id))
	if err != nil {
		return CourseOverview{}, notFound(err, fmt.Sprintf("course overview %d", id))
	}
	return o, nil
}

// RemovalOwner is the restoring_by of a course being removed. Hidden like a
// course an import is writing, so every page, API and job treats it as gone
// at once, but with no lease (restoring_until NULL): the import janitor never
// takes it, since only the removal also deletes the course's files
// (FinishCourseRemoval's caller, package jobs/courses).
const RemovalOwner = "course removal"

// HideCourseForRemoval hides a visible course for its removal.
func (q *Queries) HideCourseForRemoval(ctx context.Context, id int64) error {
	what := fmt.Sprintf("hide course %d for removal", id)
	res, err := q.q.ExecContext(ctx, `
		UPDATE courses SET restoring_by = ?, restoring_until = NULL WHERE id = ? AND restoring_by IS NULL`, RemovalOwner, id)
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what)
}

// CoursesBeingRemoved lists the courses hidden for removal: those a killed
// process left unfinished, and those being removed right now.
func (q *Queries) CoursesBeingRemoved(ctx context.Context) ([]int64, error) {
	return q.ids(ctx, "list courses being removed", `SELECT id FROM courses WHERE restoring_by = ?`, RemovalOwner)
}

// DeleteRemovedCourse deletes a course hidden for removal with what is left
// in it (periods, memberships, exports rows: the foreign keys cascade),
// unless it still owns a file (an export that finished meanwhile): then it
// deletes nothing and reports false, and the caller deletes the files first.
// It reports true when the course is gone, also when it was gone already.
func (q *Queries) DeleteRemovedCourse(ctx context.Context, id int64) (bool, error) {
	res, err := q.q.ExecContext(ctx, `
		DELETE FROM courses WHERE id = ? AND restoring_by = ?
		   AND NOT EXISTS (SELECT 1 FROM files WHERE owner_type = 'course' AND owner_id = ?)`, id, RemovalOwner, id)
	if err != nil {
		return false, fmt.Errorf("db: delete removed course %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err == nil, err
	}
	// Not deleted: files left, or another process finished the removal.
	var left int
	if err := q.q.QueryRowContext(ctx, `SELECT count(*) FROM courses WHERE id = ? AND restoring_by = ?`, id, RemovalOwner).Scan(&left); err != nil {
		return false, fmt.Errorf("db: delete removed course %d: %w", id, err)
	}
	return left == 0, nil
}
