package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO memberships (course_id, user_id, role, period_id, student_identifier, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		m.CourseID, m.UserID, m.Role, nullID(m.PeriodID), m.StudentIdentifier, m.CreatedAt.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: add user %d to course %d: %w", m.UserID, m.CourseID, err)
	}
	return id, nil
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
	var id int64
	err := q.q.QueryRowContext(ctx, `INSERT INTO periods (course_id, name, position) VALUES (?, ?, ?) RETURNING id`, p.CourseID, p.Name, p.Position).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert period %q: %w", p.Name, err)
	}
	return id, nil
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

// Member is a course's member as the People tab and a roster see them.
type Member struct {
	MemberRow
	LastSignIn *time.Time // nil: never
}

// CourseMembers lists a course's members, staff first (admin, teacher, TA,
// student), then by name.
func (q *Queries) CourseMembers(ctx context.Context, courseID int64) ([]Member, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+memberColumns+`, u.last_signin_at`+memberFrom+`
		 ORDER BY CASE m.role WHEN 'admin' THEN 0 WHEN 'teacher' THEN 1 WHEN 'ta' THEN 2 ELSE 3 END,
		          u.name COLLATE NOCASE, u.email`, courseID)
	if err != nil {
		return nil, fmt.Errorf("db: list members of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var last sql.NullTime
		m, err := scanMemberRow(rows, &last)
		if err != nil {
			return nil, fmt.Errorf("db: list members of course %d: %w", courseID, err)
		}
		mm := Member{MemberRow: m}
		if last.Valid {
			t := last.Time.UTC()
			mm.LastSignIn = &t
		}
		out = append(out, mm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list members of course %d: %w", courseID, err)
	}
	return out, nil
}

// UpsertMembership puts a user in a course, or changes the role, period and
// student id of a member.
func (q *Queries) UpsertMembership(ctx context.Context, m Membership) error {
	return upsertMembership(ctx, q.q.ExecContext, m)
}

const upsertMembershipSQL = `
		INSERT INTO memberships (course_id, user_id, role, period_id, student_identifier, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (course_id, user_id) DO UPDATE
		   SET role = excluded.role, period_id = excluded.period_id, student_identifier = excluded.student_identifier`

// MembershipUpsert runs UpsertMembership with one prepared statement.
type MembershipUpsert struct{ stmt *sql.Stmt }

// PrepareUpsertMembership prepares UpsertMembership for many members; Close it when done.
func (q *Queries) PrepareUpsertMembership(ctx context.Context) (*MembershipUpsert, error) {
	stmt, err := q.q.PrepareContext(ctx, upsertMembershipSQL)
	if err != nil {
		return nil, fmt.Errorf("db: prepare upsert membership: %w", err)
	}
	return &MembershipUpsert{stmt}, nil
}

// Exec puts m's user in its course or changes their membership.
func (p *MembershipUpsert) Exec(ctx context.Context, m Membership) error {
	return upsertMembership(ctx, func(ctx context.Context, _ string, args ...any) (sql.Result, error) {
		return p.stmt.ExecContext(ctx, args...)
	}, m)
}

// Close releases the statement.
func (p *MembershipUpsert) Close() error { return p.stmt.Close() }

func upsertMembership(ctx context.Context, exec func(context.Context, string, ...any) (sql.Result, error), m Membership) error {
	_, err := exec(ctx, upsertMembershipSQL, m.CourseID, m.UserID, m.Role, nullID(m.PeriodID), m.StudentIdentifier, m.CreatedAt.UTC())
	if err != nil {
		return fmt.Errorf("db: put user %d in course %d: %w", m.UserID, m.CourseID, err)
	}
	return nil
}

// DeleteMembership takes a user out of a course (the user stays).
func (q *Queries) DeleteMembership(ctx context.Context, courseID, userID int64) error {
	what := fmt.Sprintf("remove user %d from course %d", userID, courseID)
	res, err := q.q.ExecContext(ctx, `DELETE FROM memberships WHERE course_id = ? AND user_id = ?`, courseID, userID)
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what)
}

// SharedUsers returns, of the users with these emails, those whose names a
// roster of courseID must not change: site admins and members of another
// course. Keyed by lower-case email.
func (q *Queries) SharedUsers(ctx context.Context, courseID int64, emails []string) (map[string]bool, error) {
	list, err := json.Marshal(emails)
	if err != nil {
		return nil, fmt.Errorf("db: find users shared with other courses: %w", err)
	}
	rows, err := q.q.QueryContext(ctx, `
		SELECT u.email FROM users u
		 WHERE u.email IN (SELECT value FROM json_each(?))
		   AND (u.site_admin = 1 OR EXISTS (SELECT 1 FROM memberships o WHERE o.user_id = u.id AND o.course_id != ?))`,
		string(list), courseID)
	if err != nil {
		return nil, fmt.Errorf("db: find users shared with other courses: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var email string
		if err := rows.Scan(&email); err != nil {
			return nil, fmt.Errorf("db: find users shared with other courses: %w", err)
		}
		out[strings.ToLower(email)] = true
	}
	return out, rows.Err()
}
