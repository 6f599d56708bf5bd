package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Assignment kinds.
const (
	KindHomework = "homework"
	KindReading  = "reading"
	KindProject  = "project"
	KindExam     = "exam"
)

// Assignment is one piece of graded work in a course.
type Assignment struct {
	ID       int64
	CourseID int64
	Name     string
	Kind     string
	Position int
	OpensAt  *time.Time
	DueAt    *time.Time
	Points   float64
	Key      string // the outside system's key ("hw1"); "" for none
}

const assignmentColumns = `id, course_id, name, kind, position, opens_at, due_at, points, coalesce(external_key, '')`

func scanAssignment(s interface{ Scan(...any) error }) (Assignment, error) {
	var a Assignment
	var opens, due sql.NullTime
	err := s.Scan(&a.ID, &a.CourseID, &a.Name, &a.Kind, &a.Position, &opens, &due, &a.Points, &a.Key)
	a.OpensAt, a.DueAt = timePtr(opens), timePtr(due)
	return a, err
}

// nullKey stores an empty outside key as NULL (many rows may have none).
func nullKey(k string) any {
	if k == "" {
		return nil
	}
	return k
}

// InsertAssignment adds an assignment to a course.
func (q *Queries) InsertAssignment(ctx context.Context, a Assignment) (int64, error) {
	res, err := q.q.ExecContext(ctx, `
		INSERT INTO assignments (course_id, name, kind, position, opens_at, due_at, points, external_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.CourseID, a.Name, a.Kind, a.Position, nullTime(a.OpensAt), nullTime(a.DueAt), a.Points, nullKey(a.Key))
	if err != nil {
		return 0, fmt.Errorf("db: insert assignment %q: %w", a.Name, err)
	}
	return res.LastInsertId()
}

// Assignments lists a course's assignments in course order.
func (q *Queries) Assignments(ctx context.Context, courseID int64) ([]Assignment, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+assignmentColumns+` FROM assignments WHERE course_id = ? ORDER BY position, id`, courseID)
	if err != nil {
		return nil, fmt.Errorf("db: list assignments of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return nil, fmt.Errorf("db: list assignments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AssignmentByKey returns the assignment of courseID with an outside key.
func (q *Queries) AssignmentByKey(ctx context.Context, courseID int64, key string) (Assignment, error) {
	a, err := scanAssignment(q.q.QueryRowContext(ctx, `SELECT `+assignmentColumns+` FROM assignments WHERE course_id = ? AND external_key = ?`, courseID, key))
	if err != nil {
		return Assignment{}, notFound(err, fmt.Sprintf("assignment %q of course %d", key, courseID))
	}
	return a, nil
}

// AssignmentByID returns the assignment id of courseID (another course's
// assignment is not found).
func (q *Queries) AssignmentByID(ctx context.Context, courseID, id int64) (Assignment, error) {
	a, err := scanAssignment(q.q.QueryRowContext(ctx, `SELECT `+assignmentColumns+` FROM assignments WHERE course_id = ? AND id = ?`, courseID, id))
	if err != nil {
		return Assignment{}, notFound(err, fmt.Sprintf("assignment %d of course %d", id, courseID))
	}
	return a, nil
}

// nullTime stores a nil time as NULL and any other in UTC.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}
