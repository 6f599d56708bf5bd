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
}

// InsertAssignment adds an assignment to a course.
func (q *Queries) InsertAssignment(ctx context.Context, a Assignment) (int64, error) {
	res, err := q.q.ExecContext(ctx, `
		INSERT INTO assignments (course_id, name, kind, position, opens_at, due_at, points)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.CourseID, a.Name, a.Kind, a.Position, nullTime(a.OpensAt), nullTime(a.DueAt), a.Points)
	if err != nil {
		return 0, fmt.Errorf("db: insert assignment %q: %w", a.Name, err)
	}
	return res.LastInsertId()
}

// Assignments lists a course's assignments in course order.
func (q *Queries) Assignments(ctx context.Context, courseID int64) ([]Assignment, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT id, course_id, name, kind, position, opens_at, due_at, points
		  FROM assignments WHERE course_id = ? ORDER BY position, id`, courseID)
	if err != nil {
		return nil, fmt.Errorf("db: list assignments of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		var a Assignment
		var opens, due sql.NullTime
		if err := rows.Scan(&a.ID, &a.CourseID, &a.Name, &a.Kind, &a.Position, &opens, &due, &a.Points); err != nil {
			return nil, fmt.Errorf("db: list assignments: %w", err)
		}
		a.OpensAt, a.DueAt = timePtr(opens), timePtr(due)
		out = append(out, a)
	}
	return out, rows.Err()
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
