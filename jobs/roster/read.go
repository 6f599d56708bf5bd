// Package roster reads a course's roster from a CSV file (ours, or the people
// exports of Canvas, Moodle and Google Classroom) and plans and applies it.
package roster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"coursevault/db"
)

// Limits of one roster file.
const (
	MaxSize = 10 << 20 // bytes
	MaxRows = 50_000   // records after the header
	// maxErrors bad lines are listed; the rest are counted in one last error.
	maxErrors = 1000
)

// FileError refuses a whole file (not one line); its message is for people.
type FileError struct{ Msg string }

func (e *FileError) Error() string { return e.Msg }

func refuse(format string, args ...any) error { return &FileError{fmt.Sprintf(format, args...)} }

// ErrTooLarge and ErrTooManyRows are the limits' refusals.
var (
	ErrTooLarge    error = &FileError{fmt.Sprintf("the roster file is larger than %d MiB", MaxSize>>20)}
	ErrTooManyRows error = &FileError{fmt.Sprintf("the roster file has more than %d people", MaxRows)}
)

// Column names used in errors, as the README documents them.
const (
	ColEmail     = "email"
	ColName      = "name"
	ColRole      = "role"
	ColPeriod    = "period"
	ColStudentID = "student id"
)

// LineError is one bad line of a file: its (starting) line number, the
// column at fault and the reason, in words.
type LineError struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func (e LineError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d, column %q: %s", e.Line, e.Column, e.Message)
}

// Entry is one person of a file. Empty fields (and columns the file does not
// have) leave what a member already has as it is.
type Entry struct {
	Line       int
	Email      string // trimmed, lower case
	Name       string // display name, "Given Family"
	GivenName  string
	FamilyName string
	Role       string // db.Role*, "" when the file says nothing (student for new people)
	Period     string
	StudentID  string // text: leading zeros kept
	// NoPeriod takes the member out of their period (single edits only: a
	// file's empty cell leaves the period as it is).
	NoPeriod bool
}

// EffectiveRole is the role the entry gives a new member.
func (e Entry) EffectiveRole() string {
	if e.Role == "" {
		return db.RoleStudent
	}
	return e.Role
}

// File is a read roster: its people and its bad lines.
type File struct {
	Entries []Entry
	Errors  []LineError
	Columns []string // the recognised columns, in file order, as "header → field"
}

// field is what a recognised header fills.
type field int

const (
	fNone field = iota
	fEmail
	fLogin // login id or username: the email when no email column, and only if it is one
	fName  // one name: "Given Family" or "Family, Given"
	fGiven
	fFamily
	fRole
	fPeriod
	fStudentID
)

// headers maps a normalised header (letters and digits, lower case) to its
// field. See README "Roster files" for where each comes from.
var headers = map[string]field{
	"email": fEmail, "emailaddress": fEmail, "mail": fEmail, "studentemail": fEmail, "useremail": fEmail,
	"sisloginid": fLogin, "loginid": fLogin, "username": fLogin,
	"name": fName, "fullname": fName, "student": fName, "studentname": fName, "displayname": fName, "sortablename": fName,
	"firstname": fGiven, "givenname": fGiven, "first": fGiven, "forename": fGiven,
	"lastname": fFamily, "surname": fFamily, "familyname": fFamily, "last": fFamily,
	"role": fRole, "roles": fRole, "courserole": fRole,
	"period": fPeriod, "section": fPeriod, "sectionname": fPeriod, "group": fPeriod, "groups": fPeriod,
	"studentid": fStudentID, "studentnumber": fStudentID, "sisuserid": fStudentID, "idnumber": fStudentID, "sisid": fStudentID, "studentidentifier": fStudentID,
}

// roles maps a normalised role word to a role. Instructor, professor and
// Moodle's "editing teacher" are teachers; Moodle's "non-editing teacher" and
// Canvas's "TaEnrollment" are TAs; Moodle's "manager" is a course admin.
var roles = map[string]string{
	"admin": db.RoleAdmin, "administrator": db.RoleAdmin, "courseadmin": db.RoleAdmin, "manager": db.RoleAdmin, "owner": db.RoleAdmin,
	"teacher": db.RoleTeacher, "instructor": db.RoleTeacher, "editingteacher": db.RoleTeacher, "professor": db.RoleTeacher, "lecturer": db.RoleTeacher,
	"ta": db.RoleTA, "teachingassistant": db.RoleTA, "assistant": db.RoleTA, "noneditingteacher": db.RoleTA, "grader": db.RoleTA,
	"student": db.RoleStudent, "learner": db.RoleStudent, "pupil": db.RoleStudent,
}

