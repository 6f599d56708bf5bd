package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"coursevault/db"
	"coursevault/jobs/exports"
)

func TestScheduleForm_savesTheCoursesScheduleAndShowsTheNextRun(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	tab := fmt.Sprintf("/courses/%d/exports", f.course)
	_, body := c.get(tab)
	for _, want := range []string{`<label for="schedule-form-frequency">Make an archive</label>`, `<label for="schedule-form-time">Time`,
		`<label for="schedule-form-keep">Keep the last`, "Like the site default (Off)", "Next run: none, the schedule is off."} {
		if !strings.Contains(body, want) {
			t.Errorf("Exports tab lacks %q", want)
		}
	}
	res, _ := c.post(tab+"/schedule", url.Values{"frequency": {"weekly"}, "day": {"3"}, "time": {"04:30"}, "keep": {"5"}, "include_static": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d", res.StatusCode)
	}
	_, body = c.get(tab)
	if !strings.Contains(body, "Schedule saved. Next run: Wed ") || !strings.Contains(body, "04:30 UTC") {
		t.Errorf("no notice with the next run (a Wednesday at 04:30) after saving")
	}
	if !strings.Contains(body, `<option value="weekly" selected>`) || !strings.Contains(body, `<option value="3" selected>`) || !strings.Contains(body, `value="5"`) {
		t.Errorf("the form does not show the saved schedule")
	}
	b, err := f.db.CourseBackup(context.Background(), f.course)
	if err != nil || !b.Override || b.Schedule.Frequency != db.BackupWeekly || b.Schedule.Keep != 5 || b.NextRunAt == nil ||
		b.NextRunAt.Weekday() != time.Wednesday {
		t.Errorf("stored schedule %+v, %v", b, err)
	}
	if got := auditActions(t, f, f.course); !strings.Contains(got, "backup.schedule") {
		t.Errorf("schedule change not audited: %s", got)
	}
	// htmx gets the form back with the notice; back to the default.
	res, body = c.do("POST", tab+"/schedule", strings.NewReader(url.Values{"_csrf": {c.csrf}, "frequency": {"default"}}.Encode()),
		map[string]string{"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(body), `<form id="schedule-form"`) ||
		!strings.Contains(body, `role="status">Schedule saved.`) || !strings.Contains(body, `<option value="default" selected>`) {
		t.Errorf("htmx save: %d %.300s", res.StatusCode, body)
	}
}

func TestScheduleForm_badInputIsShownAtTheFieldWithTheInputKept(t *testing.T) {
	f := newFixture(t)
	c := f.as(asAdmin)
	tab := fmt.Sprintf("/courses/%d/exports", f.course)
	c.get(tab)
	tests := []struct {
		name, field, value string
		form               url.Values
	}{
		{"a time past 23:59", "time", "25:00", url.Values{"frequency": {"daily"}, "time": {"25:00"}, "keep": {"7"}}},
		{"keep zero", "keep", "0", url.Values{"frequency": {"daily"}, "time": {"02:00"}, "keep": {"0"}}},
		{"an unknown frequency", "frequency", "", url.Values{"frequency": {"hourly"}, "time": {"02:00"}}},
		{"weekly on no day", "day", "", url.Values{"frequency": {"weekly"}, "day": {"9"}, "time": {"02:00"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := c.post(tab+"/schedule", tt.form)
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", res.StatusCode)
			}
			id := "schedule-form-" + tt.field
			if !strings.Contains(body, `id="`+id+`-error" role="alert"`) || !strings.Contains(body, `aria-describedby="`+id+`-error"`) {
				t.Errorf("no error at the %s field", tt.field)
			}
			if tt.value != "" && !strings.Contains(body, `value="`+tt.value+`"`) {
				t.Errorf("the input %q was not kept", tt.value)
			}
		})
	}
	if b, _ := f.db.CourseBackup(context.Background(), f.course); b.Override {
		t.Errorf("a refused form changed the schedule: %+v", b)
	}
}

func TestExportsTab_marksScheduledArchivesAndListsSkippedRuns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, _, err := f.srv.exports.Request(ctx, exports.Request{CourseID: f.course, Kind: db.ExportArchive, IncludeStatic: true, Scheduled: true}); err != nil {
		t.Fatal(err)
	}
	f.drain()
	since := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
	if err := f.db.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertSkippedExport(ctx, db.Export{CourseID: f.course, Kind: db.ExportArchive}, since, since.Add(24*time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, body := f.as(asAdmin).get(fmt.Sprintf("/courses/%d/exports", f.course))
	for _, want := range []string{`class="badge scheduled">Scheduled<`, "Backup schedule", "Skipped: nothing changed since 2026-11-02 02:00 UTC", `data-status="skipped"`} {
		if !strings.Contains(body, want) {
			t.Errorf("Exports tab lacks %q", want)
		}
	}
	var list []apiExport
	res, b := f.as(asAdmin).get(fmt.Sprintf("/api/courses/%d/exports", f.course))
	if err := json.Unmarshal([]byte(b), &list); err != nil || res.StatusCode != ok || len(list) != 2 ||
		list[0].Status != "skipped" || list[0].SkippedRuns != 1 || !list[1].Scheduled || list[1].Status != "ready" {
		t.Errorf("API list: %d %s", res.StatusCode, b)
	}
}

func TestBackupsAdmin_failuresFirstAndTheDefaultForm(t *testing.T) {
	f := newFixture(t, withQuota(1500)) // the demo's static files fit, no archive does
	ctx := context.Background()
	if _, _, err := f.srv.exports.Request(ctx, exports.Request{CourseID: f.other, Kind: db.ExportArchive, Scheduled: true}); err != nil {
		t.Fatal(err)
	}
	f.drain()
	c := f.as(asSiteAdmin)
	res, body := c.get("/admin/backups")
	if res.StatusCode != ok {
		t.Fatalf("status %d", res.StatusCode)
	}
	rows := body[strings.Index(body, "<tbody>"):]
	if first := strings.Index(rows, "<tr"); !strings.Contains(rows[first:first+200], `data-status="failed"`) ||
		strings.Index(rows, "CHEM201") > strings.Index(rows, "PHYS101") {
		t.Errorf("the failed course is not first: %.600s", rows)
	}
	if !strings.Contains(body, "quota") || !strings.Contains(body, `<label for="default-schedule-form-frequency">`) {
		t.Errorf("no failure reason or no default form")
	}
	res, _ = c.post("/admin/backups", url.Values{"frequency": {"daily"}, "time": {"04:00"}, "keep": {"3"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save default: %d", res.StatusCode)
	}
	_, body = c.get("/admin/backups")
	if !strings.Contains(body, "Default schedule saved: Daily at 04:00, without stdout or files, keep 3.") ||
		strings.Count(body, "site default</small>") < 2 {
		t.Errorf("default not saved or not shown as the courses' schedule")
	}
	res, body = c.post("/admin/backups", url.Values{"frequency": {"daily"}, "time": {"4 o'clock"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="default-schedule-form-time-error" role="alert"`) {
		t.Errorf("bad default: %d", res.StatusCode)
	}
	if got := auditActions(t, f, 0); strings.Count(got, "backup.default") != 1 {
		t.Errorf("default changes audited: %s", got)
	}
}

func TestAPIBackups_siteAdminsSeeEveryCourseAndBadInputNamesTheField(t *testing.T) {
	f := newFixture(t)
	admin, site := f.as(asAdmin), f.as(asSiteAdmin)
	put := func(c *client, path, body string) (*http.Response, string) {
		c.get("/courses")
		return c.do("PUT", path, strings.NewReader(body), map[string]string{"Content-Type": "application/json", "X-CSRF-Token": c.csrf})
	}
	sched := fmt.Sprintf("/api/courses/%d/exports/schedule", f.course)
	res, body := put(admin, sched, `{"frequency":"weekly","day":"sun","time":"02:00","keep":4,"include_files":false}`)
	var one apiBackupCourse
	if err := json.Unmarshal([]byte(body), &one); err != nil || res.StatusCode != ok || one.Schedule.Day != "sunday" ||
		one.Inherited || one.NextRun == nil || one.NextRun.Weekday() != time.Sunday || one.Schedule.IncludeFiles {
		t.Errorf("PUT course schedule: %d %s", res.StatusCode, body)
	}
	for _, tt := range []struct{ body, field string }{
		{`{"frequency":"daily","time":"24:01"}`, "time"},
		{`{"frequency":"weekly","time":"02:00"}`, "day"},
		{`{"frequency":"daily","time":"02:00","keep":-1}`, "keep"},
		{`{"frequency":"sometimes","time":"02:00"}`, "frequency"},
		{`{"frequency":"daily","time":"02:00","keep":"seven"}`, "keep"},
	} {
		res, body := put(admin, sched, tt.body)
		var e struct{ Error string }
		if json.Unmarshal([]byte(body), &e); res.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, tt.field) {
			t.Errorf("PUT %s: %d %s, want 400 naming %s", tt.body, res.StatusCode, body, tt.field)
		}
	}
	if res, _ := admin.get("/api/backups"); res.StatusCode != http.StatusForbidden {
		t.Errorf("course admin GET /api/backups: %d, want 403", res.StatusCode)
	}
	if res, _ := put(admin, "/api/backups/default", `{"frequency":"off"}`); res.StatusCode != http.StatusForbidden {
		t.Errorf("course admin PUT default: %d, want 403", res.StatusCode)
	}
	if res, body := put(site, "/api/backups/default", `{"frequency":"daily","time":"1:5"}`); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "time") {
		t.Errorf("bad default: %d %s", res.StatusCode, body)
	}
	if res, _ := put(site, "/api/backups/default", `{"frequency":"daily","time":"01:15","keep":2}`); res.StatusCode != ok {
		t.Errorf("PUT default: %d", res.StatusCode)
	}
	var all struct {
		TimeZone string            `json:"time_zone"`
		Default  apiSchedule       `json:"default"`
		Courses  []apiBackupCourse `json:"courses"`
	}
	res, body = site.get("/api/backups")
	if err := json.Unmarshal([]byte(body), &all); err != nil || res.StatusCode != ok || all.TimeZone != "UTC" ||
		all.Default.Time != "01:15" || len(all.Courses) < 2 {
		t.Fatalf("GET /api/backups: %d %s", res.StatusCode, body)
	}
	for _, c := range all.Courses {
		switch {
		case c.ID == f.course && (c.Inherited || c.Schedule.Frequency != "weekly"):
			t.Errorf("course with its own schedule: %+v", c)
		case c.ID == f.other && (!c.Inherited || c.Schedule.Time != "01:15" || c.NextRun == nil):
			t.Errorf("course on the default: %+v", c)
		}
	}
}

// auditActions lists a course's (0: every) audit actions, newest first.
func auditActions(t *testing.T, f *fixture, courseID int64) string {
	t.Helper()
	events, err := f.db.AuditEvents(context.Background(), courseID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var a []string
	for _, e := range events {
		a = append(a, e.Action)
	}
	return strings.Join(a, " ")
}
