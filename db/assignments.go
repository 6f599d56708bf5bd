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
	var id int64
	err := q.q.QueryRowContext(ctx, `
		INSERT INTO assignments (course_id, name, kind, position, opens_at, due_at, points, external_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.CourseID, a.Name, a.Kind, a.Position, nullTime(a.OpensAt), nullTime(a.DueAt), a.Points, nullKey(a.Key)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("db: insert assignment %q: %w", a.Name, err)
	}
	return id, nil
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

// UpdateAssignment writes every field of assignment a.ID of a.CourseID.
func (q *Queries) UpdateAssignment(ctx context.Context, a Assignment) error {
	res, err := q.q.ExecContext(ctx, `
		UPDATE assignments SET name = ?, kind = ?, position = ?, opens_at = ?, due_at = ?, points = ?, external_key = ?
		 WHERE id = ? AND course_id = ?`,
		a.Name, a.Kind, a.Position, nullTime(a.OpensAt), nullTime(a.DueAt), a.Points, nullKey(a.Key), a.ID, a.CourseID)
	what := fmt.Sprintf("update assignment %d of course %d", a.ID, a.CourseID)
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what)
}

// DeleteAssignment removes an assignment of courseID; its submissions (with
// their build and test results) and scores go with it (ON DELETE CASCADE).
func (q *Queries) DeleteAssignment(ctx context.Context, courseID, id int64) error {
	res, err := q.q.ExecContext(ctx, `DELETE FROM assignments WHERE id = ? AND course_id = ?`, id, courseID)
	what := fmt.Sprintf("delete assignment %d of course %d", id, courseID)
	if err != nil {
		return fmt.Errorf("db: %s: %w", what, err)
	}
	return rowAffected(res, what)
}

// AssignmentWork is what hangs off an assignment: its submissions and the
// scores that say something (not "not started").
type AssignmentWork struct {
	Submissions int
	Scores      int
}

// Any reports whether removing the assignment would lose work.
func (w AssignmentWork) Any() bool { return w.Submissions+w.Scores > 0 }

// AssignmentsWork counts the work of each assignment of a course, by id
// (assignments without work are absent).
func (q *Queries) AssignmentsWork(ctx context.Context, courseID int64) (map[int64]AssignmentWork, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT a.id,
		       (SELECT count(*) FROM submissions s WHERE s.assignment_id = a.id),
		       (SELECT count(*) FROM scores sc WHERE sc.assignment_id = a.id AND sc.status <> 'not_started')
		  FROM assignments a WHERE a.course_id = ?`, courseID)
	if err != nil {
		return nil, fmt.Errorf("db: count work of the assignments of course %d: %w", courseID, err)
	}
	defer rows.Close()
	out := map[int64]AssignmentWork{}
	for rows.Next() {
		var id int64
		var w AssignmentWork
		if err := rows.Scan(&id, &w.Submissions, &w.Scores); err != nil {
			return nil, fmt.Errorf("db: count work of the assignments of course %d: %w", courseID, err)
		}
		if w.Any() {
			out[id] = w
		}
	}
	return out, rows.Err()
}
