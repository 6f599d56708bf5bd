// Package gradebook reads scores from a gradebook file (Canvas's or Moodle's
// grades export, or a long email,assignment,score list) and plans and applies them.
package gradebook

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"coursevault/jobs/csvfile"
	"coursevault/jobs/roster"
)

// Limits of one gradebook file.
const (
	MaxSize = 20 << 20 // bytes
	MaxRows = 50_000   // records after the header
	// MaxColumns assignment columns are read; more is a refused file.
	MaxColumns = 500
	// maxErrors bad cells are listed; the rest are counted in one last error.
	maxErrors = 1000
	// DefaultPoints are the points of a new assignment the file gives none
	// for (Moodle's export and the long form carry no maximum).
	DefaultPoints = 100
	// MaxFraction refuses a score over ten times the assignment's points (a
	// typo, not extra credit).
	MaxFraction = 10
)

// FileError refuses a whole file; LineError is one bad cell or line.
type (
	FileError = csvfile.FileError
	LineError = csvfile.LineError
)

// Formats a file may be in.
const (
	FormatCanvas = "Canvas"
	FormatMoodle = "Moodle"
	FormatLong   = "long form"
	FormatWide   = "one column per assignment"
)

var csvOptions = csvfile.Options{What: "gradebook file", Rows: "rows", MaxSize: MaxSize, MaxRows: MaxRows,
	Known: func(h string) bool { _, ok := headers[h]; return ok }}

// ErrTooLarge and ErrTooManyRows are the limits' refusals.
var (
	ErrTooLarge    = csvOptions.TooLarge()
	ErrTooManyRows = csvOptions.TooManyRows()
)

// Column is an assignment the file gives scores for.
type Column struct {
	Header string  // as the file names it: "Homework 1 (123)"; for the long form "score"
	Name   string  // the assignment's name: "Homework 1"
	Key    string  // the outside key: "canvas-123"; "" for none
	Points float64 // the file's points possible; 0 when it says none
	// Percent: the column's scores are percentages (Moodle's "(Percentage)").
	Percent bool
}

// Score is one cell: a number of points, or a percentage.
type Score struct {
	Column  int // index in File.Columns
	Value   float64
	Percent bool // Value is a percentage (85 for "85%")
}

// Row is one student of the file and their scores (empty cells left out).
type Row struct {
	Line      int
	Name      string // as the file writes it, for people
	Email     string // lower case; "" when the file has none
	StudentID string
	// Login is a login id that is not an email (Canvas's SIS Login ID): it
	// matches nobody, but says who an unknown row is.
	Login  string
	Scores []Score
}

// File is a read gradebook: its assignment columns, rows and bad cells.
type File struct {
	Format  string
	Columns []Column
	Rows    []Row
	Errors  []LineError
}

// field is what a recognised header fills.
type field int

const (
	fSkip field = iota + 1 // a column that is no student's and no score: section, totals...
	fName
	fGiven
	fFamily
	fEmail
	fLogin // Canvas's SIS Login ID: the email when it is one
	fStudentID
	fAssignment // long form
	fScore      // long form
)

// headers maps a normalised header to its field; every other column is an
// assignment unless skipColumn says it is a computed one.
var headers = map[string]field{
	"student": fName, "name": fName, "fullname": fName, "studentname": fName,
	"firstname": fGiven, "givenname": fGiven, "lastname": fFamily, "surname": fFamily, "familyname": fFamily,
	"email": fEmail, "emailaddress": fEmail, "studentemail": fEmail,
	"sisloginid": fLogin, "loginid": fLogin, "username": fLogin,
	"sisuserid": fStudentID, "idnumber": fStudentID, "studentid": fStudentID, "studentnumber": fStudentID,
	"assignment": fAssignment, "assignmentname": fAssignment, "assignmentkey": fAssignment,
	"score": fScore, "points": fScore, "grade": fScore,
	// Canvas's own user id, Moodle's profile fields and the like.
	"id": fSkip, "section": fSkip, "institution": fSkip, "department": fSkip, "integrationid": fSkip,
	"rootaccount": fSkip, "group": fSkip, "groups": fSkip, "phone": fSkip, "city": fSkip, "country": fSkip,
	"lastdownloadedfromthiscourse": fSkip,
}

