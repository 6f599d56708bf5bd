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

// BookCell is one score as the performance book reads it, column by column.
type BookCell struct {
	UserID   int64
	Fraction float64
	Scored   bool // false: fraction is NULL (not started)
	Status   string
	Late     bool
}

// EachBookColumn calls fn with the scores of each assignment in
// assignmentIDs, column j after column j-1 (within a column in no particular
// order). It is EachBookScore made cheap for the book's first read of a big
// course: one query per column, answered from the covering index scores_book
// in index order, and two columns per row (the user id, status and late as
// one number, then the fraction), because with modernc's SQLite most of the
// cost of a row is the columns it returns: 425,000 scores take about 0.28 s
// this way and 0.42 s as EachBookScore reads them. Ids stay far below 2^60,
// so the user id survives the shift.
func (q *Queries) EachBookColumn(ctx context.Context, assignmentIDs []int64, fn func(j int, c BookCell) error) error {
	stmt, err := q.q.PrepareContext(ctx, `
		SELECT user_id << 3 | CASE status WHEN 'completed' THEN 4 WHEN 'in_progress' THEN 2 ELSE 0 END | late, fraction
		  FROM scores
		 WHERE assignment_id = ?`)
	if err != nil {
		return fmt.Errorf("db: read the book's scores: %w", err)
	}
	defer stmt.Close()
	for j, id := range assignmentIDs {
		if err := eachBookCell(ctx, stmt, id, func(c BookCell) error { return fn(j, c) }); err != nil {
			return fmt.Errorf("db: read the scores of assignment %d: %w", id, err)
		}
	}
	return nil
}

func eachBookCell(ctx context.Context, stmt *sql.Stmt, assignmentID int64, fn func(BookCell) error) error {
	rows, err := stmt.QueryContext(ctx, assignmentID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var key, fraction any // scanning into any skips database/sql's conversions
	for rows.Next() {
		if err := rows.Scan(&key, &fraction); err != nil {
			return err
		}
		k, ok := key.(int64)
		if !ok {
			return fmt.Errorf("user key %T", key)
		}
		c := BookCell{UserID: k >> 3, Status: bookStatuses[k>>1&3], Late: k&1 == 1}
		switch f := fraction.(type) {
		case float64:
			c.Fraction, c.Scored = f, true
		case nil:
		default:
			return fmt.Errorf("fraction %T", fraction)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}
