package archive

import "time"

// The objects of the data files: the archive format, one struct per file.
// Field names are the column names; ids are kept so rows reference each other
// (submissions.user_id -> members.user_id, test_results.submission_id ->
// submissions.id, ...). Times are RFC 3339 in UTC; null means no value.

type courseRow struct {
	ID          int64     `json:"id"`
	Code        string    `json:"code"`
	Name        string    `json:"name"`
	Term        string    `json:"term"`
	DataVersion int64     `json:"data_version"`
	CreatedAt   time.Time `json:"created_at"`
}

type periodRow struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
}

// memberRow carries what a course admin needs about a member and nothing
// else: no password hash, no session, no token, no site-wide flags.
type memberRow struct {
	ID                int64     `json:"id"`
	UserID            int64     `json:"user_id"`
	Email             string    `json:"email"`
	Name              string    `json:"name"`
	GivenName         string    `json:"given_name"`
	FamilyName        string    `json:"family_name"`
	Role              string    `json:"role"`
	PeriodID          *int64    `json:"period_id"`
	Period            string    `json:"period"`
	StudentIdentifier string    `json:"student_identifier"`
	CreatedAt         time.Time `json:"created_at"`
}

// assignmentRow: key is the outside system's key ("hw1"), null when none
// (format 2; absent from format 1 archives).
type assignmentRow struct {
	ID       int64      `json:"id"`
	Key      *string    `json:"key"`
	Name     string     `json:"name"`
	Kind     string     `json:"kind"`
	Position int        `json:"position"`
	OpensAt  *time.Time `json:"opens_at"`
	DueAt    *time.Time `json:"due_at"`
	Points   float64    `json:"points"`
}

// submissionRow: external_id is the autograder's id ("ext-123"), null
// when none (format 2; absent from format 1 archives).
type submissionRow struct {
	ID           int64     `json:"id"`
	ExternalID   *string   `json:"external_id"`
	AssignmentID int64     `json:"assignment_id"`
	UserID       int64     `json:"user_id"`
	CommitSHA    string    `json:"commit_sha"`
	State        string    `json:"state"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// buildResultRow: stdout is absent (not null, not "") when the archive was
// made without stdout; stdout_bytes is always there.
type buildResultRow struct {
	ID           int64     `json:"id"`
	SubmissionID int64     `json:"submission_id"`
	Passed       bool      `json:"passed"`
	StdoutBytes  int64     `json:"stdout_bytes"`
	CreatedAt    time.Time `json:"created_at"`
	Stdout       *string   `json:"stdout,omitempty"` // last: the short fields stay readable at the start of the line
}

type testResultRow struct {
	ID           int64     `json:"id"`
	SubmissionID int64     `json:"submission_id"`
	Name         string    `json:"name"`
	Passed       bool      `json:"passed"`
	Message      string    `json:"message"`
	StdoutBytes  int64     `json:"stdout_bytes"`
	CreatedAt    time.Time `json:"created_at"`
	Stdout       *string   `json:"stdout,omitempty"`
}

type scoreRow struct {
	ID           int64      `json:"id"`
	AssignmentID int64      `json:"assignment_id"`
	UserID       int64      `json:"user_id"`
	Fraction     *float64   `json:"fraction"`
	Status       string     `json:"status"`
	Late         bool       `json:"late"`
	SubmittedAt  *time.Time `json:"submitted_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// staticFileRow: archive_path is the entry holding the bytes, null when the
// archive was made without static files.
type staticFileRow struct {
	ID          int64     `json:"id"`
	Path        string    `json:"path"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
	ArchivePath *string   `json:"archive_path"`
}
