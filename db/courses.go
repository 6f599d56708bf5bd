package db

import (
	"context"
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
	res, err := q.q.ExecContext(ctx, `
		INSERT INTO courses (code, name, term, created_at) VALUES (?, ?, ?, ?)`,
		c.Code, c.Name, c.Term, c.CreatedAt.UTC())
	if err != nil {
		return 0, fmt.Errorf("db: insert course %s: %w", c.Code, err)
	}
	return res.LastInsertId()
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
		 WHERE ((m.role IN ('admin', 'teacher', 'ta')) OR ?) AND c.restoring_by IS NULL
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
