package gradebook

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/jobs/csvfile"
)

// Unknown is a row whose student is not a student of the course: skipped.
type Unknown struct {
	Line int    `json:"line"`
	Who  string `json:"student"` // the email, else "id 00417"
}

// NewAssignment is a column that matches no assignment: created by apply.
type NewAssignment struct {
	Name   string
	Key    string
	Points float64
}

// Change is one score to set (From nil: the student has none) or change,
// in points of the assignment.
type Change struct {
	Line       int
	Student    string // the student's name, else email
	Assignment string
	From       *float64
	To         float64
	Points     float64 // the assignment's points

	userID   int64
	column   int // in File.Columns
	fraction float64
}

// Preview is what applying a file would do.
type Preview struct {
	Format         string
	Matched        int // students of the file found in the course
	Unknown        []Unknown
	NewAssignments []NewAssignment
	Set            []Change // scores the students do not have yet
	Change         []Change // scores that change
	Unchanged      int
	Errors         []LineError

	// target is, per file column, the existing assignment's id (0: new, see newIndex).
	target   []int64
	newIndex []int    // per file column, index in NewAssignments (-1: existing)
	names    []string // per file column, the assignment's name
	points   []float64
}

// Counts are what an apply did (or, from a preview, would do).
type Counts struct {
	CreatedAssignments int `json:"created_assignments"`
	Set                int `json:"set"`
	Changed            int `json:"changed"`
	Unchanged          int `json:"unchanged"`
}

// Counts of a preview.
func (p Preview) Counts() Counts {
	return Counts{CreatedAssignments: len(p.NewAssignments), Set: len(p.Set), Changed: len(p.Change), Unchanged: p.Unchanged}
}

// String says what an apply did, for the audit log, the notice and the CLI.
func (n Counts) String() string {
	return fmt.Sprintf("created %d assignments, set %d scores, changed %d, unchanged %d", n.CreatedAssignments, n.Set, n.Changed, n.Unchanged)
}

type scoreKey struct{ assignment, user int64 }

// Plan compares f with the course's students, assignments and scores and
// lists what applying it would change. It writes nothing. Students are
// matched by email, then by student id; assignments by key, then by name
// (case-insensitive). Points become fractions of the assignment's points.
func Plan(ctx context.Context, q *db.Queries, courseID int64, f File) (Preview, error) {
	p := Preview{Format: f.Format, Errors: append([]LineError(nil), f.Errors...)}
	members, err := q.CourseMembers(ctx, courseID)
	if err != nil {
		return Preview{}, err
	}
	byEmail, byID := map[string]*db.Member{}, map[string]*db.Member{}
	for i := range members {
		m := &members[i]
		if m.Role != db.RoleStudent {
			continue
		}
		byEmail[strings.ToLower(m.Email)] = m
		if m.StudentIdentifier != "" {
			byID[m.StudentIdentifier] = m
		}
	}
	assignments, err := q.Assignments(ctx, courseID)
	if err != nil {
		return Preview{}, err
	}
	p.matchColumns(f, assignments)
	scores := map[scoreKey]db.BookScore{}
	err = q.EachBookScore(ctx, courseID, func(s db.BookScore) error {
		scores[scoreKey{s.AssignmentID, s.UserID}] = s
		return nil
	})
	if err != nil {
		return Preview{}, err
	}
	for _, r := range f.Rows {
		m := byEmail[r.Email]
		if m == nil && r.StudentID != "" {
			m = byID[r.StudentID]
		}
		if m == nil {
			p.Unknown = append(p.Unknown, Unknown{Line: r.Line, Who: r.who()})
			continue
		}
		p.Matched++
		name := m.Name
		if name == "" {
			name = m.Email
		}
		for _, s := range r.Scores {
			p.score(f, r.Line, s, m.UserID, name, scores)
		}
	}
	csvfile.SortByLine(p.Errors)
	return p, nil
}

// matchColumns finds each column's assignment (or lists it as new) and
// its name and points. Two columns for one assignment is an error.
func (p *Preview) matchColumns(f File, assignments []db.Assignment) {
	byKey, byName := map[string]*db.Assignment{}, map[string]*db.Assignment{}
	for i := range assignments {
		a := &assignments[i]
		if a.Key != "" {
			byKey[a.Key] = a
		}
		if n := strings.ToLower(a.Name); byName[n] == nil {
			byName[n] = a
		}
	}
	p.target, p.newIndex = make([]int64, len(f.Columns)), make([]int, len(f.Columns))
	p.names, p.points = make([]string, len(f.Columns)), make([]float64, len(f.Columns))
	used := map[string]string{} // assignment → the header of the column that has it
	line := 1
	if f.Format == FormatLong {
		line = 0 // the long form's assignments are in cells, not headers
	}
	for i, c := range f.Columns {
		a := byKey[c.Key]
		if a == nil || c.Key == "" {
			a = byName[strings.ToLower(c.Name)]
		}
		id := "new " + strings.ToLower(c.Name)
		if a != nil {
			id = strconv.FormatInt(a.ID, 10)
		}
		if first, ok := used[id]; ok {
			msg := fmt.Sprintf("the column %q is for the same assignment", first)
			if f.Format == FormatLong {
				msg = fmt.Sprintf("%q and %q name the same assignment (one by its key, one by its name): name it one way throughout the file", first, c.Header)
			}
			p.Errors = append(p.Errors, LineError{Line: line, Column: c.Header, Message: msg})
		}
		used[id] = c.Header
		p.newIndex[i] = -1
		if a != nil {
			p.target[i], p.names[i], p.points[i] = a.ID, a.Name, a.Points
			continue
		}
		pts := c.Points
		if pts <= 0 {
			pts = DefaultPoints
		}
		key := c.Key
		if f.Format == FormatLong {
			key = "" // a name or an unknown key: the new assignment is found by name next time
		}
		p.newIndex[i] = len(p.NewAssignments)
		p.NewAssignments = append(p.NewAssignments, NewAssignment{Name: c.Name, Key: key, Points: pts})
		p.names[i], p.points[i] = c.Name, pts
	}
}

