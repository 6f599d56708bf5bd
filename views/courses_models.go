package views

// CourseForm is a course's fields as typed, with an error per field
// ("code", "name", "term", "periods"); the New course form also has periods.
type CourseForm struct {
	ID          string // the form's element id, the htmx target
	Action      string
	Submit      string
	Code        string
	Name        string
	Term        string
	Periods     string // one a line; shown when WithPeriods
	WithPeriods bool
	Errors      map[string]string
}

// CourseAdminRow is one course on Admin → Courses.
type CourseAdminRow struct {
	SettingsURL string
	CourseURL   string
	Code        string
	Name        string
	Term        string
	Members     string
	DataSize    string
	LastExport  Time // zero: never
}

// CoursesAdmin is the site admin's list of every course and the New course form.
type CoursesAdmin struct {
	Rows []CourseAdminRow
	Form CourseForm
}

// PeriodRow is one period on the Settings tab with its actions.
type PeriodRow struct {
	ID          string // element id
	Name        string
	Students    string // "3 students"
	RenameURL   string
	UpURL       string // "" for the first
	DownURL     string // "" for the last
	RemoveURL   string
	RenameValue string // what was typed, when the rename failed
	RenameError string
}

// PeriodConfirm asks before removing a period that has students.
type PeriodConfirm struct {
	Name      string
	Students  string
	RemoveURL string
	CancelURL string
}

// PeriodsSection is the Settings tab's list of periods (the htmx target of
// every period action).
type PeriodsSection struct {
	AddURL   string
	AddValue string
	AddError string
	Rows     []PeriodRow
	Confirm  *PeriodConfirm
}

// CourseRemoval is the site admin's Remove course section.
type CourseRemoval struct {
	URL     string
	Code    string
	Summary string // "12 members, 3.4 MB of files"
	Typed   string
	Error   string
}

// CourseSettings is a course's Settings tab.
type CourseSettings struct {
	Header  CourseHeader
	Form    CourseForm
	Periods PeriodsSection
	Tokens  CourseTokens
	Remove  *CourseRemoval // site admins only
}
