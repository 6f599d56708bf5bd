package archive

import (
	"fmt"
	"strings"
)

// writeReadme writes README.txt: what a person unzipping the archive needs to
// read it without this program.
func (aw *writer) writeReadme(m Manifest) error {
	e, err := aw.open(ReadmeName, dataMethod)
	if err != nil {
		return err
	}
	if _, err := e.buf.WriteString(readme(m)); err != nil {
		return fmt.Errorf("archive: write %s: %w", ReadmeName, err)
	}
	return aw.close(e)
}

func readme(m Manifest) string {
	stdout := "NOT included.\n" +
		"  build_results.json and test_results.json carry stdout_bytes (the size of\n" +
		"  the output) but no \"stdout\" field. Export again with \"Include build\n" +
		"  and test output\" to get the text."
	if m.Options.IncludeStdout {
		stdout = "included.\n" +
			"  Each build and test result has a \"stdout\" field with the full text."
	}
	files := "NOT included.\n" +
		"  static_files.json lists them (path, size, sha256) with \"archive_path\": null."
	if m.Options.IncludeStaticFiles {
		files = "included.\n" +
			"  Under files/static/; each row of static_files.json names its entry in\n" +
			"  \"archive_path\"."
	}
	var b strings.Builder
	fmt.Fprintf(&b, `Course archive of %s — %s (%s)
Generated %s by %s with coursevault %s.
Archive format version %d.

WHAT IS IN HERE

  manifest.json            who made this archive, when, from which course and data
                           version, with which options; and for every other entry
                           its size in bytes, its number of rows and its SHA-256.
  data/course.json         the course (one row).
  data/periods.json        the periods (sections).
  data/members.json        everyone in the course: email, name, role, period,
                           student_identifier (text: leading zeros are kept).
                           Passwords, sessions and tokens are never exported.
  data/assignments.json    the assignments, in course order, with points and dates;
                           "key" is the outside key scripts use ("hw1"), or null.
  data/submissions.json    the autograded submissions (student, assignment, commit);
                           "external_id" is the autograder's id, or null.
  data/build_results.json  the build of each submission.
  data/test_results.json   each test run against a submission.
  data/scores.json         the performance book: one row per student and
                           assignment; fraction is 0..1 of the points, null when
                           not started.
  data/static_files.json   the course's static files (lecture PDFs, images).
  files/static/...         the static files' bytes, when included.

Build and test output (stdout): %s
Static files: %s

HOW TO READ THE DATA FILES

Each data file is a JSON array with exactly one object per line:

  [
  {"id":1,...},
  {"id":2,...}
  ]

(an empty table is "[]"). Any JSON reader loads it whole; line tools work too
(wc -l counts rows + 2, grep finds rows, diff compares two exports). Rows keep
their database ids, so they reference each other: submissions.user_id and
scores.user_id are members.user_id, test_results.submission_id is
submissions.id, and so on. Times are RFC 3339 in UTC ("2026-01-02T15:04:05Z"),
null when not set.

HOW TO CHECK IT

  coursevault verify <this-file.zip>

checks every entry's size and SHA-256 against manifest.json. Without coursevault,
unzip the archive and compare "sha256sum <path>" with the manifest's entries.
`, m.Course.Name, m.Course.Code, m.Course.Term,
		m.GeneratedAt.Format("2006-01-02 15:04:05 UTC"), generatedBy(m.GeneratedBy), orUnknown(m.AppVersion),
		m.FormatVersion, stdout, files)
	return b.String()
}

func generatedBy(p Person) string {
	switch {
	case p.Name != "" && p.Email != "":
		return p.Name + " <" + p.Email + ">"
	case p.Email != "":
		return p.Email
	case p.Name != "":
		return p.Name
	}
	return "the command line"
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown version)"
	}
	return s
}
