package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/web/auth"
)

// rosterForm builds the People tab's roster upload form.
func rosterForm(t *testing.T, csrf, filename, content string, removeMissing bool) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("_csrf", csrf)
	if removeMissing {
		w.WriteField("remove_missing", "1")
	}
	fw, err := w.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	w.Close()
	return w.FormDataContentType(), &b
}

func (c *client) uploadRoster(t *testing.T, content string, removeMissing bool) (*http.Response, string) {
	t.Helper()
	ctype, form := rosterForm(t, c.csrf, "roster.csv", content, removeMissing)
	return c.do("POST", fmt.Sprintf("/courses/%d/people/roster", c.f.course), form, map[string]string{"Content-Type": ctype})
}

func (f *fixture) version(courseID int64) int64 {
	f.t.Helper()
	co, err := f.db.CourseByID(context.Background(), courseID)
	if err != nil {
		f.t.Fatal(err)
	}
	return co.DataVersion
}

func (f *fixture) memberEmails() string {
	f.t.Helper()
	ms, err := f.db.CourseMembers(context.Background(), f.course)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Email+"/"+m.Role+"/"+m.PeriodName+"/"+m.StudentIdentifier)
	}
	return strings.Join(out, " ")
}

var uploadField = regexp.MustCompile(`name="upload" value="([0-9a-f]+)"`)

func TestPeople_badLineShownThenFixedFilePreviewedAndApplied(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	people := fmt.Sprintf("/courses/%d/people", f.course)
	res, body := c.get(people)
	if res.StatusCode != ok || !strings.Contains(body, `aria-current="page">People`) || !strings.Contains(body, asTeacher) {
		t.Fatalf("People tab: %d", res.StatusCode)
	}
	before, members := f.version(f.course), f.memberEmails()

	bad := "Email,Name,Role,Period,Student ID\r\nada@school.edu,\"Lovelace, Ada\",student,P1,007\r\nbob@school,Bob,student,P1,008\r\n"
	res, body = c.uploadRoster(t, bad, false)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `&#34;bob@school&#34; is not an email address`) ||
		!strings.Contains(body, "<td>3</td><td class=\"code\">email</td>") || strings.Contains(body, `id="apply-form"`) {
		t.Fatalf("bad file: %d %s", res.StatusCode, body)
	}
	if f.version(f.course) != before || f.memberEmails() != members {
		t.Fatal("a preview with a bad line wrote something")
	}

	good := strings.Replace(bad, "bob@school,", "bob@school.edu,", 1)
	res, body = c.uploadRoster(t, good, false)
	m := uploadField.FindStringSubmatch(body)
	if res.StatusCode != ok || m == nil || !strings.Contains(body, "To add (2)") || !strings.Contains(body, "New periods: P1") {
		t.Fatalf("good file preview: %d %s", res.StatusCode, body)
	}
	if f.version(f.course) != before {
		t.Fatal("the preview wrote something")
	}
	res, _ = c.post(people+"/roster/apply", url.Values{"upload": {m[1]}})
	if res.StatusCode != see {
		t.Fatalf("apply: %d", res.StatusCode)
	}
	res, body = c.get(people)
	if !strings.Contains(body, "Roster applied: added 2, updated 0, removed 0, unchanged 0.") || !strings.Contains(body, "Ada Lovelace") ||
		!strings.Contains(body, "bob@school.edu") {
		t.Fatalf("after apply: %s", body)
	}
	if f.version(f.course) == before {
		t.Error("the apply did not move the data version")
	}
	// The applied upload is gone: applying it again is refused.
	if res, _ = c.post(people+"/roster/apply", url.Values{"upload": {m[1]}}); res.StatusCode != http.StatusGone {
		t.Errorf("second apply of one preview: %d", res.StatusCode)
	}
	events, _ := f.db.AuditEvents(context.Background(), f.course, 10)
	if len(events) == 0 || events[0].Action != "roster.apply" || events[0].Detail != "added 2, updated 0, removed 0, unchanged 0" {
		t.Errorf("audit: %+v", events)
	}
	// The performance book lists the new students (the course has no
	// assignments yet, so the page shows an empty book; its API lists them).
	if _, body = c.get(fmt.Sprintf("/api/courses/%d/performance", f.course)); !strings.Contains(body, "Lovelace") {
		t.Errorf("the performance book does not list the roster's students: %s", body)
	}
}

