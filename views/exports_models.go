package views

// RowState is the part a background job's row shares between exports and
// imports: its status, and its progress while pending. While Pending the row
// polls PollURL and swaps itself; in a final state it stops.
type RowState struct {
	ID              string // DOM id: "export-12"
	Status          string // machine word: queued, running, ready, failed, ...
	StatusWords     string // "Queued", "Running", "Ready", ...
	Pending         bool   // queued or running
	PollURL         string
	HasProgress     bool
	ProgressDone    int64
	ProgressTotal   int64
	ProgressPercent int
	Stage           string // "Writing test results — 120,000 of 380,000"
	Error           string // why it failed, in words
}

// ExportRow is one export as its table row shows it. The same component is
// the page's row and the fragment a pending row polls.
type ExportRow struct {
	RowState
	Options     string // "with stdout, with static files"
	RequestedBy string
	Created     Time
	UpToDate    bool
	Scheduled   bool   // made by the backup schedule
	Skip        string // a skipped scheduled run: "Skipped: nothing changed since ..."

	// When ready.
	Filename    string
	DownloadURL string
	Size        string
	Checksum    string // short sha256
	Expires     Time
	NeverExpire bool
	// Actions (POST URLs; empty when the action does not fit).
	KeepURL   string // pin the file so it never expires
	UnkeepURL string // let a kept file expire again
	CancelURL string
	RetryURL  string
	DeleteURL string
}

// Time is a moment shown relative ("3 minutes ago") with the exact time for
// hover and screen readers.
type Time struct {
	ISO      string // for <time datetime>
	Relative string // "3 minutes ago", "in 6 days"
	Exact    string // "2026-11-25 10:07 CET"
}

// ExportsTab is the course archive tab.
type ExportsTab struct {
	Header      CourseHeader
	PostURL     string
	Rows        []ExportRow
	StdoutTip   string      // "Adds about 1.4 GB before compression (380,000 outputs)."
	StaticLabel string      // "12 files, 40 MB"
	UpToDate    bool        // the newest ready archive with default options is from the current data
	Error       string      // a refused request, in words
	Schedule    *BackupForm // the backup schedule (nil: not shown)
}
