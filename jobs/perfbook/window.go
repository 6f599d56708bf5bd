package perfbook

import (
	"cmp"
	"slices"
	"strings"
)

// PerPage is how many students the book page shows at once: a course of up
// to this many is one page, as before paging (the demo's have 40). At 100
// assignments a page is 5,000 cells, about 160 KB of HTML (20 KB gzipped),
// that Chromium lays out in a fraction of a second; the grid shows about 25
// rows at a time anyway.
const PerPage = 50

// Sort orders a window's students. The zero value is by name.
type Sort struct {
	By         SortKey
	Assignment int64 // with SortAssignment: its id
	Desc       bool
}

// SortKey names what a window is sorted by.
type SortKey int

const (
	SortName       SortKey = iota // family, then given name (the book's order)
	SortStudentID                 // the student id as text
	SortAverage                   // the student's average; blank last
	SortAssignment                // one assignment's score; blank last
)

// Query narrows the book to what one page shows: a period's students (its
// averages over them), those whose name or student id contains Search, in
// an order, one page of them.
type Query struct {
	Period    int64 // with HasPeriod: the period (0: students without one)
	HasPeriod bool
	Search    string
	Sort      Sort
	Page      int // 1-based; out of range is clamped
	PerPage   int // 0: PerPage
}

// Window is one page of a book: Book holds the period's statistics (its
// Students are all the period's, for the averages), Rows the page's students.
type Window struct {
	Book    Book
	Rows    []Student
	Matches int // students that match the search (all of them without one)
	Page    int // 1-based, clamped into 1..Pages
	Pages   int // at least 1
	Offset  int // index in the matches of Rows[0]
}

// Window returns the page q asks for. The averages are the period's (or the
// whole course's), whatever the search: the footer and the summary line
// describe the class, the rows are the ones asked for.
func (b Book) Window(q Query) Window {
	shown := b
	if q.HasPeriod {
		shown = b.ForPeriod(q.Period)
	}
	matches := shown.Students
	if s := strings.TrimSpace(q.Search); s != "" {
		matches = slices.DeleteFunc(slices.Clone(matches), func(st Student) bool { return !st.matches(s) })
	}
	if q.Sort != (Sort{}) {
		matches = sortStudentsBy(slices.Clone(matches), shown.Assignments, q.Sort)
	}
	per := q.PerPage
	if per <= 0 {
		per = PerPage
	}
	w := Window{Book: shown, Matches: len(matches), Pages: max(1, (len(matches)+per-1)/per)}
	w.Page = min(max(q.Page, 1), w.Pages)
	w.Offset = (w.Page - 1) * per
	w.Rows = matches[w.Offset:min(w.Offset+per, len(matches))]
	return w
}

// matches reports whether the student's names or student id contain s,
// ignoring case ("ada lovelace", "Lovelace, Ada" and "0042" all find her).
func (s Student) matches(search string) bool {
	search = strings.ToLower(search)
	for _, text := range []string{s.GivenName + " " + s.FamilyName, s.FamilyName + ", " + s.GivenName, s.StudentID} {
		if strings.Contains(strings.ToLower(text), search) {
			return true
		}
	}
	return false
}

// sortStudentsBy sorts stably, so ties keep the name order. Blank scores
// (not started, or no score at all) go last in both directions: a teacher
// sorting by lowest score wants the lowest scores, not the empty cells.
func sortStudentsBy(students []Student, assignments []Assignment, by Sort) []Student {
	dir := 1
	if by.Desc {
		dir = -1
	}
	var value func(Student) (float64, bool) // false: blank
	switch by.By {
	case SortName:
		if by.Desc {
			slices.Reverse(students)
		}
		return students
	case SortStudentID:
		slices.SortStableFunc(students, func(a, b Student) int { return dir * cmp.Compare(a.StudentID, b.StudentID) })
		return students
	case SortAverage:
		value = func(s Student) (float64, bool) {
			if s.Average == nil {
				return 0, false
			}
			return *s.Average, true
		}
	case SortAssignment:
		j := slices.IndexFunc(assignments, func(a Assignment) bool { return a.ID == by.Assignment })
		if j < 0 {
			return students
		}
		value = func(s Student) (float64, bool) { return s.Cells[j].Fraction, s.Cells[j].Scored }
	}
	slices.SortStableFunc(students, func(a, b Student) int {
		va, aOK := value(a)
		vb, bOK := value(b)
		switch {
		case !aOK && !bOK:
			return 0
		case !aOK:
			return 1
		case !bOK:
			return -1
		}
		return dir * cmp.Compare(va, vb)
	})
	return students
}
