package views

import "strings"

// PeoplePage is a course's People tab: its members, the add-one form and
// the roster upload.
type PeoplePage struct {
	Header    CourseHeader
	Rows      []MemberRow
	Periods   []string // for the period choices
	AddURL    string
	Add       AddPerson
	RosterURL string
	MaxSize   string // "10 MiB"
	// RosterError is why an uploaded file was refused as a whole.
	RosterError string
}

// AddPerson is the add-one form's input and its errors by field name
// ("email", "name", "role", "period", "student_id").
type AddPerson struct {
	Email, Name, Role, Period, StudentID string
	Errors                               map[string]string
}

// MemberRow is one member; the unit htmx swaps after a change.
type MemberRow struct {
	ID         string // element id, "member-12"
	Name       string
	Email      string
	Role       string // admin, teacher, ta or student
	Period     string // "" for none
	StudentID  string
	LastSignIn Time
	Never      bool // never signed in
	Periods    []string
	ChangeURL  string
	RemoveURL  string // "" when the member cannot be removed (the viewer)
	Error      string
	CSRFToken  string
}

// RoleChoices are the roles in the order forms offer them.
var RoleChoices = []struct{ Value, Label string }{
	{"student", "Student"}, {"ta", "TA"}, {"teacher", "Teacher"}, {"admin", "Course admin"},
}

// RosterPreview is what applying an uploaded roster would do.
type RosterPreview struct {
	Header        CourseHeader
	Filename      string
	Add           []PreviewPerson
	Change        []PreviewPerson
	Unchanged     int
	Remove        []PreviewPerson
	RemoveMissing bool
	RemoveRoles   string // "students and TAs"
	NewPeriods    []string
	Errors        []PreviewError
	ApplyURL      string // "" when there are errors
	Token         string // the stored upload the apply uses
	PeopleURL     string
}

// PreviewPerson is one person of a preview.
type PreviewPerson struct {
	Line      string // "" for removals
	Name      string
	Email     string
	Role      string
	Period    string
	StudentID string
	Changes   []string
}

// PreviewError is one bad line.
type PreviewError struct {
	Line    string
	Column  string
	Message string
}

// RemoveConfirm asks before a member is removed (the page without JavaScript).
type RemoveConfirm struct {
	Header    CourseHeader
	Name      string
	Email     string
	RemoveURL string
	PeopleURL string
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