func TestPeople_applyUsesOnlyTheUploadersOwnPreview(t *testing.T) {
	f := newFixture(t)
	admin := f.as(asAdmin)
	people := fmt.Sprintf("/courses/%d/people", f.course)
	admin.get(people)
	_, body := admin.uploadRoster(t, "email\nnew@school.edu\n", false)
	token := uploadField.FindStringSubmatch(body)[1]
	site := f.as(asSiteAdmin)
	site.get(people)
	if res, _ := site.post(people+"/roster/apply", url.Values{"upload": {token}}); res.StatusCode != http.StatusGone {
		t.Errorf("someone else's preview: %d", res.StatusCode)
	}
	if res, _ := admin.post(people+"/roster/apply", url.Values{"upload": {"0123456789abcdef0123456789abcdef"}}); res.StatusCode != http.StatusGone {
		t.Errorf("unknown upload: %d", res.StatusCode)
	}
	if strings.Contains(f.memberEmails(), "new@school.edu") {
		t.Error("a refused apply wrote")
	}
}

func TestPeople_removeMissingPreviewAndWholeFileRefusals(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	c.get(fmt.Sprintf("/courses/%d/people", f.course))
	_, body := c.uploadRoster(t, "email\nnew@school.edu\n", true)
	if !strings.Contains(body, "To remove (1)") || !strings.Contains(body, asStudent) || strings.Contains(body, "<td class=\"code\">"+asTeacher) ||
		!strings.Contains(body, "Only students missing from the file are removed") {
		t.Errorf("remove-missing preview: %s", body)
	}
	_, body = c.uploadRoster(t, "email\nnew@school.edu\n", false)
	if strings.Contains(body, "To remove") {
		t.Error("removals listed without the box ticked")
	}
	res, body := c.uploadRoster(t, "email\n"+strings.Repeat("x", 10<<20), false)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "The file is larger than 10 MiB.") {
		t.Errorf("too large: %d %s", res.StatusCode, regexp.MustCompile(`id="roster-error">[^<]*`).FindString(body))
	}
	res, body = c.uploadRoster(t, "name,role\nAnn,student\n", false)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "The roster file has no email column") || !strings.Contains(body, `role="alert" id="roster-error"`) {
		t.Errorf("no email column: %d", res.StatusCode)
	}
}

