// Package perfbook builds a course's performance book (students × assignments
// scores) once, for the web page and for the xlsx workbook its job writes.
package perfbook

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"coursevault/db"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Book is a course's performance book. Load computes it; the page and the
// workbook only format it, so both show the same numbers.
//
// Averages are means of the fractions (0..1) of the cells that have a score:
// work not started is left out, not counted as zero, and every assignment
// weighs the same whatever its points. A mean over no scored cells is nil
// (shown blank), never 0.
type Book struct {
	Course      db.Course
	Periods     []Period     // in course order
	Assignments []Assignment // in course order; Student.Cells follow it
	Students    []Student    // by family name, then given name (collated)

	// Average is the class average: the mean of every scored cell of the
	// students in the book, each cell weighing once.
	Average *float64
	Scored  int // cells with a score
}

// Period is a section of the course.
type Period struct {
	ID   int64
	Name string
}

// Assignment is one column of the book with its statistics over the book's
// students (so a period's book has the period's averages).
type Assignment struct {
	ID     int64
	Name   string
	Kind   string
	DueAt  *time.Time // UTC; nil when it has no due date
	Points float64

	Average        *float64 // mean of the scored cells; nil when none is scored
	Scored         int      // students with a score
	Completed      int      // students whose status is completed
	CompletionRate float64  // Completed / number of students; 0 without students
}

// Student is one row of the book.
type Student struct {
	UserID     int64
	GivenName  string
	FamilyName string
	StudentID  string // text: leading zeros matter
	PeriodID   int64  // 0: no period
	PeriodName string
	Cells      []Cell   // one per Book.Assignments, in the same order
	Average    *float64 // mean of the student's scored cells; nil when none
}

// Cell is a student's result on one assignment. It holds no pointer, so the
// cells of a book are one block the garbage collector does not scan (a
// 5,000 × 100 book is 8 MB of them) and filling one costs no write barrier.
type Cell struct {
	Fraction float64 // 0..1 of the points; 0 and meaningless unless Scored
	Scored   bool    // false: not started (blank)
	Late     bool
	status   uint8 // an index into cellStatuses; 0: not started, as a cell without a score row
}

// cellStatuses are the statuses a Cell encodes, by their index.
var cellStatuses = [...]string{db.ScoreNotStarted, db.ScoreInProgress, db.ScoreCompleted}

func statusIndex(s string) uint8 {
	switch s {
	case db.ScoreInProgress:
		return 1
	case db.ScoreCompleted:
		return 2
	}
	return 0
}

// Status is the cell's db.Score status; db.ScoreNotStarted without a score row.
func (c Cell) Status() string { return cellStatuses[c.status] }

// InProgress reports whether the cell is marked as work in progress.
func (c Cell) InProgress() bool { return c.status == 1 }

// Completed reports whether the cell's work is marked completed.
func (c Cell) Completed() bool { return c.status == 2 }

// Score is the fraction, or nil when the cell is blank.
func (c Cell) Score() *float64 {
	if !c.Scored {
		return nil
	}
	f := c.Fraction
	return &f
}

