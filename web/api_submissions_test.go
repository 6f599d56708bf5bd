package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs/submissions"
)

// withAssignments gives the fixture's course assignments hw1 and hw2 (by
// key) and the other course a student of its own; it returns that student.
func (f *fixture) withAssignments() (otherStudent string) {
	f.t.Helper()
	ctx := context.Background()
	otherStudent = "other-student@test.edu"
	err := f.db.InTx(ctx, func(tx *db.Queries) error {
		for i, key := range []string{"hw1", "hw2"} {
			if _, err := tx.InsertAssignment(ctx, db.Assignment{CourseID: f.course, Name: "Homework " + key, Kind: db.KindHomework, Position: 10 + i, Points: 10, Key: key}); err != nil {
				return err
			}
		}
		id, err := tx.InsertUser(ctx, db.User{Email: otherStudent, Name: "Other", CreatedAt: time.Now()})
		if err != nil {
			return err
		}
		_, err = tx.InsertMembership(ctx, db.Membership{CourseID: f.other, UserID: id, Role: db.RoleStudent, CreatedAt: time.Now()})
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return otherStudent
}

func subLine(id, assignment, student, extra string) string {
	return fmt.Sprintf(`{"id":%q,"assignment":%q,"student":%q,"commit":"abc123","state":"passed","submitted_at":"2026-11-01T10:00:00Z"%s}`,
		id, assignment, student, extra) + "\n"
}

// postSubmissions sends body as NDJSON (or ctype) and decodes the answer.
func postSubmissions(t *testing.T, c *client, course int64, ctype, body string) (int, submissions.Result, string) {
	t.Helper()
	res, b := c.do("POST", fmt.Sprintf("/api/courses/%d/submissions", course), strings.NewReader(body), map[string]string{"Content-Type": ctype})
	var r submissions.Result
	json.Unmarshal([]byte(b), &r)
	return res.StatusCode, r, b
}

func TestAPISubmissions(t *testing.T) {
	f := newFixture(t)
	otherStudent := f.withAssignments()
	admin := f.apiClient(asAdmin)
	full := `,"build":{"passed":true,"stdout":"ok"},"tests":[{"name":"test_add","passed":true,"message":"","stdout":"2"}],"score":0.85,"late":false`
	body := subLine("ext-1", "hw1", asStudent, full) + subLine("ext-2", "hw9", asStudent, "") + `{"id":"x","colour":"red"}` + "\n" +
		subLine("ext-3", "hw1", asTeacher, "") + subLine("ext-4", "hw1", otherStudent, "") + subLine("ext-5", "hw2", strings.ToUpper(asStudent), "")
	before := f.version(f.course)
	st, r, raw := postSubmissions(t, admin, f.course, "application/x-ndjson", body)
	if st != http.StatusOK || r.Accepted != 2 || len(r.Rejected) != 4 {
		t.Fatalf("status %d: %s", st, raw)
	}
	for i, want := range []string{
		fmt.Sprintf("PUT /api/courses/%d/assignments/hw9", f.course), `unknown field "colour"`, "not as a student", "neither the email",
	} {
		if r.Rejected[i].Line != i+2 || !strings.Contains(r.Rejected[i].Error, want) {
			t.Errorf("rejected[%d] = %+v, want line %d saying %q", i, r.Rejected[i], i+2, want)
		}
	}
	// One batch, one bulk transaction: the version moves once, not per row.
	if after := f.version(f.course); after != before+1 {
		t.Errorf("data_version %d → %d, want one step", before, after)
	}
	counts, _ := f.db.CountArchiveRows(context.Background(), f.course)

	// The same body again replaces: no new rows; jsonl is accepted too.
	st, r, raw = postSubmissions(t, admin, f.course, "application/jsonl; charset=utf-8", body)
	if st != http.StatusOK || r.Accepted != 2 || r.Replaced != 2 {
		t.Fatalf("again: %d %s", st, raw)
	}
	if again, _ := f.db.CountArchiveRows(context.Background(), f.course); again != counts {
		t.Errorf("rows after sending again %+v, before %+v", again, counts)
	}
	events, _ := f.db.AuditEvents(context.Background(), f.course, 5)
	if len(events) < 2 || events[0].Action != "submissions.ingest" || events[0].Detail != "2 accepted (2 replaced), 4 rejected" ||
		events[1].Detail != "2 accepted (0 replaced), 4 rejected" {
		t.Errorf("audit %+v", events[:min(2, len(events))])
	}

	token, _ := f.courseToken(f.course, "Autograder")
	for name, tt := range map[string]struct {
		c      *client
		course int64
		ctype  string
		body   string
		status int
		msg    string
	}{
		"course token":            {f.tokenClient(token), f.course, "application/x-ndjson", subLine("tok-1", "hw2", asStudent, ""), ok, ""},
		"course token elsewhere":  {f.tokenClient(token), f.other, "application/x-ndjson", subLine("tok-2", "hw2", asStudent, ""), nf, ""},
		"wrong content type":      {admin, f.course, "application/json", subLine("a", "hw1", asStudent, ""), http.StatusUnsupportedMediaType, "Content-Type: application/x-ndjson"},
		"no content type":         {admin, f.course, "", subLine("a", "hw1", asStudent, ""), http.StatusUnsupportedMediaType, "NDJSON"},
		"json array":              {admin, f.course, "application/x-ndjson", "[" + subLine("a", "hw1", asStudent, "") + "]", http.StatusBadRequest, "The body is a JSON array"},
		"html":                    {admin, f.course, "application/x-ndjson", "<html><body>502 Bad Gateway</body></html>", http.StatusBadRequest, "HTML"},
		"binary":                  {admin, f.course, "application/x-ndjson", "\x89PNG\r\n\x1a\n\x00\x00", http.StatusBadRequest, "binary"},
		"empty":                   {admin, f.course, "application/x-ndjson", "", http.StatusBadRequest, "The body is empty"},
		"another course is 404":   {admin, f.other, "application/x-ndjson", subLine("a", "hw1", asStudent, ""), nf, ""},
		"teacher is 403":          {f.apiClient(asTeacher), f.course, "application/x-ndjson", subLine("a", "hw1", asStudent, ""), forb, ""},
		"TA is 403":               {f.apiClient(asTA), f.course, "application/x-ndjson", subLine("a", "hw1", asStudent, ""), forb, ""},
		"other teacher is 404":    {f.apiClient(asOtherTeacher), f.course, "application/x-ndjson", subLine("a", "hw1", asStudent, ""), nf, ""},
		"site admin may":          {f.apiClient(asSiteAdmin), f.course, "application/x-ndjson", subLine("site-1", "hw2", asStudent, ""), ok, ""},
		"other course's own work": {f.apiClient(asOtherTeacher), f.other, "application/x-ndjson", subLine("a", "hw1", otherStudent, ""), forb, ""},
	} {
		t.Run(name, func(t *testing.T) {
			v := f.version(f.course)
			st, _, body := postSubmissions(t, tt.c, tt.course, tt.ctype, tt.body)
			var e struct{ Error string }
			json.Unmarshal([]byte(body), &e)
			if st != tt.status || !strings.Contains(e.Error, tt.msg) {
				t.Errorf("status %d, want %d: %s", st, tt.status, body)
			}
			if st != ok && f.version(f.course) != v {
				t.Error("a refused request moved the data version")
			}
		})
	}
}

// The limits are the server's: a line over --ingest-max-line is rejected by
// number and the next line is kept; a body over --ingest-max-body is 413.
func TestAPISubmissions_limits(t *testing.T) {
	f := newFixture(t)
	f.withAssignments()
	f.restart(Config{Ingest: submissions.Limits{MaxLine: 4 << 10, MaxStdout: 1 << 10}, IngestMaxBody: 64 << 10})
	admin := f.apiClient(asAdmin)
	long := subLine("long", "hw1", asStudent, `,"build":{"passed":true,"stdout":"`+strings.Repeat("x", 8<<10)+`"}`)
	st, r, raw := postSubmissions(t, admin, f.course, "application/x-ndjson", long+subLine("next", "hw1", asStudent, ""))
	if st != ok || r.Accepted != 1 || len(r.Rejected) != 1 || r.Rejected[0].Line != 1 || !strings.Contains(r.Rejected[0].Error, "--ingest-max-line") {
		t.Errorf("long line: %d %s", st, raw)
	}
	huge := strings.Repeat(subLine("many", "hw1", asStudent, ""), 1000)
	st, _, raw = postSubmissions(t, admin, f.course, "application/x-ndjson", huge)
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(raw, "--ingest-max-body") {
		t.Errorf("huge body: %d %s", st, raw)
	}
}