var (
	// Canvas's computed columns: "Current Score", "Unposted Final Grade",
	// "Assignments Current Points", "Override Score" and their kin.
	canvasTotal = regexp.MustCompile(`(?i)(^|\s)((unposted\s+)?(current|final)|override)\s+(score|points|grade)$`)
	canvasTitle = regexp.MustCompile(`^(.*\S)\s*\((\d+)\)$`)
	// Moodle's "Assignment: Essay (Real)"; "Course total (Real)" and
	// "Category total" are computed.
	moodleColumn = regexp.MustCompile(`^(?:[^:]{1,40}:\s*)?(.*\S)\s*\((Real|Percentage|Letter)\)$`)
	moodleTotal  = regexp.MustCompile(`(?i)^(course|category)\s+total\b|\btotal\s*\((real|percentage|letter)\)$`)
)

// Read parses a gradebook, streaming. It fails only for the whole file
// (a *FileError or the reader's error); bad cells are in File.Errors.
func Read(r io.Reader) (File, error) {
	cr, err := csvfile.Open(r, csvOptions)
	if err != nil {
		return File{}, err
	}
	header, err := cr.Header()
	if err == io.EOF {
		return File{}, csvfile.Refuse("the gradebook file is empty: it needs a header line naming the columns")
	}
	if err != nil {
		return File{}, err
	}
	rd, err := newReader(header)
	if err != nil {
		return File{}, err
	}
	for {
		rec, line, err := cr.Next()
		if err == io.EOF {
			break
		}
		var le LineError
		if errors.As(err, &le) {
			rd.errs.Add(le)
			continue
		}
		if err != nil {
			return File{}, err
		}
		rd.record(rec, line)
	}
	rd.f.Errors = rd.errs.Done()
	return rd.f, nil
}

// reader holds what reading one file needs between its records.
type reader struct {
	f       File
	cols    []field // per header column; 0 for an assignment column
	assign  []int   // per header column, its index in f.Columns (-1: none)
	headers []string
	errs    csvfile.Errors
	long    bool
	longCol map[string]int // long form: lower-case assignment → column
	seen    map[string]int // student (email or id) → first line; long form: student+assignment
	// pointsRow: the Canvas "Points Possible" row may still come.
	pointsRow bool
}

func newReader(header []string) (*reader, error) {
	rd := &reader{cols: make([]field, len(header)), assign: make([]int, len(header)), headers: header,
		errs: csvfile.Errors{Max: maxErrors}, seen: map[string]int{}, longCol: map[string]int{}, pointsRow: true}
	has := map[field]bool{}
	canvas, moodle := false, false
	for i, h := range header {
		header[i] = strings.TrimSpace(h)
		n := csvfile.Normalise(h)
		canvas = canvas || n == "sisuserid" || n == "sisloginid"
		moodle = moodle || n == "emailaddress" || n == "idnumber"
	}
	for i, h := range header {
		rd.assign[i] = -1
		if fl, ok := headers[csvfile.Normalise(h)]; ok && !has[fl] || fl == fSkip {
			rd.cols[i] = fl
			has[fl] = true
			continue
		} else if ok {
			rd.cols[i] = fSkip // a second column for the same field
			continue
		}
		if h == "" || canvasTotal.MatchString(h) || moodleTotal.MatchString(h) {
			rd.cols[i] = fSkip
			continue
		}
		c := Column{Header: h, Name: h}
		if m := canvasTitle.FindStringSubmatch(h); canvas && m != nil {
			c.Name, c.Key = m[1], "canvas-"+m[2]
		} else if m := moodleColumn.FindStringSubmatch(h); m != nil {
			if m[2] == "Letter" {
				rd.cols[i] = fSkip
				continue
			}
			c.Name, c.Percent = m[1], m[2] == "Percentage"
		}
		if len(rd.f.Columns) == MaxColumns {
			return nil, csvfile.Refuse("the gradebook file has more than %d assignment columns", MaxColumns)
		}
		rd.assign[i] = len(rd.f.Columns)
		rd.f.Columns = append(rd.f.Columns, c)
	}
	if !has[fEmail] && !has[fLogin] && !has[fStudentID] {
		return nil, csvfile.Refuse(`the gradebook file has no email or student id column: its first line must name the columns, one of them "email" (or "Email address", "SIS Login ID", "SIS User ID", "ID number")`)
	}
	rd.long = has[fAssignment] || has[fScore]
	switch {
	case rd.long && !(has[fAssignment] && has[fScore]):
		return nil, csvfile.Refuse(`the gradebook file needs both an "assignment" and a "score" column (email,assignment,score), or one column per assignment`)
	case rd.long:
		rd.f.Format, rd.f.Columns = FormatLong, nil
		for i := range rd.assign {
			rd.assign[i] = -1
		}
	case canvas:
		rd.f.Format = FormatCanvas
	case moodle:
		rd.f.Format = FormatMoodle
	default:
		rd.f.Format = FormatWide
	}
	if !rd.long && len(rd.f.Columns) == 0 {
		return nil, csvfile.Refuse("the gradebook file has no assignment columns")
	}
	return rd, nil
}

