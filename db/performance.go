package db

import (
	"context"
	"database/sql"
	"fmt"
)

// This file reads what the performance book shows (package jobs/perfbook):
// a course's students and all its scores in two queries, however large.

// BookStudent is a student of a course as the performance book shows them.
type BookStudent struct {
	UserID            int64
	GivenName         string
	FamilyName        string
	PeriodID          int64 // 0: no period
	StudentIdentifier string
}

// BookStudents lists the students of a course in no particular order: the
// book sorts them by name with a collation SQLite does not have. A student
// with neither given nor family name (added by email alone) is listed under
// their display name, or their email, in the family-name place, so no row
// of the page, workbook or API is nameless.
func (q *Queries) BookStudents(ctx context.Context, courseID int64) ([]BookStudent, error) {
	rows, err := q.q.QueryContext(ctx, `
		SELECT u.id, u.given_name,
		       CASE WHEN u.given_name = '' AND u.family_name = '' THEN coalesce(nullif(u.name, ''), u.email) ELSE u.family_name END,
		       coalesce(m.period_id, 0), m.student_identifier
		  FROM memberships m
		  JOIN users u ON u.id = m.user_id
		 WHERE m.course_id = ? AND m.role = 'student'`, courseID)
	if err != nil {
		return nil, fmt.Errorf("db: list students of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []BookStudent
	for rows.Next() {
		var s BookStudent
		if err := rows.Scan(&s.UserID, &s.GivenName, &s.FamilyName, &s.PeriodID, &s.StudentIdentifier); err != nil {
			return nil, fmt.Errorf("db: list students of course %d: %w", courseID, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: list students of course %d: %w", courseID, err)
	}
	return out, nil
}

// BookScore is the part of a score the performance book shows.
type BookScore struct {
	AssignmentID int64
	UserID       int64
	Fraction     float64
	Scored       bool // false: fraction is NULL (not started)
	Status       string
	Late         bool
}

// EachBookScore calls fn with every score of a course's assignments, in no
// particular order, streaming so a large course is not held twice in memory.
// It includes scores of users who are no longer students; the caller drops
// them. The covering index scores_book answers it without table lookups, and
// status and late come back as one number so a row costs no string allocation.
func (q *Queries) EachBookScore(ctx context.Context, courseID int64, fn func(BookScore) error) error {
	rows, err := q.q.QueryContext(ctx, `
		SELECT s.assignment_id, s.user_id, s.fraction,
		       CASE s.status WHEN 'completed' THEN 4 WHEN 'in_progress' THEN 2 ELSE 0 END | s.late
		  FROM assignments a
		  JOIN scores s ON s.assignment_id = a.id
		 WHERE a.course_id = ?`, courseID)
	if err != nil {
		return fmt.Errorf("db: read scores of course %d: %w", courseID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s BookScore
		var f sql.NullFloat64
		var flags int64 // status << 1 | late: one column fewer to convert per row
		if err := rows.Scan(&s.AssignmentID, &s.UserID, &f, &flags); err != nil {
			return fmt.Errorf("db: read scores of course %d: %w", courseID, err)
		}
		s.Fraction, s.Scored = f.Float64, f.Valid
		s.Status, s.Late = bookStatuses[flags>>1&3], flags&1 == 1
		if err := fn(s); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: read scores of course %d: %w", courseID, err)
	}
	return nil
}

// bookStatuses maps EachBookScore's status numbers back to the statuses.
var bookStatuses = [...]string{ScoreNotStarted, ScoreInProgress, ScoreCompleted, ScoreNotStarted}
