// Package archive writes and verifies the course archive: a zip holding a
// course's data as line-per-row JSON, its static files and a checksummed manifest.
package archive

import (
	"context"
	"io"
	"strings"
	"time"
	"unicode"

	"coursevault/db"
)

// FormatVersion is the archive format this package writes. It moves when an
// existing reader would misread a new archive, or silently drop what it
// carries: version 2 adds assignments' "key" and submissions'
// "external_id", which a version 1 reader would ignore (it skips unknown
// fields), so it refuses them instead of importing a course without them.
const FormatVersion = 2

// MinFormatVersion is the oldest format this package still reads: a version
// 1 archive has no outside keys, and imports with none.
const MinFormatVersion = 1

// Fixed entry names. Data files are listed in the order they are written.
const (
	ReadmeName   = "README.txt"
	ManifestName = "manifest.json"
	StaticDir    = "files/static/"
)

// DataFiles are the data entries every archive holds, in writing order.
var DataFiles = []string{
	"data/course.json",
	"data/periods.json",
	"data/members.json",
	"data/assignments.json",
	"data/submissions.json",
	"data/build_results.json",
	"data/test_results.json",
	"data/scores.json",
	"data/static_files.json",
}

// Manifest is manifest.json: who made the archive from what, and the size and
// sha256 of every other entry.
type Manifest struct {
	FormatVersion int        `json:"format_version"`
	AppVersion    string     `json:"app_version"`
	GeneratedAt   time.Time  `json:"generated_at"`
	GeneratedBy   Person     `json:"generated_by"`
	Course        CourseInfo `json:"course"`
	Options       Options    `json:"options"`
	Entries       []Entry    `json:"entries"`
}

// Person is who asked for the archive (ID 0: the command line).
type Person struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// CourseInfo identifies the course and the version of its data the archive
// was made from (compare with courses.data_version to tell if it is current).
type CourseInfo struct {
	ID          int64  `json:"id"`
	Code        string `json:"code"`
	Name        string `json:"name"`
	Term        string `json:"term"`
	DataVersion int64  `json:"data_version"`
}

// Entry is one zip entry other than manifest.json. Rows counts objects in a
// data file and is 0 for other entries.
type Entry struct {
	Path   string `json:"path"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Options are what the admin chose, plus the facts the manifest records.
// Only the two choices appear in manifest.json's "options".
type Options struct {
	IncludeStdout      bool `json:"include_stdout"`
	IncludeStaticFiles bool `json:"include_static_files"`

	AppVersion  string    `json:"-"`
	GeneratedBy Person    `json:"-"`
	Now         time.Time `json:"-"` // generated_at; zero means time.Now()
}

// Source is where the archive's content comes from. Q must read every table
// at one state of the course: a read transaction (db.DB.ReadTx's tx, one
// snapshot), or a db.CourseReader (short transactions at one data version;
// Write then fails with db.ErrCourseChanged if the course moved meanwhile).
// OpenFile returns the bytes of a files row (the file store owns them).
type Source struct {
	Q        Reader
	CourseID int64
	OpenFile func(ctx context.Context, fileID int64) (io.ReadCloser, error)
}

// Reader is the course reading an archive needs; *db.Queries and
// *db.CourseReader have it.
type Reader interface {
	CourseByID(ctx context.Context, id int64) (db.Course, error)
	CountArchiveRows(ctx context.Context, courseID int64) (db.ArchiveCounts, error)
	EachPeriod(ctx context.Context, courseID int64, fn func(db.Period) error) error
	EachMember(ctx context.Context, courseID int64, fn func(db.MemberRow) error) error
	EachAssignment(ctx context.Context, courseID int64, fn func(db.Assignment) error) error
	EachSubmission(ctx context.Context, courseID int64, fn func(db.Submission) error) error
	EachBuildResult(ctx context.Context, courseID int64, withStdout bool, fn func(db.BuildResultRow) error) error
	EachTestResult(ctx context.Context, courseID int64, withStdout bool, fn func(db.TestResultRow) error) error
	EachScore(ctx context.Context, courseID int64, fn func(db.Score) error) error
	ListStaticFiles(ctx context.Context, courseID int64) ([]db.StaticFile, error)
}

// Filename is the name an archive is offered under:
// <course-code>_<term>_export_<YYYYMMDD-HHMMSS>.zip with t in its own zone.
// Code and term keep letters and digits (any script), '-' and '.'; anything
// else becomes '-', so the name is valid on Windows, macOS and Linux and the
// '_' separators stay unambiguous.
func Filename(code, term string, t time.Time) string {
	name := filenamePart(code)
	if name == "" {
		name = "course"
	}
	if p := filenamePart(term); p != "" {
		name += "_" + p
	}
	return name + "_export_" + t.Format("20060102-150405") + ".zip"
}

func filenamePart(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 48 { // keep the whole name well under every OS's 255-byte limit
			break
		}
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-') {
			r = '-'
		}
		if r == '-' && strings.HasSuffix(b.String(), "-") {
			continue
		}
		b.WriteRune(r)
		n++
	}
	return strings.Trim(b.String(), "-.")
}