// Load reads and computes the book of courseID in four queries and one per
// assignment (db.EachBookColumn: cheaper than one query for all the scores).
// Pass a db.ReadTx's tx for one consistent snapshot; on the plain
// reader pool the course row (with its data_version) is still read first, so
// a score changed during the load makes the book look stale, never up to date.
func Load(ctx context.Context, q *db.Queries, courseID int64) (Book, error) {
	course, err := q.CourseByID(ctx, courseID)
	if err != nil {
		return Book{}, fmt.Errorf("perfbook: load: %w", err)
	}
	periods, err := q.Periods(ctx, courseID)
	if err != nil {
		return Book{}, fmt.Errorf("perfbook: load: %w", err)
	}
	assignments, err := q.Assignments(ctx, courseID)
	if err != nil {
		return Book{}, fmt.Errorf("perfbook: load: %w", err)
	}
	students, err := q.BookStudents(ctx, courseID)
	if err != nil {
		return Book{}, fmt.Errorf("perfbook: load: %w", err)
	}

	b := Book{Course: course, Periods: make([]Period, len(periods)), Assignments: make([]Assignment, len(assignments))}
	periodName := make(map[int64]string, len(periods))
	for i, p := range periods {
		b.Periods[i] = Period{ID: p.ID, Name: p.Name}
		periodName[p.ID] = p.Name
	}
	for i, a := range assignments {
		b.Assignments[i] = Assignment{ID: a.ID, Name: a.Name, Kind: a.Kind, DueAt: a.DueAt, Points: a.Points}
	}

	sortStudents(students)
	nA := len(assignments)
	// One backing array for all cells: a 5,000 × 100 book is one allocation.
	cells := make([]Cell, len(students)*nA)
	b.Students = make([]Student, len(students))
	row := make(map[int64]int, len(students))
	for i, s := range students {
		b.Students[i] = Student{
			UserID: s.UserID, GivenName: s.GivenName, FamilyName: s.FamilyName,
			StudentID: s.StudentIdentifier, PeriodID: s.PeriodID, PeriodName: periodName[s.PeriodID],
			Cells: cells[i*nA : (i+1)*nA : (i+1)*nA],
		}
		row[s.UserID] = i
	}
	ids := make([]int64, nA)
	for j, a := range assignments {
		ids[j] = a.ID
	}
	err = q.EachBookColumn(ctx, ids, func(j int, sc db.BookCell) error {
		i, ok := row[sc.UserID]
		if !ok {
			return nil // no longer a student of the course
		}
		cells[i*nA+j] = Cell{Fraction: sc.Fraction, Scored: sc.Scored, Late: sc.Late, status: statusIndex(sc.Status)}
		return nil
	})
	if err != nil {
		return Book{}, fmt.Errorf("perfbook: load: %w", err)
	}
	b.computeStats()
	return b, nil
}

// ForPeriod returns the book of one period's students (periodID 0: students
// without a period) with its averages computed over those students only. It
// shares the cells with b; neither may be modified afterwards.
func (b Book) ForPeriod(periodID int64) Book {
	sub := b
	sub.Students = nil
	for _, s := range b.Students {
		if s.PeriodID == periodID {
			sub.Students = append(sub.Students, s)
		}
	}
	sub.Assignments = slices.Clone(b.Assignments)
	sub.computeStats()
	return sub
}

// computeStats fills the averages and completion figures from the cells.
func (b *Book) computeStats() {
	nA := len(b.Assignments)
	colSum := make([]float64, nA)
	colScored := make([]int, nA)
	colDone := make([]int, nA)
	var sum float64
	var scored int
	for i := range b.Students {
		s := &b.Students[i]
		var rowSum float64
		var rowScored int
		for j, c := range s.Cells {
			if c.Completed() {
				colDone[j]++
			}
			if !c.Scored {
				continue
			}
			rowSum += c.Fraction
			rowScored++
			colSum[j] += c.Fraction
			colScored[j]++
		}
		s.Average = mean(rowSum, rowScored)
		sum += rowSum
		scored += rowScored
	}
	for j := range b.Assignments {
		a := &b.Assignments[j]
		a.Average = mean(colSum[j], colScored[j])
		a.Scored, a.Completed, a.CompletionRate = colScored[j], colDone[j], 0
		if len(b.Students) > 0 {
			a.CompletionRate = float64(colDone[j]) / float64(len(b.Students))
		}
	}
	b.Average, b.Scored = mean(sum, scored), scored
}

func mean(sum float64, n int) *float64 {
	if n == 0 {
		return nil
	}
	m := sum / float64(n)
	return &m
}

// sortStudents orders students by family name, then given name, with the
// Unicode collation (so "Ñúñez" sorts beside "Nunez", not after "Zhou"), then
// by student id and user id so the order is total and stable across runs.
func sortStudents(students []db.BookStudent) {
	c := collate.New(language.Und)
	var buf collate.Buffer
	type keyed struct {
		family, given []byte
		s             db.BookStudent
	}
	ks := make([]keyed, len(students))
	for i, s := range students {
		// Keys point into buf, which only grows until Reset: they stay valid.
		ks[i] = keyed{c.KeyFromString(&buf, s.FamilyName), c.KeyFromString(&buf, s.GivenName), s}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if r := bytes.Compare(a.family, b.family); r != 0 {
			return r
		}
		if r := bytes.Compare(a.given, b.given); r != 0 {
			return r
		}
		if r := cmp.Compare(a.s.StudentIdentifier, b.s.StudentIdentifier); r != 0 {
			return r
		}
		return cmp.Compare(a.s.UserID, b.s.UserID)
	})
	for i := range ks {
		students[i] = ks[i].s
	}
}
