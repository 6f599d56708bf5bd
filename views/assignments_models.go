package views

// AssignmentsPage lists a course's assignments for staff: teachers and
// course admins edit them, TAs see them.
type AssignmentsPage struct {
	Header  CourseHeader
	BookURL string
	Rows    AssignmentRows
	CanEdit bool
	AddURL  string
	Add     AssignmentForm
	Zone    string // the school's time zone, for the date hints
}

// AssignmentRows is the table body: the unit htmx swaps after a move.
type AssignmentRows struct {
	Rows []AssignmentRow
}

// AssignmentRow is one assignment, shown or (Editing) as its edit form;
// the unit htmx swaps after an edit.
type AssignmentRow struct {
	ID             string // element id, "assignment-12"
	Name           string
	Kind           string
	Opens          string // formatted in the school's zone, "" for none
	Due            string
	Points         string
	Key            string
	Submissions    int
	Scores         int
	RemoveQuestion string // what htmx asks before removing
	CanEdit        bool
	First, Last    bool // no ↑ on the first, no ↓ on the last
	EditURL        string
	SaveURL        string
	UpURL          string
	DownURL        string
	RemoveURL      string
	PageURL        string
	Editing        bool
	Form           AssignmentForm
	CSRFToken      string
}

// AssignmentForm is an assignment's fields as typed, with errors by field
// ("name", "kind", "opens_at", "due_at", "points", "key").
type AssignmentForm struct {
	Name, Kind, OpensAt, DueAt, Points, Key string
	Errors                                  map[string]string
}

// AssignmentKinds are the kinds in the order forms offer them.
var AssignmentKinds = []struct{ Value, Label string }{
	{"homework", "Homework"}, {"reading", "Reading"}, {"project", "Project"}, {"exam", "Exam"},
}

// RemoveAssignment asks before removing an assignment that has work.
type RemoveAssignment struct {
	Header      CourseHeader
	Name        string
	Submissions int
	Scores      int
	RemoveURL   string
	BackURL     string
}