// normalise keeps the letters and digits of s, in lower case: "Email
// address", "email_address" and "\ufeffE-mail Address" become "emailaddress".
func normalise(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// ParseRole turns a role as people write it into a role ("" when unknown).
func ParseRole(s string) string {
	k := strings.TrimSuffix(normalise(s), "enrollment") // Canvas: TaEnrollment
	return roles[k]
}

// skipNames are the name cells of rows that are not people: Canvas's
// "Points Possible" row and its built-in test student, Google Classroom's
// points, date and average rows.
var skipNames = map[string]bool{
	"pointspossible": true,
	"points":         true, "date": true, "duedate": true, "classaverage": true, "average": true,
}

// Read parses a roster, streaming. It fails only for the whole file: a
// *FileError (too large, too many rows, no email column) or the reader's
// error. Bad lines are collected in File.Errors.
func Read(r io.Reader) (File, error) {
	lr := &limitReader{r: r, left: MaxSize}
	br := bufio.NewReaderSize(lr, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	} else if len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff) {
		return File{}, refuse(`the roster file is UTF-16 text (Excel's "Unicode text"): save it as "CSV UTF-8" and upload that`)
	}
	head, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	cr := csv.NewReader(br)
	cr.Comma = sniff(head)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = false

	var f File
	var cols []field
	var loginCol string // the header of a login id column read as the email
	firstEmail := map[string]int{}
	firstID := map[string]int{}
	dropped := 0
	addErr := func(e LineError) {
		if len(f.Errors) < maxErrors {
			f.Errors = append(f.Errors, e)
		} else {
			dropped++
		}
	}
	for rows := 0; ; {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errTooLarge) {
			return File{}, ErrTooLarge
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if cols == nil {
				return File{}, refuse("the header line is not valid CSV: %s", csvReason(pe.Err))
			}
			addErr(LineError{Line: pe.StartLine, Message: "not valid CSV: " + csvReason(pe.Err)})
			continue
		}
		if err != nil {
			return File{}, fmt.Errorf("read the roster: %w", err)
		}
		if cols == nil {
			if cols, err = readHeader(rec, &f); err != nil {
				return File{}, err
			}
			for i, c := range cols {
				if c == fLogin {
					loginCol = strings.TrimSpace(rec[i])
				}
			}
			continue
		}
		if rows++; rows > MaxRows {
			return File{}, ErrTooManyRows
		}
		line, _ := cr.FieldPos(0)
		e, skip := entry(rec, cols, loginCol, line, addErr)
		if skip {
			continue
		}
		if e.Email != "" {
			if first, ok := firstEmail[e.Email]; ok {
				addErr(LineError{line, ColEmail, fmt.Sprintf("%s is also on line %d", e.Email, first)})
				continue
			}
			firstEmail[e.Email] = line
		}
		if e.StudentID != "" {
			if first, ok := firstID[e.StudentID]; ok {
				addErr(LineError{line, ColStudentID, fmt.Sprintf("student id %s is also on line %d", e.StudentID, first)})
				continue
			}
			firstID[e.StudentID] = line
		}
		if e.Email != "" {
			f.Entries = append(f.Entries, e)
		}
	}
	if cols == nil {
		return File{}, refuse("the roster file is empty: it needs a header line with an email column")
	}
	if dropped > 0 {
		f.Errors = append(f.Errors, LineError{Message: fmt.Sprintf("and %d more bad lines", dropped)})
	}
	return f, nil
}