// record reads one line of the file.
func (rd *reader) record(rec []string, line int) {
	row := Row{Line: line}
	var given, family, assignment, score, emailCol string
	var scoreCol string
	for i, v := range rec {
		if i >= len(rd.cols) {
			break
		}
		v = strings.TrimSpace(v)
		switch rd.cols[i] {
		case fName:
			row.Name = v
		case fGiven:
			given = v
		case fFamily:
			family = v
		case fEmail:
			row.Email, emailCol = strings.ToLower(v), rd.headers[i]
		case fLogin:
			if row.Email == "" && roster.IsEmail(strings.ToLower(v)) {
				row.Email, emailCol = strings.ToLower(v), rd.headers[i]
			} else {
				row.Login = v
			}
		case fStudentID:
			row.StudentID = v
		case fAssignment:
			assignment = v
		case fScore:
			score, scoreCol = v, rd.headers[i]
		}
	}
	if row.Name == "" {
		row.Name = strings.TrimSpace(given + " " + family)
	}
	label := csvfile.Normalise(row.Name)
	if rd.f.Format == FormatCanvas && label == "pointspossible" && rd.pointsRow {
		rd.points(rec, line)
		return
	}
	if label == "teststudent" || label == "studenttest" {
		return // Canvas's built-in test student
	}
	if row.Email == "" && row.StudentID == "" && row.Login == "" && label == "" && !rd.hasScore(rec) {
		return // an empty row, or Canvas's "Manual Posting" row
	}
	rd.pointsRow = false
	if row.Email == "" && row.StudentID == "" && row.Login == "" {
		who := row.Name
		if who == "" {
			who = "the row"
		}
		rd.errs.Add(LineError{Line: line, Column: rd.idColumn(), Message: who + " has no email address or student id"})
		return
	}
	if row.Email != "" && !roster.IsEmail(row.Email) {
		rd.errs.Add(LineError{Line: line, Column: emailCol, Message: fmt.Sprintf("%q is not an email address", row.Email)})
		return
	}
	if rd.long {
		rd.longRecord(row, assignment, score, scoreCol)
		return
	}
	who := row.who()
	if first, ok := rd.seen[who]; ok {
		rd.errs.Add(LineError{Line: line, Column: rd.idColumn(), Message: fmt.Sprintf("%s is also on line %d", who, first)})
		return
	}
	rd.seen[who] = line
	bad := false
	for i, v := range rec {
		if i >= len(rd.assign) || rd.assign[i] < 0 {
			continue
		}
		s, ok, msg := parseScore(v)
		if msg != "" {
			rd.errs.Add(LineError{Line: line, Column: rd.headers[i], Message: msg})
			bad = true
			continue
		}
		if ok {
			s.Column = rd.assign[i]
			s.Percent = s.Percent || rd.f.Columns[s.Column].Percent
			row.Scores = append(row.Scores, s)
		}
	}
	if !bad && len(row.Scores) > 0 {
		rd.f.Rows = append(rd.f.Rows, row)
	}
}

