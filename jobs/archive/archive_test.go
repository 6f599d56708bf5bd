package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"coursevault/db"
)

// The demo's first course has students, submissions and static files; with
// three courses the last one is empty.
const (
	fullCourse  = 1
	emptyCourse = 3
)

func TestWrite_archiveHoldsTheWholeCourse(t *testing.T) {
	f := newFixture(t, smallDemo())
	ctx := context.Background()
	zipBytes, m := f.write(t, fullCourse, Options{IncludeStdout: true, IncludeStaticFiles: true, AppVersion: "test",
		GeneratedBy: Person{ID: 7, Email: "instructor@demo.test", Name: "Ina Structor"}})
	entries, names := unzip(t, zipBytes)

	counts, err := f.d.CountArchiveRows(ctx, fullCourse)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Submissions == 0 || counts.TestResults == 0 || counts.StaticFiles == 0 {
		t.Fatalf("the demo course is too thin to test with: %+v", counts)
	}

	t.Run("entries in order, manifest last", func(t *testing.T) {
		want := append([]string{ReadmeName}, DataFiles...)
		if !slices.Equal(names[:len(want)], want) {
			t.Fatalf("first entries = %v, want %v", names[:len(want)], want)
		}
		statics := names[len(want) : len(names)-1]
		if int64(len(statics)) != counts.StaticFiles {
			t.Errorf("%d static entries, want %d", len(statics), counts.StaticFiles)
		}
		for _, s := range statics {
			if !strings.HasPrefix(s, StaticDir) {
				t.Errorf("unexpected entry %s", s)
			}
		}
		if names[len(names)-1] != ManifestName {
			t.Errorf("last entry = %s, want %s", names[len(names)-1], ManifestName)
		}
	})

	t.Run("data files are JSON arrays with one object per line", func(t *testing.T) {
		wantRows := map[string]int64{
			"data/course.json": 1, "data/periods.json": counts.Periods, "data/members.json": counts.Members,
			"data/assignments.json": counts.Assignments, "data/submissions.json": counts.Submissions,
			"data/build_results.json": counts.BuildResults, "data/test_results.json": counts.TestResults,
			"data/scores.json": counts.Scores, "data/static_files.json": counts.StaticFiles,
		}
		for _, name := range DataFiles {
			rows := jsonLines(t, name, entries[name])
			if int64(len(rows)) != wantRows[name] {
				t.Errorf("%s: %d rows, database has %d", name, len(rows), wantRows[name])
			}
		}
	})

	t.Run("manifest sizes, hashes and rows match the entries", func(t *testing.T) {
		if len(m.Entries) != len(names)-1 {
			t.Fatalf("manifest lists %d entries, zip has %d besides the manifest", len(m.Entries), len(names)-1)
		}
		var onDisk Manifest
		if err := json.Unmarshal(entries[ManifestName], &onDisk); err != nil {
			t.Fatal(err)
		}
		for i, e := range onDisk.Entries {
			sum := sha256.Sum256(entries[e.Path])
			if e.Bytes != int64(len(entries[e.Path])) || e.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: manifest says %d bytes %s, entry is %d bytes %x", e.Path, e.Bytes, e.SHA256, len(entries[e.Path]), sum)
			}
			if e != m.Entries[i] {
				t.Errorf("returned manifest differs from manifest.json at %s", e.Path)
			}
			if strings.HasPrefix(e.Path, "data/") && e.Rows != int64(len(jsonLines(t, e.Path, entries[e.Path]))) {
				t.Errorf("%s: manifest rows %d wrong", e.Path, e.Rows)
			}
		}
		if onDisk.FormatVersion != FormatVersion || onDisk.AppVersion != "test" || !onDisk.GeneratedAt.Equal(testNow) ||
			onDisk.GeneratedBy.Email != "instructor@demo.test" || onDisk.Course.ID != fullCourse ||
			!onDisk.Options.IncludeStdout || !onDisk.Options.IncludeStaticFiles {
			t.Errorf("manifest header = %+v", onDisk)
		}
		if !bytes.Contains(entries[ManifestName], []byte(`"generated_at": "2026-03-04T05:06:07Z"`)) {
			t.Errorf("generated_at is not RFC 3339 UTC:\n%s", entries[ManifestName][:300])
		}
	})

	t.Run("no password hash or token anywhere", func(t *testing.T) {
		for name, data := range entries {
			if bytes.Contains(data, []byte("SECRET-HASH")) {
				t.Errorf("%s contains the password hash", name)
			}
			if !strings.HasPrefix(name, "data/") {
				continue
			}
			for _, row := range jsonLines(t, name, data) {
				var fields map[string]any
				if err := json.Unmarshal(row, &fields); err != nil {
					t.Fatal(err)
				}
				for key := range fields {
					for _, bad := range []string{"password", "token", "session", "site_admin", "disabled"} {
						if strings.Contains(key, bad) {
							t.Errorf("%s has a %q field", name, key)
						}
					}
				}
			}
		}
	})

	t.Run("members keep unicode names and leading zeros", func(t *testing.T) {
		var want []db.MemberRow
		if err := f.d.EachMember(ctx, fullCourse, func(m db.MemberRow) error { want = append(want, m); return nil }); err != nil {
			t.Fatal(err)
		}
		got := jsonLines(t, "data/members.json", entries["data/members.json"])
		sawZero, sawUnicode := false, false
		for i, row := range got {
			var m memberRow
			if err := json.Unmarshal(row, &m); err != nil {
				t.Fatal(err)
			}
			w := want[i]
			if m.Email != w.Email || m.Name != w.Name || m.FamilyName != w.FamilyName || m.StudentIdentifier != w.StudentIdentifier || m.Period != w.PeriodName {
				t.Errorf("member %d = %+v, database has %+v", i, m, w)
			}
			sawZero = sawZero || strings.HasPrefix(m.StudentIdentifier, "0")
			sawUnicode = sawUnicode || strings.ContainsFunc(m.Name, func(r rune) bool { return r > 127 })
		}
		if !sawZero || !sawUnicode {
			t.Errorf("demo gave no leading-zero id (%v) or unicode name (%v) to check", sawZero, sawUnicode)
		}
	})

	t.Run("static file bytes are identical", func(t *testing.T) {
		for _, row := range jsonLines(t, "data/static_files.json", entries["data/static_files.json"]) {
			var sf staticFileRow
			if err := json.Unmarshal(row, &sf); err != nil {
				t.Fatal(err)
			}
			stored, err := f.d.StaticFileByPath(ctx, fullCourse, sf.Path)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := f.source(f.d.Queries, fullCourse).OpenFile(ctx, stored.File.ID)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := io.ReadAll(rc)
			rc.Close()
			if sf.ArchivePath == nil || !bytes.Equal(entries[*sf.ArchivePath], want) {
				t.Errorf("%s: archive bytes differ from the store's (%d bytes)", sf.Path, len(want))
			}
		}
	})

	t.Run("verify accepts it", func(t *testing.T) {
		got, err := Verify(bytes.NewReader(zipBytes), int64(len(zipBytes)))
		if err != nil {
			t.Fatal(err)
		}
		if got.Course.Code != m.Course.Code || len(got.Entries) != len(m.Entries) {
			t.Errorf("Verify returned %+v", got.Course)
		}
	})
}

