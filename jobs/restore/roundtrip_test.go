package restore

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"coursevault/db"
	"coursevault/db/demo"
	"coursevault/jobs/archive"
)

// The proof that archives lose nothing: export a demo course, import it into
// a fresh instance, export that again; the data files must be equal after
// a canonical mapping of ids, and every static file's bytes identical.
func TestImport_roundTripLosesNothing(t *testing.T) {
	src := demoInstance(t, demo.Defaults())
	// Outside keys, as the assignments API and the autograder set them: every
	// assignment of the course with periods but the last has a key, and some
	// submissions have the autograder's id.
	src.giveOutsideKeys(t, coursePeriods)
	for _, tc := range []struct {
		name     string
		courseID int64
		check    func(t *testing.T, r Result)
	}{
		{"a course with periods", coursePeriods, func(t *testing.T, r Result) {
			if r.Periods == 0 || r.Submissions == 0 || r.TestResults == 0 || r.StaticFiles == 0 {
				t.Errorf("expected periods, work and files: %+v", r)
			}
		}},
		{"a course without periods", courseNoPeriods, func(t *testing.T, r Result) {
			if r.Periods != 0 || r.Scores == 0 {
				t.Errorf("expected no periods and some scores: %+v", r)
			}
		}},
		{"the empty course", courseEmpty, func(t *testing.T, r Result) {
			if r.Assignments != 0 || r.Members == 0 {
				t.Errorf("expected staff and no assignments: %+v", r)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := src.export(t, tc.courseID)
			dst := freshInstance(t)
			res, err := dst.importArchive(first, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, res)
			if res.UsersMatched != 0 || res.UsersCreated != res.Members {
				t.Errorf("a fresh instance should create every member: %+v", res)
			}
			second := dst.export(t, res.CourseID)

			a, b := canonical(t, first), canonical(t, second)
			for _, name := range archive.DataFiles {
				if !slices.Equal(a[name], b[name]) {
					t.Errorf("%s differs after the round trip:\n%s", name, firstDifference(a[name], b[name]))
				}
			}
			// Static bytes: same paths, same bytes (canonical() compared
			// hashes; compare the bytes themselves as well).
			ua, ub := unpack(t, first), unpack(t, second)
			var static int
			for _, name := range ua.names {
				if strings.HasPrefix(name, archive.StaticDir) {
					static++
					if !bytes.Equal(ua.data[name], ub.data[name]) {
						t.Errorf("static file %s: bytes differ after the round trip", name)
					}
				}
			}
			if static != int(res.StaticFiles) {
				t.Errorf("%d static entries, imported %d", static, res.StaticFiles)
			}
			if got, err := dst.d.CourseByID(context.Background(), res.CourseID); err != nil || got.Code != ua.manifest.Course.Code {
				t.Errorf("course = %+v, %v; want code %s", got, err, ua.manifest.Course.Code)
			}
			if tc.courseID == coursePeriods {
				if a, err := dst.d.AssignmentByKey(context.Background(), res.CourseID, "hw1"); err != nil || a.Key != "hw1" {
					t.Errorf("imported assignment hw1: %+v, %v", a, err)
				}
				for _, want := range []string{`"key":null`, `"key":"hw1"`} {
					if !bytes.Contains(ub.data["data/assignments.json"], []byte(want)) {
						t.Errorf("data/assignments.json after the round trip lacks %s", want)
					}
				}
				for _, want := range []string{`"external_id":null`, `"external_id":"ext-1"`} {
					if !bytes.Contains(ub.data["data/submissions.json"], []byte(want)) {
						t.Errorf("data/submissions.json after the round trip lacks %s", want)
					}
				}
			}
		})
	}
}

// giveOutsideKeys gives every assignment of course but the last a key
// (hw1, hw2, ...) and adds three submissions with autograder ids (ext-1..3).
func (in *instance) giveOutsideKeys(t testing.TB, course int64) {
	t.Helper()
	ctx := context.Background()
	as, err := in.d.Assignments(ctx, course)
	if err != nil || len(as) < 2 {
		t.Fatalf("assignments: %d, %v", len(as), err)
	}
	var subs []db.Submission
	in.d.EachSubmission(ctx, course, func(s db.Submission) error {
		if len(subs) < 3 {
			subs = append(subs, s)
		}
		return nil
	})
	err = in.d.InTx(ctx, func(tx *db.Queries) error {
		for i, a := range as[:len(as)-1] {
			a.Key = fmt.Sprintf("hw%d", i+1)
			if err := tx.UpdateAssignment(ctx, a); err != nil {
				return err
			}
		}
		ins, err := tx.PrepareInsertSubmission(ctx)
		if err != nil {
			return err
		}
		defer ins.Close()
		for i, s := range subs {
			s.ExternalID = fmt.Sprintf("ext-%d", i+1)
			if _, err := ins.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// formatOne rewrites an archive as format 1 had it: no outside keys.
func formatOne(t testing.TB, b []byte) []byte {
	t.Helper()
	u := unpack(t, b)
	u.manifest.FormatVersion = 1
	for name, field := range map[string]string{"data/assignments.json": "key", "data/submissions.json": "external_id"} {
		re := regexp.MustCompile(`"` + field + `":(null|"[^"]*"),`)
		u.set(name, re.ReplaceAll(u.data[name], nil))
	}
	return u.pack(t)
}

// An archive made before outside keys (format 1) still imports, without them.
func TestImport_formatOneArchiveImportsWithoutKeys(t *testing.T) {
	src := demoInstance(t, tinyDemo())
	src.giveOutsideKeys(t, coursePeriods)
	old := formatOne(t, src.export(t, coursePeriods))
	if u := unpack(t, old); bytes.Contains(u.data["data/assignments.json"], []byte(`"key"`)) || u.manifest.FormatVersion != 1 {
		t.Fatal("formatOne left the keys in")
	}
	dst := freshInstance(t)
	res, err := dst.importArchive(old, Options{})
	if err != nil {
		t.Fatal(err)
	}
	as, err := dst.d.Assignments(context.Background(), res.CourseID)
	if err != nil || len(as) == 0 || res.Submissions == 0 {
		t.Fatalf("imported %+v: %d assignments, %v", res, len(as), err)
	}
	for _, a := range as {
		if a.Key != "" {
			t.Fatalf("assignment %q has key %q from a format 1 archive", a.Name, a.Key)
		}
	}
	if again := dst.export(t, res.CourseID); bytes.Contains(unpack(t, again).data["data/assignments.json"], []byte(`"key":"`)) {
		t.Fatal("a key appeared from nowhere")
	}
}

// Two assignments with the same key cannot both be imported: the archive is
// refused, naming the row and field.
func TestImport_refusesADuplicateKey(t *testing.T) {
	src := demoInstance(t, tinyDemo())
	src.giveOutsideKeys(t, coursePeriods)
	u := unpack(t, src.export(t, coursePeriods))
	u.editLine(t, "data/assignments.json", 3, func(line string) string { return strings.Replace(line, `"key":"hw2"`, `"key":"hw1"`, 1) })
	_, err := freshInstance(t).importArchive(u.pack(t), Options{})
	if err == nil || !strings.Contains(err.Error(), `field "key": key "hw1" appears twice`) {
		t.Fatalf("duplicate key: %v", err)
	}
}

// Importing into an instance that already knows the people matches them by
// email (any case) instead of creating them, and keeps their accounts as they are.
func TestImport_matchesExistingUsersByEmail(t *testing.T) {
	in := demoInstance(t, tinyDemo())
	b := in.export(t, coursePeriods)
	u := unpack(t, b)
	u.editLine(t, "data/members.json", 2, func(line string) string {
		return strings.Replace(line, "@demo.test", "@DEMO.test", 1)
	})
	res, err := in.importArchive(u.pack(t), Options{Code: "CS101-COPY"})
	if err != nil {
		t.Fatal(err)
	}
	if res.UsersCreated != 0 || res.UsersMatched != res.Members || res.Code != "CS101-COPY" {
		t.Fatalf("result %+v; want every member matched", res)
	}
	admin, err := in.d.UserByEmail(context.Background(), "instructor@demo.test")
	if err != nil || admin.Disabled || admin.PasswordHash == "" && tinyDemo().PasswordHash != "" {
		t.Fatalf("existing user changed: %+v, %v", admin, err)
	}
}

func TestImport_unknownMembersAreCreatedDisabledWithoutPassword(t *testing.T) {
	src := demoInstance(t, tinyDemo())
	dst := freshInstance(t)
	res, err := dst.importArchive(src.export(t, coursePeriods), Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := dst.d.UserByEmail(context.Background(), "student@demo.test")
	if err != nil {
		t.Fatal(err)
	}
	if !u.Disabled || u.PasswordHash != "" || u.SiteAdmin || !u.CreatedAt.Equal(testNow) {
		t.Fatalf("imported user %+v; want disabled, no password, not admin, created now", u)
	}
	if res.UsersCreated == 0 {
		t.Fatalf("result %+v", res)
	}
}

func firstDifference(a, b []string) string {
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return "before: " + truncate(x) + "\nafter:  " + truncate(y)
		}
	}
	return ""
}

func truncate(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}
