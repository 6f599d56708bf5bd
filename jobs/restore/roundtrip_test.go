package restore

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"coursevault/db/demo"
	"coursevault/jobs/archive"
)

// The proof that archives lose nothing: export a demo course, import it into
// a fresh instance, export that again; the data files must be equal after
// a canonical mapping of ids, and every static file's bytes identical.
func TestImport_roundTripLosesNothing(t *testing.T) {
	src := demoInstance(t, demo.Defaults())
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
		})
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
