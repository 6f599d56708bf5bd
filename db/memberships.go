package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Roles a member can have in a course.
const (
	RoleAdmin   = "admin"
	RoleTeacher = "teacher"
	RoleTA      = "ta"
	RoleStudent = "student"
)

// Membership puts a user in a course with a role; students have a period and an id.
type Membership struct {
	ID                int64
	CourseID          int64
	UserID            int64
	Role              string
	PeriodID          int64 // 0: none
	StudentIdentifier string
	CreatedAt         time.Time
}

// InsertMembership adds a user to a course.
func (q *Queries) InsertMembership(ctx context.Context, m Membership) (int64, error) {
	res, err := q.q.ExecContext(ctx, `
		INSERT INTO memberships (course_id, user_id, role, period_id, student_identifier, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		m.CourseID, m.UserID, m.Role, nullID(m.PeriodID), m.StudentIdentifier, m.CreatedAt.UTC())
	if err != nil {
		return 0, fmt.Errorf("db: add user %d to course %d: %w", m.UserID, m.CourseID, err)
	}
	return res.LastInsertId()
}

// RoleIn returns userID's role in courseID, or "" when they are not a member.
func (q *Queries) RoleIn(ctx context.Context, courseID, userID int64) (string, error) {
	var role string
	err := q.q.QueryRowContext(ctx, `SELECT role FROM memberships WHERE course_id = ? AND user_id = ?`, courseID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("db: role of user %d in course %d: %w", userID, courseID, err)
	}
	return role, nil
}

// Period is a section of a course.
type Period struct {
	ID       int64
	CourseID int64
	Name     string
	Position int
}

// InsertPeriod adds a period to a course.
func (q *Queries) InsertPeriod(ctx context.Context, p Period) (int64, error) {
	res, err := q.q.ExecContext(ctx, `INSERT INTO periods (course_id, name, position) VALUES (?, ?, ?)`, p.CourseID, p.Name, p.Position)
	if err != nil {
		return 0, fmt.Errorf("db: insert period %q: %w", p.Name, err)
	}
	return res.LastInsertId()
}

// PeriodByName returns the period of courseID called name.
func (q *Queries) PeriodByName(ctx context.Context, courseID int64, name string) (Period, error) {
	var p Period
	err := q.q.QueryRowContext(ctx, `SELECT id, course_id, name, position FROM periods WHERE course_id = ? AND name = ?`, courseID, name).
		Scan(&p.ID, &p.CourseID, &p.Name, &p.Position)
	if err != nil {
		return Period{}, notFound(err, fmt.Sprintf("period %q", name))
	}
	return p, nil
}

// Periods lists a course's periods in order.
func (q *Queries) Periods(ctx context.Context, courseID int64) ([]Period, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT id, course_id, name, position FROM periods WHERE course_id = ? ORDER BY position, name`, courseID)
	if err != nil {
		return nil, fmt.Errorf("db: list periods of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []Period
	for rows.Next() {
		var p Period
		if err := rows.Scan(&p.ID, &p.CourseID, &p.Name, &p.Position); err != nil {
			return nil, fmt.Errorf("db: list periods: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// nullID stores 0 as NULL for optional references.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// PeriodView is a period with how many students are in it.
type PeriodView struct {
	Period
	Students int64
}

// PeriodViews lists a course's periods in order with their student counts.
func (q *Queries) PeriodViews(ctx context.Context, courseID int64) ([]PeriodView, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT p.id, p.course_id, p.name, p.position,
		       (SELECT count(*) FROM memberships m WHERE m.period_id = p.id AND m.role = 'student')
		  FROM periods p WHERE p.course_id = ? ORDER BY p.position, p.name`, courseID)
	if err != nil {
		return nil, fmt.Errorf("db: list periods of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []PeriodView
	for rows.Next() {
		var p PeriodView
		if err := rows.Scan(&p.ID, &p.CourseID, &p.Name, &p.Position, &p.Students); err != nil {
			return nil, fmt.Errorf("db: list periods: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpdatePeriod renames a period of courseID and sets its position.
func (q *Queries) UpdatePeriod(ctx context.Context, p Period) error {
	what := fmt.Sprintf("update period %d of course %d", p.ID, p.CourseID)
	res, err := q.q.ExecContext(ctx, `UPDATE periods SET name = ?, position = ? WHERE id = ? AND course_id = ?`,
		p.Name, p.Position, p.ID, p.CourseID)
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what)
}

// DeletePeriod removes a period of courseID; its members stay in the course
// without a period (memberships.period_id goes NULL).
func (q *Queries) DeletePeriod(ctx context.Context, courseID, periodID int64) error {
	what := fmt.Sprintf("delete period %d of course %d", periodID, courseID)
	res, err := q.q.ExecContext(ctx, `DELETE FROM periods WHERE id = ? AND course_id = ?`, periodID, courseID)
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what)
}
