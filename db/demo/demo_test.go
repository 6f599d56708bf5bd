package demo

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/db/files"
)

// openDB opens a fresh database file and returns it with its path.
func openDB(t testing.TB) (*db.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "coursevault.db")
	d, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, path
}

// inspect opens a second, read-only connection to the file so tests can
// look at the rows directly, whatever queries package db offers.
func inspect(t testing.TB, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// dump renders every row of every table, in id order, one table per entry.
func dump(t testing.TB, path string) map[string]string {
	t.Helper()
	raw := inspect(t, path)
	// server_keys holds the database's random secrets (migration 0019), not demo data.
	rows, err := raw.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'server_keys' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 13 {
		t.Fatalf("found only tables %v", tables)
	}
	out := map[string]string{}
	for _, table := range tables {
		rows, err := raw.Query(`SELECT * FROM "` + table + `" ORDER BY rowid`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var b strings.Builder
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%q\n", vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		out[table] = b.String()
	}
	return out
}

func count(t testing.TB, raw *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := raw.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func smallOptions(seed int64) Options {
	o := Defaults()
	o.Seed = seed
	o.Students = 30
	o.Assignments = 8
	o.PasswordHash = "$argon2id$v=19$m=65536,t=1,p=2$demo$hash"
	return o
}

func generate(t testing.TB, opts Options) (Summary, string) {
	t.Helper()
	d, path := openDB(t)
	sum, err := Generate(context.Background(), d, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sum, path
}

func TestGenerate_sameSeedSameData(t *testing.T) {
	_, pathA := generate(t, smallOptions(7))
	_, pathB := generate(t, smallOptions(7))
	_, pathC := generate(t, smallOptions(8))
	a, b, c := dump(t, pathA), dump(t, pathB), dump(t, pathC)
	for table := range a {
		if a[table] != b[table] {
			t.Errorf("table %s differs between two runs with seed 7", table)
		}
	}
	if a["submissions"] == "" || a["test_results"] == "" {
		t.Fatal("the demo wrote no submissions or test results")
	}
	for _, table := range []string{"users", "scores", "submissions", "build_results"} {
		if a[table] == c[table] {
			t.Errorf("table %s is the same with seeds 7 and 8", table)
		}
	}
}

func TestGenerate_refusesNonEmptyDatabaseAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		fill    func(t *testing.T, d *db.DB)
		message string
	}{
		{"one course made by hand", func(t *testing.T, d *db.DB) {
			err := d.InTx(ctx, func(tx *db.Queries) error {
				_, err := tx.InsertCourse(ctx, db.Course{Code: "X1", Name: "Mine", CreatedAt: time.Now()})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}, "the database already holds 1 course; the demo only fills an empty database"},
		{"a demo already made", func(t *testing.T, d *db.DB) {
			if _, err := Generate(ctx, d, smallOptions(1)); err != nil {
				t.Fatal(err)
			}
		}, "the database already holds 3 courses; the demo only fills an empty database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, path := openDB(t)
			tt.fill(t, d)
			before := dump(t, path)
			static := 0
			opts := smallOptions(2)
			opts.Static = func(context.Context, int64, string, []byte) error { static++; return nil }
			_, err := Generate(ctx, d, opts)
			if !errors.Is(err, ErrNotEmpty) || err.Error() != tt.message {
				t.Fatalf("err = %v; want %q (ErrNotEmpty)", err, tt.message)
			}
			after := dump(t, path)
			for table := range before {
				if before[table] != after[table] {
					t.Errorf("table %s changed", table)
				}
			}
			if static != 0 {
				t.Errorf("stored %d static files", static)
			}
		})
	}
}

func TestGenerate_holdsTheHardCases(t *testing.T) {
	opts := smallOptions(3)
	sum, path := generate(t, opts)
	raw := inspect(t, path)
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"a student id with leading zeros", `SELECT count(*) FROM memberships WHERE role = 'student' AND student_identifier = '000417'`, nil},
		{"student ids are all text of six digits", `SELECT count(*) = (SELECT count(*) FROM memberships WHERE role = 'student') FROM memberships WHERE role = 'student' AND typeof(student_identifier) = 'text' AND length(student_identifier) = 6 AND student_identifier LIKE '0%'`, nil},
		{"a name with an apostrophe and accent", `SELECT count(*) FROM users WHERE name = 'Zoë O''Brien' AND given_name = 'Zoë' AND family_name = 'O''Brien'`, nil},
		{"a Korean name written family first", `SELECT count(*) FROM users WHERE name = '김민준' AND given_name = '민준' AND family_name = '김'`, nil},
		{"Greek and Arabic names", `SELECT count(*) = 2 FROM users WHERE name IN ('Αλέξανδρος Παπαδόπουλος', 'محمد العلي')`, nil},
		{"a person with no family name", `SELECT count(*) FROM users WHERE family_name = '' AND given_name = 'Aditi'`, nil},
		{"a course with the three periods", `SELECT count(*) = 3 FROM periods p JOIN courses c ON c.id = p.course_id WHERE c.code = 'CS101' AND p.name IN ('1st Period', '3rd Period', 'Period 5/6: Lab*?')`, nil},
		{"every student of the period course has a period", `SELECT count(*) = 0 FROM memberships m JOIN courses c ON c.id = m.course_id WHERE c.code = 'CS101' AND m.role = 'student' AND m.period_id IS NULL`, nil},
		{"a course with students and no periods", `SELECT count(*) FROM courses c WHERE NOT EXISTS (SELECT 1 FROM periods WHERE course_id = c.id) AND EXISTS (SELECT 1 FROM memberships WHERE course_id = c.id AND role = 'student')`, nil},
		{"an empty course: staff only, no assignments", `SELECT count(*) FROM courses c WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE course_id = c.id AND role = 'student') AND NOT EXISTS (SELECT 1 FROM assignments WHERE course_id = c.id) AND EXISTS (SELECT 1 FROM memberships WHERE course_id = c.id AND role = 'admin')`, nil},
		{"all four assignment kinds", `SELECT count(DISTINCT kind) = 4 FROM assignments`, nil},
		{"an assignment without dates", `SELECT count(*) FROM assignments WHERE opens_at IS NULL AND due_at IS NULL`, nil},
		{"not started scores have a NULL fraction", `SELECT count(*) FROM scores WHERE status = 'not_started' AND fraction IS NULL AND submitted_at IS NULL`, nil},
		{"only not started scores are NULL", `SELECT count(*) = 0 FROM scores WHERE (status = 'not_started') != (fraction IS NULL)`, nil},
		{"in progress scores", `SELECT count(*) FROM scores WHERE status = 'in_progress'`, nil},
		{"late scores submitted after the due date", `SELECT count(*) FROM scores s JOIN assignments a ON a.id = s.assignment_id WHERE s.late AND s.submitted_at > a.due_at`, nil},
		{"no score submitted in the future", `SELECT count(*) = 0 FROM scores WHERE submitted_at > ?`, []any{opts.Now.UTC()}},
		{"a future assignment has no score rows", `SELECT count(*) FROM assignments a WHERE a.opens_at > ? AND NOT EXISTS (SELECT 1 FROM scores WHERE assignment_id = a.id)`, []any{opts.Now.UTC()}},
		{"fractions are between 0 and 1", `SELECT count(*) = 0 FROM scores WHERE fraction < 0 OR fraction > 1`, nil},
		{"ANSI colour codes in build output", `SELECT count(*) FROM build_results WHERE instr(stdout, char(27) || '[31m') > 0`, nil},
		{"multi-line unicode test output", `SELECT count(*) FROM test_results WHERE instr(stdout, char(10)) > 0 AND instr(stdout, '✓') > 0`, nil},
		{"failed tests have a message", `SELECT count(*) = 0 FROM test_results WHERE NOT passed AND message = ''`, nil},
		{"several test results per tested submission", `SELECT min(n) >= 3 FROM (SELECT count(*) AS n FROM test_results GROUP BY submission_id)`, nil},
		{"queued submissions have no build yet", `SELECT count(*) = 0 FROM submissions s JOIN build_results b ON b.submission_id = s.id WHERE s.state IN ('queued', 'building')`, nil},
		{"failed builds have no test results", `SELECT count(*) = 0 FROM build_results b JOIN test_results t ON t.submission_id = b.submission_id WHERE NOT b.passed`, nil},
		{"commit ids are 40 hex digits", `SELECT count(*) = 0 FROM submissions WHERE length(commit_sha) != 40 OR commit_sha GLOB '*[^0-9a-f]*'`, nil},
		{"every demo user has the password hash", `SELECT count(*) = 0 FROM users WHERE password_hash != ?`, []any{opts.PasswordHash}},
		{"one site admin", `SELECT count(*) = 1 FROM users WHERE site_admin AND email = 'admin@demo.test'`, nil},
		{"the instructor is admin of every course", `SELECT count(*) = (SELECT count(*) FROM courses) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'instructor@demo.test' AND m.role = 'admin'`, nil},
		{"teacher and ta are staff of the first course", `SELECT count(*) = 2 FROM memberships m JOIN users u ON u.id = m.user_id JOIN courses c ON c.id = m.course_id WHERE c.code = 'CS101' AND ((u.email = 'teacher@demo.test' AND m.role = 'teacher') OR (u.email = 'ta@demo.test' AND m.role = 'ta'))`, nil},
		{"student@demo.test is in the first course's 1st Period", `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id JOIN periods p ON p.id = m.period_id WHERE u.email = 'student@demo.test' AND m.role = 'student' AND p.name = '1st Period'`, nil},
		{"generated students sign in as sNNNNN@demo.test", `SELECT count(*) FROM users WHERE email = 's00017@demo.test'`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := count(t, raw, tt.query, tt.args...); n < 1 {
				t.Errorf("query found %d", n)
			}
		})
	}

	t.Run("output is about StdoutBytes per submission", func(t *testing.T) {
		var avg float64
		err := raw.QueryRow(`SELECT avg(b.n + coalesce(t.n, 0)) FROM
			(SELECT submission_id, length(CAST(stdout AS BLOB)) AS n FROM build_results WHERE passed) b
			JOIN (SELECT submission_id, sum(length(CAST(stdout AS BLOB))) AS n FROM test_results GROUP BY submission_id) t USING (submission_id)`).Scan(&avg)
		if err != nil {
			t.Fatal(err)
		}
		if want := float64(opts.StdoutBytes); avg < want || avg > want*1.5 {
			t.Errorf("average output %.0f bytes; want about %.0f", avg, want)
		}
	})
	t.Run("summary counts the rows", func(t *testing.T) {
		for table, want := range map[string]int{
			"users": sum.Users, "courses": sum.Courses, "periods": sum.Periods, "memberships": sum.Memberships,
			"assignments": sum.Assignments, "scores": sum.Scores, "submissions": sum.Submissions,
			"build_results": sum.BuildResults, "test_results": sum.TestResults,
		} {
			if got := count(t, raw, `SELECT count(*) FROM `+table); got != want || got == 0 {
				t.Errorf("%s: %d rows, summary says %d", table, got, want)
			}
		}
		if want := 5 + opts.Students; sum.Users != want {
			t.Errorf("users = %d; want %d", sum.Users, want)
		}
	})
}