func TestPeople_addChangeRemoveOnePerson(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.as(asAdmin)
	people := fmt.Sprintf("/courses/%d/people", f.course)
	c.get(people)

	res, body := c.post(people, url.Values{"email": {"not an email"}, "name": {"Kate J"}, "role": {"teacher"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "That is not an email address.") || !strings.Contains(body, `value="Kate J"`) {
		t.Fatalf("bad email: %d", res.StatusCode)
	}
	res, body = c.post(people, url.Values{"email": {asTeacher}, "role": {"student"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "already a member") {
		t.Fatalf("a member again: %d", res.StatusCode)
	}
	res, _ = c.post(people, url.Values{"email": {"Kate@School.edu"}, "name": {"Katherine Johnson"}, "role": {"ta"}, "period": {"Lab"}, "student_id": {"0042"}})
	if res.StatusCode != see || !strings.Contains(f.memberEmails(), "kate@school.edu/ta/Lab/0042") {
		t.Fatalf("add: %d %s", res.StatusCode, f.memberEmails())
	}
	u, err := f.db.UserByEmail(ctx, "kate@school.edu")
	if err != nil || u.PasswordHash != "" || u.FamilyName != "Johnson" {
		t.Fatalf("new user %+v %v", u, err)
	}
	res, body = c.post(people, url.Values{"email": {"eve@school.edu"}, "role": {"student"}, "student_id": {"0042"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "student id 0042 belongs to Katherine Johnson") {
		t.Fatalf("taken student id: %d", res.StatusCode)
	}

	// Change inline: htmx gets the row back; a plain form redirects.
	row := fmt.Sprintf("%s/%d", people, u.ID)
	before := f.version(f.course)
	res, body = c.do("POST", row, strings.NewReader("role=student&period="), map[string]string{
		"HX-Request": "true", "X-CSRF-Token": c.csrf, "Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != ok || !strings.HasPrefix(strings.TrimSpace(body), fmt.Sprintf(`<tr id="member-%d"`, u.ID)) ||
		!strings.Contains(f.memberEmails(), "kate@school.edu/student//0042") || f.version(f.course) == before {
		t.Fatalf("change: %d %s", res.StatusCode, body)
	}
	if res, _ = c.post(row, url.Values{"role": {"wizard"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown role: %d", res.StatusCode)
	}
	if res, _ = c.post(row, url.Values{"role": {"ta"}, "period": {"Nope"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown period: %d", res.StatusCode)
	}
	if res, _ = c.post(fmt.Sprintf("%s/%d", people, f.users[asAdmin]), url.Values{"role": {"student"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("demote yourself: %d", res.StatusCode)
	}
	if res, _ = c.post(fmt.Sprintf("%s/%d", people, f.users[asOtherTeacher]), url.Values{"role": {"ta"}}); res.StatusCode != nf {
		t.Errorf("a member of another course: %d", res.StatusCode)
	}

	// Remove: a confirmation page first, never yourself.
	res, body = c.post(row+"/remove", nil)
	if res.StatusCode != ok || !strings.Contains(body, "Remove Katherine Johnson?") || !strings.Contains(f.memberEmails(), "kate@") {
		t.Fatalf("remove asks first: %d", res.StatusCode)
	}
	if res, _ = c.post(row+"/remove", url.Values{"confirm": {"1"}}); res.StatusCode != see || strings.Contains(f.memberEmails(), "kate@") {
		t.Fatalf("remove: %d", res.StatusCode)
	}
	if res, _ = c.post(fmt.Sprintf("%s/%d/remove", people, f.users[asAdmin]), url.Values{"confirm": {"1"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("remove yourself: %d", res.StatusCode)
	}
	if _, body = c.get(people); strings.Contains(body, fmt.Sprintf(`action="%s/%d/remove"`, people, f.users[asAdmin])) {
		t.Error("the page offers to remove yourself")
	}
	events, _ := f.db.AuditEvents(ctx, f.course, 10)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, " ") != "member.remove member.change member.add" {
		t.Errorf("audit %v", actions)
	}
}

// apiClient returns a client that calls the API with a personal token of email.
func (f *fixture) apiClient(email string) *client {
	f.t.Helper()
	ctx := context.Background()
	token, hash := auth.NewAccessToken()
	if err := f.db.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertAccessToken(ctx, f.users[email], hash, "test", time.Now())
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	c := f.client()
	c.header = map[string]string{"Authorization": "Bearer " + token}
	return c
}

type rosterAnswer struct {
	Added, Updated, Removed, Unchanged int
	Errors                             []struct {
		Line            int
		Column, Message string
	}
}

func TestAPIRoster(t *testing.T) {
	f := newFixture(t)
	admin := f.apiClient(asAdmin)
	put := func(c *client, course int64, query, ctype, body string) (int, rosterAnswer, string) {
		t.Helper()
		res, b := c.do("PUT", fmt.Sprintf("/api/courses/%d/roster%s", course, query), strings.NewReader(body), map[string]string{"Content-Type": ctype})
		var a rosterAnswer
		json.Unmarshal([]byte(b), &a)
		return res.StatusCode, a, b
	}
	const file = "email,role,section,student id\nada@school.edu,student,P1,007\nbob@school.edu,ta,,\n"
	before, members := f.version(f.course), f.memberEmails()

	st, a, body := put(admin, f.course, "?dry_run=1", "text/csv", file)
	if st != ok || a.Added != 2 || a.Errors == nil || f.version(f.course) != before || !strings.Contains(body, `"errors":[]`) {
		t.Fatalf("dry run: %d %s", st, body)
	}
	st, a, body = put(admin, f.course, "", "text/csv; charset=utf-8", "email\nada@school.edu\nnope\n")
	if st != http.StatusUnprocessableEntity || len(a.Errors) != 1 || a.Errors[0].Line != 3 || a.Errors[0].Column != "email" ||
		f.version(f.course) != before || f.memberEmails() != members {
		t.Fatalf("bad line: %d %s", st, body)
	}
	st, a, body = put(admin, f.course, "", "text/csv", file)
	if st != ok || a.Added != 2 || f.version(f.course) == before {
		t.Fatalf("apply: %d %s", st, body)
	}
	after := f.version(f.course)
	if st, a, _ = put(admin, f.course, "", "text/csv", file); st != ok || a.Unchanged != 2 || a.Added != 0 || f.version(f.course) != after {
		t.Fatalf("same file again: %d %+v", st, a)
	}
	st, a, _ = put(admin, f.course, "?remove_missing=1", "text/csv", "email,role\nada@school.edu,student\n")
	if st != ok || a.Removed != 1 || strings.Contains(f.memberEmails(), asStudent) || !strings.Contains(f.memberEmails(), "bob@school.edu") {
		t.Fatalf("remove missing: %d %+v %s", st, a, f.memberEmails())
	}

	for name, tt := range map[string]struct {
		c      *client
		course int64
		ctype  string
		body   string
		status int
		msg    string
	}{
		"wrong content type":    {admin, f.course, "application/json", `{}`, http.StatusUnsupportedMediaType, "Content-Type: text/csv"},
		"no email column":       {admin, f.course, "text/csv", "name\nAnn\n", http.StatusBadRequest, "no email column"},
		"too large":             {admin, f.course, "text/csv", "email\n" + strings.Repeat("x", 10<<20), http.StatusRequestEntityTooLarge, "larger than 10 MiB"},
		"another course is 404": {admin, f.other, "text/csv", file, nf, ""},
		"teacher is 403":        {f.apiClient(asTeacher), f.course, "text/csv", file, forb, ""},
	} {
		t.Run(name, func(t *testing.T) {
			st, _, body := put(tt.c, tt.course, "", tt.ctype, tt.body)
			var e struct{ Error string }
			if st != tt.status || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, tt.msg) {
				t.Errorf("status %d, want %d: %s", st, tt.status, body)
			}
		})
	}
	events, _ := f.db.AuditEvents(context.Background(), f.course, 10)
	if len(events) < 3 || events[0].Action != "roster.apply" || events[0].Detail != "added 0, updated 0, removed 1, unchanged 1" {
		t.Errorf("audit %+v", events[0])
	}
}

func TestAPIMembers(t *testing.T) {
	f := newFixture(t)
	res, body := f.apiClient(asTA).get(fmt.Sprintf("/api/courses/%d/members", f.course))
	var ms []map[string]string
	if res.StatusCode != ok || json.Unmarshal([]byte(body), &ms) != nil || len(ms) != 5 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if ms[0]["email"] != asAdmin && ms[0]["email"] != asDisabled || ms[0]["role"] != "admin" || ms[len(ms)-1]["email"] != asStudent {
		t.Errorf("order or fields: %v", ms)
	}
	if _, ok := ms[0]["student_id"]; !ok {
		t.Error("no student_id field")
	}
	if res, _ := f.apiClient(asOtherTeacher).get(fmt.Sprintf("/api/courses/%d/members", f.course)); res.StatusCode != nf {
		t.Errorf("another course's teacher: %d", res.StatusCode)
	}
}