func TestWrite_stdoutOnlyWithTheOption(t *testing.T) {
	f := newFixture(t, smallDemo())
	for _, include := range []bool{false, true} {
		zipBytes, _ := f.write(t, fullCourse, Options{IncludeStdout: include})
		entries, _ := unzip(t, zipBytes)
		for _, name := range []string{"data/build_results.json", "data/test_results.json"} {
			withText := 0
			for _, row := range jsonLines(t, name, entries[name]) {
				var r struct {
					StdoutBytes *int64  `json:"stdout_bytes"`
					Stdout      *string `json:"stdout"`
				}
				if err := json.Unmarshal(row, &r); err != nil {
					t.Fatal(err)
				}
				if r.StdoutBytes == nil {
					t.Fatalf("%s: row without stdout_bytes: %s", name, row)
				}
				if (r.Stdout != nil) != include {
					t.Fatalf("include=%v, %s row has stdout=%v", include, name, r.Stdout != nil)
				}
				if r.Stdout != nil && int64(len(*r.Stdout)) != *r.StdoutBytes {
					t.Errorf("%s: stdout is %d bytes, stdout_bytes says %d", name, len(*r.Stdout), *r.StdoutBytes)
				}
				if r.Stdout != nil && *r.Stdout != "" {
					withText++
				}
			}
			if include && withText == 0 {
				t.Errorf("%s: no stdout text at all with the option on", name)
			}
		}
		if _, err := Verify(bytes.NewReader(zipBytes), int64(len(zipBytes))); err != nil {
			t.Errorf("include=%v: %v", include, err)
		}
		if says := bytes.Contains(entries[ReadmeName], []byte("output (stdout): NOT included")); says == include {
			t.Errorf("include=%v but README.txt says NOT included=%v", include, says)
		}
	}
}