// longRecord reads a line of the long form: one student, one assignment, one score.
func (rd *reader) longRecord(row Row, assignment, score, scoreCol string) {
	if assignment == "" {
		rd.errs.Add(LineError{Line: row.Line, Column: "assignment", Message: "the assignment is missing"})
		return
	}
	s, ok, msg := parseScore(score)
	if msg != "" {
		rd.errs.Add(LineError{Line: row.Line, Column: scoreCol, Message: msg})
		return
	}
	if !ok {
		return // no score: no change
	}
	k := strings.ToLower(assignment)
	col, ok := rd.longCol[k]
	if !ok {
		if len(rd.f.Columns) == MaxColumns {
			rd.errs.Add(LineError{Line: row.Line, Column: "assignment", Message: fmt.Sprintf("more than %d assignments in one file", MaxColumns)})
			return
		}
		col = len(rd.f.Columns)
		rd.longCol[k] = col
		rd.f.Columns = append(rd.f.Columns, Column{Header: assignment, Name: assignment, Key: assignment})
	}
	who := row.who()
	if first, ok := rd.seen[who+"\x00"+k]; ok {
		rd.errs.Add(LineError{Line: row.Line, Column: "assignment", Message: fmt.Sprintf("%s has a score for %s on line %d too", who, assignment, first)})
		return
	}
	rd.seen[who+"\x00"+k] = row.Line
	s.Column = col
	row.Scores = []Score{s}
	rd.f.Rows = append(rd.f.Rows, row)
}

// who names the row's student: their email, else "id 00417", else "login ada".
func (r Row) who() string {
	switch {
	case r.Email != "":
		return r.Email
	case r.StudentID != "":
		return "id " + r.StudentID
	}
	return "login " + r.Login
}

// points reads Canvas's "Points Possible" row into the columns.
func (rd *reader) points(rec []string, line int) {
	rd.pointsRow = false
	for i, v := range rec {
		if i >= len(rd.assign) || rd.assign[i] < 0 {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		p, err := parseNumber(v)
		if err != nil || p <= 0 {
			rd.errs.Add(LineError{Line: line, Column: rd.headers[i], Message: fmt.Sprintf("%q is not a number of points possible", v)})
			continue
		}
		rd.f.Columns[rd.assign[i]].Points = p
	}
}

// hasScore reports whether a record has a score in an assignment column.
func (rd *reader) hasScore(rec []string) bool {
	for i, v := range rec {
		if i < len(rd.assign) && rd.assign[i] >= 0 {
			if _, ok, _ := parseScore(v); ok {
				return true
			}
		}
	}
	return false
}

// idColumn names the column that says who a row is, for errors.
func (rd *reader) idColumn() string {
	for _, want := range []field{fEmail, fLogin, fStudentID} {
		for i, f := range rd.cols {
			if f == want {
				return rd.headers[i]
			}
		}
	}
	return ""
}

// parseScore reads one cell. An empty cell, Moodle's "-" and Canvas's "EX"
// (excused) are no score (ok false, no message); a bad one has a message.
func parseScore(v string) (s Score, ok bool, msg string) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "-", "ex", "excused":
		return Score{}, false, ""
	}
	num := v
	if strings.HasSuffix(num, "%") {
		num, s.Percent = strings.TrimSpace(strings.TrimSuffix(num, "%")), true
	}
	n, err := parseNumber(num)
	switch {
	case err != nil:
		return Score{}, false, fmt.Sprintf("%q is not a score: write points (8.5), a percentage (85%%) or leave the cell empty", v)
	case n < 0:
		return Score{}, false, fmt.Sprintf("%s: a score cannot be negative", v)
	}
	s.Value = n
	return s, true, ""
}

// decimalComma is a number as spreadsheets in many locales write it: "8,5",
// "72,00"; three digits after the comma ("1,000") is not one.
var decimalComma = regexp.MustCompile(`^\d+,\d{1,2}$`)

// parseNumber reads a decimal number, with a point or a decimal comma.
func parseNumber(v string) (float64, error) {
	if decimalComma.MatchString(v) {
		v = strings.Replace(v, ",", ".", 1)
	}
	if v == "" || strings.ContainsAny(v, "xXeEpP_+") || strings.HasPrefix(v, "0x") {
		return 0, strconv.ErrSyntax // only plain decimals: no hex, exponents, "Inf"
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}
