// Package roster reads a course's roster from a CSV file (ours, or the people
// exports of Canvas, Moodle and Google Classroom) and plans and applies it.
package roster

import (
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"unicode/utf8"

	"coursevault/db"
	"coursevault/jobs/csvfile"
)

// Limits of one roster file.
const (
	MaxSize = 10 << 20 // bytes
	MaxRows = 50_000   // records after the header
	// maxErrors bad lines are listed; the rest are counted in one last error.
	maxErrors = 1000
)

// FileError refuses a whole file (not one line); its message is for people.
type FileError = csvfile.FileError

// LineError is one bad line of a file: its (starting) line number, the
// column at fault and the reason, in words.
type LineError = csvfile.LineError

func refuse(format string, args ...any) error { return csvfile.Refuse(format, args...) }

// csvOptions is what a roster file is to the CSV reader.
var csvOptions = csvfile.Options{What: "roster file", Rows: "people", MaxSize: MaxSize, MaxRows: MaxRows,
	Known: func(h string) bool { return headers[h] != fNone }}

// ErrTooLarge and ErrTooManyRows are the limits' refusals.
var (
	ErrTooLarge    = csvOptions.TooLarge()
	ErrTooManyRows = csvOptions.TooManyRows()
)

// Column names used in errors, as the README documents them.
const (
	ColEmail     = "email"
	ColName      = "name"
	ColRole      = "role"
	ColPeriod    = "period"
	ColStudentID = "student id"
)

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

func normalise(s string) string { return csvfile.Normalise(s) }

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
	cr, err := csvfile.Open(r, csvOptions)
	if err != nil {
		return File{}, err
	}
	var f File
	var cols []field
	var loginCol string // the header of a login id column read as the email
	firstEmail := map[string]int{}
	firstID := map[string]int{}
	errs := csvfile.Errors{Max: maxErrors}
	rec, err := cr.Header()
	if err == io.EOF {
		return File{}, refuse("the roster file is empty: it needs a header line with an email column")
	}
	if err != nil {
		return File{}, err
	}
	if cols, err = readHeader(rec, &f); err != nil {
		return File{}, err
	}
	for i, c := range cols {
		if c == fLogin {
			loginCol = strings.TrimSpace(rec[i])
		}
	}
	for {
		rec, line, err := cr.Next()
		if err == io.EOF {
			break
		}
		var le LineError
		if errors.As(err, &le) {
			errs.Add(le)
			continue
		}
		if err != nil {
			return File{}, err
		}
		e, skip := entry(rec, cols, loginCol, line, errs.Add)
		if skip {
			continue
		}
		if e.Email != "" {
			if first, ok := firstEmail[e.Email]; ok {
				errs.Add(LineError{Line: line, Column: ColEmail, Message: fmt.Sprintf("%s is also on line %d", e.Email, first)})
				continue
			}
			firstEmail[e.Email] = line
		}
		if e.StudentID != "" {
			if first, ok := firstID[e.StudentID]; ok {
				errs.Add(LineError{Line: line, Column: ColStudentID, Message: fmt.Sprintf("student id %s is also on line %d", e.StudentID, first)})
				continue
			}
			firstID[e.StudentID] = line
		}
		if e.Email != "" {
			f.Entries = append(f.Entries, e)
		}
	}
	f.Errors = errs.Done()
	return f, nil
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
			addErr(LineError{Line: line, Column: ColRole, Message: fmt.Sprintf("%q is not a role: use admin, teacher, ta or student", role)})
			ok = false
		}
	}
	switch {
	case e.Email == "":
		addErr(LineError{Line: line, Column: ColEmail, Message: "the email is missing"})
		ok = false
	case !IsEmail(e.Email):
		addErr(LineError{Line: line, Column: emailCol, Message: fmt.Sprintf("%q is not an email address", e.Email)})
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