func TestWrite_withoutStaticFilesListsThemOnly(t *testing.T) {
	f := newFixture(t, smallDemo())
	zipBytes, _ := f.write(t, fullCourse, Options{IncludeStaticFiles: false})
	entries, names := unzip(t, zipBytes)
	for _, n := range names {
		if strings.HasPrefix(n, StaticDir) {
			t.Errorf("static entry %s written without the option", n)
		}
	}
	rows := jsonLines(t, "data/static_files.json", entries["data/static_files.json"])
	if len(rows) == 0 || !bytes.Contains(rows[0], []byte(`"archive_path":null`)) {
		t.Errorf("static_files.json should list the files with archive_path null: %s", rows)
	}
}

func TestWrite_emptyCourseHasEmptyArrays(t *testing.T) {
	f := newFixture(t, smallDemo())
	zipBytes, m := f.write(t, emptyCourse, Options{IncludeStdout: true, IncludeStaticFiles: true})
	entries, _ := unzip(t, zipBytes)
	for _, name := range DataFiles[2:] { // course and periods aside
		if name == "data/members.json" || name == "data/assignments.json" || name == "data/periods.json" {
			continue // the demo puts its instructor (and maybe periods) in the empty course
		}
		if string(entries[name]) != "[]\n" {
			t.Errorf("%s = %q, want []", name, entries[name])
		}
	}
	if len(jsonLines(t, "data/course.json", entries["data/course.json"])) != 1 {
		t.Error("course.json should hold the course")
	}
	if _, err := Verify(bytes.NewReader(zipBytes), int64(len(zipBytes))); err != nil {
		t.Errorf("verify empty course: %v (manifest %+v)", err, m.Course)
	}
}