// sniff picks the delimiter that gives the header line the most recognised
// headers: comma, semicolon (spreadsheets in many locales) or tab.
func sniff(head []byte) rune {
	best, bestN := ',', -1
	for _, d := range []rune{',', ';', '\t'} {
		n := 0
		for _, h := range strings.Split(string(head), string(d)) {
			if headers[normalise(h)] != fNone {
				n++
			}
		}
		if n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

// readHeader maps the header's columns to fields; the first column for a
// field wins (a later duplicate is ignored).
func readHeader(rec []string, f *File) ([]field, error) {
	cols := make([]field, len(rec))
	seen := map[field]bool{}
	for i, h := range rec {
		fl := headers[normalise(h)]
		if fl == fNone || seen[fl] {
			continue
		}
		seen[fl] = true
		cols[i] = fl
		f.Columns = append(f.Columns, strings.TrimSpace(h))
	}
	if !seen[fEmail] && !seen[fLogin] {
		return nil, refuse(`the roster file has no email column: its first line must name the columns, one of them "email" (or "Email address", "SIS Login ID", "username")`)
	}
	if seen[fEmail] { // a login id is only the email when there is no email column
		for i := range cols {
			if cols[i] == fLogin {
				cols[i] = fNone
			}
		}
	}
	return cols, nil
}

// entry reads one record; skip is true for rows that are not people.
// A bad email read from a login id column names that column ("SIS Login ID").
func entry(rec []string, cols []field, loginCol string, line int, addErr func(LineError)) (e Entry, skip bool) {
	e.Line = line
	var name, role, emailCol string
	for i, v := range rec {
		if i >= len(cols) {
			break
		}
		v = strings.TrimSpace(v)
		switch cols[i] {
		case fEmail:
			e.Email, emailCol = strings.ToLower(v), ColEmail
		case fLogin:
			e.Email, emailCol = strings.ToLower(v), loginCol
		case fName:
			name = v
		case fGiven:
			e.GivenName = v
		case fFamily:
			e.FamilyName = v
		case fRole:
			role = v
		case fPeriod:
			// Moodle lists every group, comma separated: the first is the period.
			e.Period, _, _ = strings.Cut(v, ", ")
			e.Period = strings.TrimSpace(e.Period)
		case fStudentID:
			e.StudentID = v
		}
	}
	for _, v := range rec {
		if !utf8.ValidString(v) {
			addErr(LineError{Line: line, Message: `the line is not UTF-8 text: save the file as "CSV UTF-8"`})
			return e, true
		}
	}
	label := normalise(name + e.GivenName + e.FamilyName)
	if label == "teststudent" || label == "studenttest" {
		return e, true // Canvas's built-in test student
	}
	if e.Email == "" && (skipNames[label] || label == "" && e.StudentID == "" && role == "" && e.Period == "") {
		return e, true // a points, date or average row, or an empty one
	}
	switch {
	case name != "":
		e.GivenName, e.FamilyName, e.Name = SplitName(name)
	case e.GivenName != "" || e.FamilyName != "":
		e.Name = strings.TrimSpace(e.GivenName + " " + e.FamilyName)
	}
	ok := true
	if role != "" {
		if e.Role = ParseRole(role); e.Role == "" {
			addErr(LineError{line, ColRole, fmt.Sprintf("%q is not a role: use admin, teacher, ta or student", role)})
			ok = false
		}
	}
	switch {
	case e.Email == "":
		addErr(LineError{line, ColEmail, "the email is missing"})
		ok = false
	case !IsEmail(e.Email):
		addErr(LineError{line, emailCol, fmt.Sprintf("%q is not an email address", e.Email)})
		ok = false
	}
	if !ok {
		e.Email = "" // listed as an error, not as a person
	}
	return e, false
}

// SplitName reads one name cell: "Family, Given" (Canvas, sortable names)
// or "Given Family", split at the last space (a two-word family name then
// lands in the given name; the display name is kept whole either way).
func SplitName(s string) (given, family, display string) {
	s = strings.Join(strings.Fields(s), " ")
	if f, g, ok := strings.Cut(s, ","); ok {
		f, g = strings.TrimSpace(f), strings.TrimSpace(g)
		return g, f, strings.TrimSpace(g + " " + f)
	}
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		return s[:i], s[i+1:], s
	}
	return s, "", s
}

// IsEmail reports whether s is a bare email address (no display name, no
// angle brackets) whose domain has a dot: "bob@school" is a typo at a school.
func IsEmail(s string) bool {
	if len(s) > 254 || !utf8.ValidString(s) || strings.ContainsAny(s, " <>\t") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	local, domain, _ := strings.Cut(s, "@")
	return local != "" && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func csvReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a " inside a field that is not in quotes (quote the field and double the ")`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted field does not end with a " before the next delimiter or the end of the file`
	}
	return err.Error()
}

var errTooLarge = errors.New("too large")

// limitReader fails once more than left bytes were read.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, errTooLarge
	}
	return n, err
}
