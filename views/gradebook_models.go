package views

// GradebookForm is the book page's upload form for gradebook files (nil
// for people who may not import one).
type GradebookForm struct {
	URL     string
	MaxSize string
	Error   string
}

// GradebookPreview is what applying an uploaded gradebook file would do.
type GradebookPreview struct {
	Header         CourseHeader
	Filename       string
	Format         string // "Canvas", "Moodle", "long form"...
	Matched        int
	Unknown        []GradebookUnknown
	NewAssignments []GradebookAssignment
	Scores         []GradebookScore // the first scores to set or change
	MoreScores     int              // how many more are not listed
	Set            int
	Changed        int
	Unchanged      int
	Errors         []PreviewError
	ApplyURL       string // "" when there are errors
	Token          string // the kept upload the apply uses
	BookURL        string
}

// GradebookUnknown is a row of the file for someone who is not a student of the course.
type GradebookUnknown struct {
	Line string
	Who  string
}

// GradebookAssignment is an assignment the apply creates.
type GradebookAssignment struct {
	Name   string
	Key    string
	Points string
}

// GradebookScore is one score to set (From "") or change.
type GradebookScore struct {
	Line       string
	Student    string
	Assignment string
	From       string
	To         string // "8.5 / 10"
}
