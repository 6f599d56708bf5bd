package views

// BackupForm is a backup schedule's form: a course's on its Exports tab
// (AllowDefault: it may follow the site default) or the site default on
// Admin → Backups. Errors are keyed by field: frequency, day, time, keep.
type BackupForm struct {
	ID            string // DOM id, also the prefix of its controls' ids
	Action        string
	Title         string // the fieldset's legend
	AllowDefault  bool
	DefaultWords  string // the site default in words, for the "like the site default" choice
	Frequency     string // default, off, daily, weekly
	Day           string // "0" (Sunday) .. "6"
	Time          string // HH:MM
	Keep          string
	IncludeStdout bool
	IncludeStatic bool
	TimeZone      string // "Europe/Berlin"
	NextRun       string // "2026-11-03 02:00 CET (in 17 hours)"; "" when off
	Errors        map[string]string
	Saved         string // after a save answered as a fragment
}

// BackupAdminRow is one course on Admin → Backups.
type BackupAdminRow struct {
	Code       string
	Name       string
	ExportsURL string
	Schedule   string // "Daily at 02:00, with files, keep 7"
	Inherited  bool   // follows the site default
	Last       Time   // the last scheduled archive's request; zero: none
	LastStatus string // machine word: ready, failed, ...
	LastWords  string // "Ready", "Failed", ...
	LastSize   string
	LastError  string
	Skip       string // "Skipped 3 runs: nothing changed since ..."
	NextRun    string // "" when off
	Failed     bool
}

// BackupsAdmin is Admin → Backups.
type BackupsAdmin struct {
	Rows []BackupAdminRow
	Form BackupForm
}

// Weekday is a choice of the weekly schedule's day.
type Weekday struct {
	Value, Label string
}

// Weekdays are the days in the order the form lists them, Monday first.
var Weekdays = []Weekday{{"1", "Monday"}, {"2", "Tuesday"}, {"3", "Wednesday"}, {"4", "Thursday"}, {"5", "Friday"}, {"6", "Saturday"}, {"0", "Sunday"}}