// score plans one cell.
func (p *Preview) score(f File, line int, s Score, userID int64, name string, scores map[scoreKey]db.BookScore) {
	points, assignment := p.points[s.Column], p.names[s.Column]
	column := f.Columns[s.Column].Header
	if f.Format == FormatLong {
		column = "score"
	}
	if points <= 0 {
		p.Errors = append(p.Errors, LineError{Line: line, Column: column, Message: fmt.Sprintf("the assignment %s has no points to score against", assignment)})
		return
	}
	fraction := s.Value / points
	if s.Percent {
		fraction = s.Value / 100
	}
	if fraction > MaxFraction {
		p.Errors = append(p.Errors, LineError{Line: line, Column: column,
			Message: fmt.Sprintf("%s is more than %d times the %s points of %s", formatScore(s), MaxFraction, formatPoints(points), assignment)})
		return
	}
	ch := Change{Line: line, Student: name, Assignment: assignment, To: round(fraction * points), Points: points,
		userID: userID, column: s.Column, fraction: fraction}
	old, ok := scores[scoreKey{p.target[s.Column], userID}]
	switch {
	case p.target[s.Column] == 0 || !ok || !old.Scored:
		p.Set = append(p.Set, ch)
	case math.Abs(old.Fraction-fraction) < 1e-9 && old.Status == db.ScoreCompleted:
		p.Unchanged++
	default:
		from := round(old.Fraction * points)
		ch.From = &from
		p.Change = append(p.Change, ch)
	}
}

func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func formatScore(s Score) string {
	if s.Percent {
		return formatPoints(s.Value) + "%"
	}
	return formatPoints(s.Value)
}

// formatPoints writes points without trailing zeros: 8.5, 10.
func formatPoints(v float64) string { return strconv.FormatFloat(round(v), 'f', -1, 64) }

// FormatPoints is formatPoints for the page and the CLI.
func FormatPoints(v float64) string { return formatPoints(v) }

// Apply plans f again inside one write transaction and, when the plan has
// no errors, writes it: the new assignments (homework, at the end), then
// the scores (completed, the late flag kept). With errors it writes
// nothing and returns the preview with them.
func Apply(ctx context.Context, d *db.DB, courseID int64, f File, now time.Time) (Preview, Counts, error) {
	var p Preview
	// One bulk transaction: the course's data_version moves once for the
	// whole file, not once per score by the triggers.
	err := d.InBulkTx(ctx, courseID, func(tx *db.Queries) error {
		var err error
		if p, err = Plan(ctx, tx, courseID, f); err != nil || len(p.Errors) > 0 {
			return err
		}
		return write(ctx, tx, courseID, p, now)
	})
	if err != nil || len(p.Errors) > 0 {
		return p, Counts{}, err
	}
	return p, p.Counts(), nil
}

func write(ctx context.Context, tx *db.Queries, courseID int64, p Preview, now time.Time) error {
	if len(p.NewAssignments) > 0 {
		existing, err := tx.Assignments(ctx, courseID)
		if err != nil {
			return err
		}
		pos := 0
		for _, a := range existing {
			pos = max(pos, a.Position)
		}
		ids := make([]int64, len(p.NewAssignments))
		for i, na := range p.NewAssignments {
			pos++
			if ids[i], err = tx.InsertAssignment(ctx, db.Assignment{CourseID: courseID, Name: na.Name, Kind: db.KindHomework,
				Position: pos, Points: na.Points, Key: na.Key}); err != nil {
				return err
			}
		}
		for col, ni := range p.newIndex {
			if ni >= 0 {
				p.target[col] = ids[ni]
			}
		}
	}
	set, err := tx.PrepareSetScore(ctx)
	if err != nil {
		return err
	}
	defer set.Close()
	for _, list := range [][]Change{p.Set, p.Change} {
		for _, ch := range list {
			if err := set.Exec(ctx, p.target[ch.column], ch.userID, ch.fraction, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// PlanFile reads a gradebook and plans it: the preview the page, the API
// and the CLI show. The error is a whole-file refusal (see Read).
func PlanFile(ctx context.Context, q *db.Queries, courseID int64, r io.Reader) (File, Preview, error) {
	f, err := Read(r)
	if err != nil {
		return File{}, Preview{}, err
	}
	p, err := Plan(ctx, q, courseID, f)
	return f, p, err
}
