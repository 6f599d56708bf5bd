// Package views holds the templ components of coursevault's pages and the
// htmx fragments, fed by plain view-model structs with formatted values.
package views

// Page carries what every page's layout needs.
type Page struct {
	Title     string
	User      *User  // nil when signed out
	CSRFToken string // sent by htmx as a header, by forms as a field
	Notice    string // a one-off message shown at the top ("Signed out.")
}

// User is the signed-in person as the navigation shows them.
type User struct {
	Name      string
	Email     string
	SiteAdmin bool
}

// CourseItem is one line of the course list.
type CourseItem struct {
	URL  string
	Code string
	Name string
	Term string
	Role string // in words: "Course admin", "Teacher", "TA"
}

// Tab is one tab of a course's tab bar.
type Tab struct {
	Label   string
	URL     string
	Current bool
}

// CourseHeader is the top of every course page: title and tab bar.
type CourseHeader struct {
	Code string
	Name string
	Term string
	Role string
	Tabs []Tab
}

// ErrorPage explains a 403, 404 or 500 in words.
type ErrorPage struct {
	Status  int
	Heading string
	Message string
}

// BookPage is the performance book: the grid of one period (or all) and the
// workbook exports.
type BookPage struct {
	Header       CourseHeader
	Filters      []Tab // "All" and one per period
	Columns      []BookColumn
	Rows         []BookRow
	Averages     []string // per assignment, in column order
	ClassAverage string
	Students     int
	PostURL      string
	Exports      []ExportRow
	UpToDate     bool
	// AssignmentsURL is the assignments page (staff add, edit, order, remove).
	AssignmentsURL string
	Gradebook      *GradebookForm // nil: the viewer may not upload one

	// The view of a big course: a page of students at a time, a search
	// and a sort, kept across the period filters and the pager.
	ViewURL   string // the page's path; the search form's action
	Search    string
	Period    string // the period filter's id, "" for all
	Sort, Dir string // as in the URL, for the search form
	Matches   int    // students the search finds (all of them without one)
	Shown     string // "40 students", or "Students 101–200 of 5000" when paged or searched
	NameSort  SortHeader
	IDSort    SortHeader
	AvgSort   SortHeader
	Pages     []PageLink // nil when one page shows all
	PrevURL   string
	NextURL   string
}

// SortHeader is a sortable column's link: to sort by it (or to reverse the
// sort when it is the current one) and its aria-sort state.
type SortHeader struct {
	URL      string
	AriaSort string // "ascending", "descending", or "" when not sorted by it
}

// PageLink is one numbered link of the pager; Gap is an ellipsis between
// non-adjacent numbers.
type PageLink struct {
	Label   string
	URL     string
	Current bool
	Gap     bool
}

// BookColumn is an assignment's header.
type BookColumn struct {
	Name string
	Kind string
	Due  string // "Due Nov 3" or ""
	Sort SortHeader
}

// BookRow is one student's row.
type BookRow struct {
	Name      string // "Family, Given", or the one name a student has
	StudentID string
	Cells     []BookCell
	Average   string
}

// BookCell is one score: "87%", blank for not started; Class marks late or
// in progress and Title says so in words.
type BookCell struct {
	Text  string
	Class string
	Title string
}

// ImportRow is one uploaded archive and what became of it.
type ImportRow struct {
	RowState
	Filename    string
	Code        string
	RequestedBy string
	Created     Time
	CourseURL   string // the imported course, when done
	CourseLabel string
	Result      string
}

// ImportsPage is the site admin's Import page.
type ImportsPage struct {
	PostURL string
	MaxSize string
	Rows    []ImportRow
	Error   string
}

// AuditRow is one audit event for people.
type AuditRow struct {
	When    Time
	Who     string
	Action  string
	Subject string
	Course  string
	From    string
	Detail  string
}

// AuditPage is the audit log of a course (Header set) or of the whole site.
type AuditPage struct {
	Header *CourseHeader
	Rows   []AuditRow
}