func TestWrite_cancelStopsBetweenRows(t *testing.T) {
	f := newFixture(t, smallDemo())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var notes []string
	err := f.d.ReadTx(ctx, func(tx *db.Queries) error {
		_, err := Write(ctx, io.Discard, f.source(tx, fullCourse), Options{IncludeStdout: true}, func(done, total int64, note string) {
			notes = append(notes, note)
			if strings.HasPrefix(note, "Writing submissions") {
				cancel()
			}
		})
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	for _, n := range notes {
		if strings.HasPrefix(n, "Writing scores") {
			t.Errorf("kept writing after cancel: %q", n)
		}
	}
}

func TestWrite_progressNamesTheStageAndReachesTotal(t *testing.T) {
	f := newFixture(t, smallDemo())
	var last struct{ done, total int64 }
	var stages []string
	err := f.d.ReadTx(context.Background(), func(tx *db.Queries) error {
		_, err := Write(context.Background(), io.Discard, f.source(tx, fullCourse), Options{IncludeStaticFiles: true},
			func(done, total int64, note string) {
				if done < last.done || done > total {
					t.Errorf("progress went %d -> %d of %d", last.done, done, total)
				}
				last.done, last.total = done, total
				stage, _, _ := strings.Cut(note, " — ")
				if len(stages) == 0 || stages[len(stages)-1] != stage {
					stages = append(stages, stage)
				}
			})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if last.done != last.total || last.total == 0 {
		t.Errorf("ended at %d of %d", last.done, last.total)
	}
	if !slices.Contains(stages, "Writing test results") || !slices.Contains(stages, "Copying static files") {
		t.Errorf("stages = %v", stages)
	}
}

func TestEstimate_sumsStdoutAndStaticFiles(t *testing.T) {
	f := newFixture(t, smallDemo())
	ctx := context.Background()
	e, err := Estimate(ctx, f.d.Queries, fullCourse)
	if err != nil {
		t.Fatal(err)
	}
	var outputs, stdoutBytes int64
	count := func(n int64) {
		stdoutBytes += n
		if n > 0 {
			outputs++
		}
	}
	f.d.EachBuildResult(ctx, fullCourse, true, func(r db.BuildResultRow) error { count(int64(len(r.Stdout))); return nil })
	f.d.EachTestResult(ctx, fullCourse, true, func(r db.TestResultRow) error { count(int64(len(r.Stdout))); return nil })
	if e.Outputs != outputs || e.StdoutBytes != stdoutBytes || stdoutBytes == 0 {
		t.Errorf("estimate %d outputs %d bytes; counted %d outputs %d bytes", e.Outputs, e.StdoutBytes, outputs, stdoutBytes)
	}
	if e.StaticFiles == 0 || e.StaticBytes == 0 {
		t.Errorf("no static files in the estimate: %+v", e)
	}
	if !strings.HasPrefix(e.StdoutNote(), "adds about ") || !strings.Contains(e.StdoutNote(), " outputs") {
		t.Errorf("note = %q", e.StdoutNote())
	}
}

func TestFilename_isSafeEverywhere(t *testing.T) {
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	for _, tc := range []struct{ code, term, want string }{
		{"CS101", "Fall 2025", "CS101_Fall-2025_export_20260102-150405.zip"},
		{"CS 101/A", "", "CS-101-A_export_20260102-150405.zip"},
		{`..\..\etc`, "Spring:2026?", "etc_Spring-2026_export_20260102-150405.zip"},
		{"Ökonomie_1", "WS 25/26", "Ökonomie-1_WS-25-26_export_20260102-150405.zip"},
		{"", "", "course_export_20260102-150405.zip"},
		{"<>|*", "\x00", "course_export_20260102-150405.zip"},
	} {
		if got := Filename(tc.code, tc.term, at); got != tc.want {
			t.Errorf("Filename(%q, %q) = %q, want %q", tc.code, tc.term, got, tc.want)
		}
	}
}

func TestStaticEntryNames_cleanAndUnique(t *testing.T) {
	var n staticEntryNames
	for _, tc := range []struct {
		id         int64
		path, want string
	}{
		{1, "lectures/week1.pdf", "files/static/lectures/week1.pdf"},
		{2, "../../etc/passwd", "files/static/etc/passwd"},
		{3, "/abs/x.png", "files/static/abs/x.png"},
		{4, `win\dir\a:b.txt`, "files/static/win/dir/a_b.txt"},
		{5, "lectures/./week1.pdf", "files/static/_5/week1.pdf"}, // collides with 1
		{6, "..", "files/static/_6/file"},
		{7, "CON.txt", "files/static/_CON.txt"},
		{8, "_9/x", "files/static/_8/x"}, // may not take a fallback's name
		{9, "trailing. ", "files/static/trailing"},
	} {
		got := n.name(tc.id, tc.path)
		if got != tc.want {
			t.Errorf("name(%d, %q) = %q, want %q", tc.id, tc.path, got, tc.want)
		}
		if err := checkEntryName(got); err != nil {
			t.Errorf("name(%d, %q) = %q fails the verifier: %v", tc.id, tc.path, got, err)
		}
	}
}

// jsonLines checks the one-object-per-line layout of a data file and returns
// its rows.
func jsonLines(t testing.TB, name string, data []byte) [][]byte {
	t.Helper()
	if !json.Valid(data) {
		t.Fatalf("%s is not valid JSON", name)
	}
	if string(data) == "[]\n" {
		return nil
	}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) < 4 || string(lines[0]) != "[" || string(lines[len(lines)-2]) != "]" || len(lines[len(lines)-1]) != 0 {
		t.Fatalf("%s is not laid out [ / rows / ]: starts %q", name, data[:min(len(data), 40)])
	}
	rows := lines[1 : len(lines)-2]
	for i, row := range rows {
		if i < len(rows)-1 {
			if !bytes.HasSuffix(row, []byte(",")) {
				t.Fatalf("%s line %d does not end with a comma", name, i+2)
			}
			row = row[:len(row)-1]
		}
		if len(row) == 0 || row[0] != '{' || !json.Valid(row) {
			t.Fatalf("%s line %d is not one JSON object: %.80q", name, i+2, row)
		}
		rows[i] = row
	}
	return rows
}

func TestEstimator_reusesTheEstimateWhileFresh(t *testing.T) {
	f := newFixture(t, smallDemo())
	ctx := context.Background()
	now := testNow
	c := &Estimator{Now: func() time.Time { return now }}
	first, err := c.Estimate(ctx, f.d.Queries, fullCourse)
	if err != nil {
		t.Fatal(err)
	}
	// A static file added moves the data version: the next call recounts.
	if _, err := f.files.AddStatic(ctx, fullCourse, "late/notes.txt", strings.NewReader("twelve bytes")); err != nil {
		t.Fatal(err)
	}
	second, err := c.Estimate(ctx, f.d.Queries, fullCourse)
	if err != nil {
		t.Fatal(err)
	}
	if second.StaticFiles != first.StaticFiles+1 {
		t.Errorf("static files %d then %d: a new data version must recount", first.StaticFiles, second.StaticFiles)
	}
	// Same version: served from memory, even if the database says otherwise.
	c.byCourse[fullCourse] = cachedEstimate{version: c.byCourse[fullCourse].version, at: now, e: SizeEstimate{Outputs: -1}}
	if e, _ := c.Estimate(ctx, f.d.Queries, fullCourse); e.Outputs != -1 {
		t.Error("a fresh estimate of the same version was recomputed")
	}
	now = now.Add(2 * time.Minute)
	if e, _ := c.Estimate(ctx, f.d.Queries, fullCourse); e.Outputs != first.Outputs {
		t.Errorf("after MaxAge outputs = %d, want %d", e.Outputs, first.Outputs)
	}
}