func TestSignIns_existWithTheirDocumentedRoles(t *testing.T) {
	_, path := generate(t, smallOptions(4))
	raw := inspect(t, path)
	for _, s := range SignIns {
		t.Run(s.Email, func(t *testing.T) {
			var n int
			if s.Role == "site admin" {
				n = count(t, raw, `SELECT count(*) FROM users WHERE email = ? AND site_admin`, s.Email)
			} else {
				n = count(t, raw, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = ? AND m.role = ?`, s.Email, s.Role)
			}
			if n < 1 {
				t.Errorf("%s is not %s anywhere", s.Email, s.Role)
			}
		})
	}
}

func TestGenerate_storesStaticFilesThroughTheCallback(t *testing.T) {
	type stored struct {
		course  int64
		path    string
		content []byte
	}
	var got []stored
	opts := smallOptions(5)
	opts.StaticFiles = 7
	opts.Static = func(_ context.Context, courseID int64, path string, content []byte) error {
		got = append(got, stored{courseID, path, content})
		return nil
	}
	sum, path := generate(t, opts)
	raw := inspect(t, path)
	filled := count(t, raw, `SELECT count(DISTINCT course_id) FROM memberships WHERE role = 'student'`)
	if len(got) != filled*opts.StaticFiles || sum.StaticFiles != len(got) {
		t.Fatalf("stored %d files (summary %d); want %d for each of %d courses with students", len(got), sum.StaticFiles, opts.StaticFiles, filled)
	}
	byPath := map[string][]byte{}
	for _, f := range got {
		if f.course != got[0].course {
			break
		}
		byPath[f.path] = f.content
	}
	checks := map[string]func([]byte) bool{
		"syllabus.pdf": func(b []byte) bool {
			return bytes.HasPrefix(b, []byte("%PDF-1.")) && bytes.HasSuffix(b, []byte("%%EOF\n")) && bytes.Contains(b, []byte("startxref"))
		},
		"images/logo.png": func(b []byte) bool {
			_, err := png.Decode(bytes.NewReader(b))
			return err == nil
		},
		"README.txt": func(b []byte) bool { return bytes.Contains(b, []byte("café")) },
		"roster-template.csv": func(b []byte) bool {
			return bytes.HasPrefix(b, []byte("student_id,")) && bytes.Contains(b, []byte("\n000417,"))
		},
		"lectures/week 1/notes.md": func(b []byte) bool { return bytes.HasPrefix(b, []byte("# Week 1")) },
		"lectures/week 2/slides.pdf": func(b []byte) bool {
			return bytes.HasPrefix(b, []byte("%PDF-1."))
		},
		"lectures/week 2/résumé – naïve notes.txt": func(b []byte) bool { return len(b) > 0 },
	}
	for p, ok := range checks {
		if b, found := byPath[p]; !found || !ok(b) {
			t.Errorf("%s: stored=%v, content %.40q", p, found, b)
		}
	}

	t.Run("a failing store stops the demo with the path", func(t *testing.T) {
		d, _ := openDB(t)
		opts := smallOptions(5)
		opts.Static = func(_ context.Context, _ int64, path string, _ []byte) error {
			if path == "README.txt" {
				return errors.New("disk full")
			}
			return nil
		}
		_, err := Generate(context.Background(), d, opts)
		if err == nil || !strings.Contains(err.Error(), "README.txt: disk full") {
			t.Fatalf("err = %v; want the path and the cause", err)
		}
	})
}

func TestGenerate_rejectsBadSizes(t *testing.T) {
	tests := map[string]func(*Options){
		"no courses":         func(o *Options) { o.Courses = 0 },
		"negative students":  func(o *Options) { o.Students = -1 },
		"negative stdout":    func(o *Options) { o.StdoutBytes = -5 },
		"too many students":  func(o *Options) { o.Students = 100000 },
		"negative per-files": func(o *Options) { o.StaticFiles = -1 },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			d, path := openDB(t)
			opts := smallOptions(1)
			change(&opts)
			if _, err := Generate(context.Background(), d, opts); err == nil {
				t.Fatal("Generate accepted it")
			}
			if n := count(t, inspect(t, path), `SELECT count(*) FROM users`); n != 0 {
				t.Errorf("wrote %d users", n)
			}
		})
	}
}

func TestGenerate_oneCourseHasPeriodsAndNoEmptyCourse(t *testing.T) {
	opts := smallOptions(6)
	opts.Courses = 1
	sum, path := generate(t, opts)
	raw := inspect(t, path)
	if sum.Courses != 1 || count(t, raw, `SELECT count(*) FROM memberships WHERE role = 'student'`) != opts.Students+1 {
		t.Errorf("summary %+v; want one course with every student", sum)
	}
}

// The callback runs outside any transaction: the files service writes
// through the single writer itself, so calling it inside one would hang.
func TestGenerate_staticFilesThroughTheFilesService(t *testing.T) {
	ctx := context.Background()
	d, path := openDB(t)
	store, err := files.New(d, filepath.Join(t.TempDir(), "attachments"), files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := smallOptions(9)
	opts.Static = func(ctx context.Context, courseID int64, p string, content []byte) error {
		_, err := store.AddStatic(ctx, courseID, p, bytes.NewReader(content))
		return err
	}
	sum, err := Generate(ctx, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, inspect(t, path), `SELECT count(*) FROM static_files`); n != sum.StaticFiles || n != 2*opts.StaticFiles {
		t.Fatalf("%d static_files rows, summary %d; want %d", n, sum.StaticFiles, 2*opts.StaticFiles)
	}
	list, err := d.ListStaticFiles(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range list {
		paths = append(paths, f.Path)
	}
	if got := strings.Join(paths, ","); got != "README.txt,images/logo.png,lectures/week 1/notes.md,roster-template.csv,syllabus.pdf" {
		t.Errorf("course 1 static files = %s", got)
	}
}
