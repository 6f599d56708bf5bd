package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/backups"
	"coursevault/jobs/courses"
	"coursevault/views"
)

const (
	courseScheduleFormID  = "schedule-form"
	defaultScheduleFormID = "default-schedule-form"
)

func scheduleURL(courseID int64) string { return fmt.Sprintf("/courses/%d/exports/schedule", courseID) }

// scheduleForm is a schedule's form filled from sched.
func (s *Server) scheduleForm(id, action, title string, sched db.BackupSchedule) views.BackupForm {
	return views.BackupForm{ID: id, Action: action, Title: title, Frequency: sched.Frequency,
		Day: strconv.Itoa(sched.Weekday), Time: backups.Clock(sched.Minute), Keep: strconv.Itoa(sched.Keep),
		IncludeStdout: sched.IncludeStdout, IncludeStatic: sched.IncludeStatic, TimeZone: s.cfg.Timezone.String()}
}

// courseScheduleForm is the Exports tab's schedule form as the course's
// schedule stands.
func (s *Server) courseScheduleForm(c echo.Context, courseID int64) (views.BackupForm, error) {
	ctx := c.Request().Context()
	b, err := s.db.CourseBackup(ctx, courseID)
	if err != nil {
		return views.BackupForm{}, err
	}
	def, err := s.db.BackupDefault(ctx)
	if err != nil {
		return views.BackupForm{}, err
	}
	f := s.scheduleForm(courseScheduleFormID, scheduleURL(courseID), "Schedule", b.Schedule)
	f.AllowDefault, f.DefaultWords = true, backups.Describe(def)
	if !b.Override {
		f.Frequency = "default"
	}
	f.NextRun = s.nextRunWords(s.backups.NextRun(b))
	return f, nil
}

// nextRunWords says when a run is due: "Tue 2026-11-03 02:00 CET (in 17
// hours)"; "" for none.
func (s *Server) nextRunWords(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.cfg.Timezone).Format("Mon 2006-01-02 15:04 MST") + " (" + relative(t, s.now()) + ")"
}

// postedSchedule reads a schedule form's fields into f (kept on error) and
// checks them; useDefault when a course chose the site default.
func postedSchedule(c echo.Context, f *views.BackupForm) (sched backups.Schedule, useDefault bool, err error) {
	f.Frequency, f.Day, f.Time, f.Keep = c.FormValue("frequency"), c.FormValue("day"), c.FormValue("time"), c.FormValue("keep")
	f.IncludeStdout, f.IncludeStatic = c.FormValue("include_stdout") == "1", c.FormValue("include_static") == "1"
	if f.AllowDefault && f.Frequency == "default" {
		return backups.Schedule{}, true, nil
	}
	day := f.Day
	if n, err := strconv.Atoi(day); err == nil && n >= 0 && n <= 6 {
		day = time.Weekday(n).String()
	}
	sched, err = backups.Parse(backups.Form{Frequency: f.Frequency, Day: day, Time: f.Time, Keep: f.Keep,
		IncludeStdout: f.IncludeStdout, IncludeStatic: f.IncludeStatic})
	return sched, false, err
}

// refuseScheduleForm answers a schedule form with each error at its field
// and the input kept: the form to htmx, else the whole page (400).
func (s *Server) refuseScheduleForm(c echo.Context, form views.BackupForm, p courses.Invalid, page func(views.BackupForm) error) error {
	form.Errors = fieldErrors(p)
	if isHTMX(c) {
		return s.render(c, http.StatusOK, views.BackupFormView(form, s.csrfToken(c)))
	}
	return page(form)
}

func (s *Server) backupActor(c echo.Context) backups.Actor {
	a := backups.Actor{RemoteIP: c.RealIP()}
	if u := currentUser(c); u != nil {
		a.UserID = u.ID
	}
	return a
}

// saveCourseSchedule sets the course's schedule from the Exports tab's form.
// A wrong field is shown next to it, the input kept (400 without htmx).
func (s *Server) saveCourseSchedule(c echo.Context) error {
	ca := currentCourse(c)
	ctx := c.Request().Context()
	form, err := s.courseScheduleForm(c, ca.Course.ID)
	if err != nil {
		return err
	}
	sched, useDefault, err := postedSchedule(c, &form)
	if p := courses.Problems(err); p != nil {
		return s.refuseScheduleForm(c, form, p, func(f views.BackupForm) error {
			return s.renderExportsTabWith(c, http.StatusBadRequest, "", &f)
		})
	}
	if _, err := s.backups.SetCourse(ctx, ca.Course.ID, useDefault, sched, s.backupActor(c)); err != nil {
		return err
	}
	saved, err := s.courseScheduleForm(c, ca.Course.ID)
	if err != nil {
		return err
	}
	notice := "Schedule saved."
	if saved.NextRun != "" {
		notice += " Next run: " + saved.NextRun + "."
	}
	if isHTMX(c) {
		saved.Saved = notice
		return s.render(c, http.StatusOK, views.BackupFormView(saved, s.csrfToken(c)))
	}
	s.sessions.Put(ctx, "notice", notice)
	return c.Redirect(http.StatusSeeOther, tabURL(ca.Course.ID, db.ExportArchive))
}

// defaultScheduleForm is Admin → Backups' form for the site default.
func (s *Server) defaultScheduleForm(c echo.Context) (views.BackupForm, error) {
	def, err := s.db.BackupDefault(c.Request().Context())
	if err != nil {
		return views.BackupForm{}, err
	}
	f := s.scheduleForm(defaultScheduleFormID, "/admin/backups", "Default schedule for every course", def)
	f.NextRun = s.nextRunWords(backups.Next(def, s.now(), s.cfg.Timezone))
	return f, nil
}

func (s *Server) backupsPage(c echo.Context) error {
	form, err := s.defaultScheduleForm(c)
	if err != nil {
		return err
	}
	return s.renderBackupsPage(c, http.StatusOK, form)
}

func (s *Server) renderBackupsPage(c echo.Context, status int, form views.BackupForm) error {
	list, err := s.backups.Overview(c.Request().Context())
	if err != nil {
		return err
	}
	rows := make([]views.BackupAdminRow, len(list))
	for i, r := range list {
		row := views.BackupAdminRow{Code: r.Code, Name: r.Name, ExportsURL: tabURL(r.CourseID, db.ExportArchive),
			Schedule: backups.Describe(r.Schedule), Inherited: !r.Override, NextRun: s.nextRunWords(r.NextRun), Failed: r.Failed}
		if e := r.LastArchive; e != nil {
			row.Last, row.LastStatus, row.LastWords = s.when(e.CreatedAt), e.Status(), statusWords[e.Status()]
			if e.FileID != 0 {
				row.LastSize = files.FormatSize(e.Size)
			}
			if row.LastStatus == db.ExportFailed {
				row.LastError = e.LastError
			}
		}
		if r.LastSkip != nil {
			row.Skip = s.skipWords(*r.LastSkip)
		}
		rows[i] = row
	}
	return s.render(c, status, views.BackupsAdminPage(s.page(c, "Backups"), views.BackupsAdmin{Rows: rows, Form: form}))
}

// skipWords says what a skipped scheduled run found: "Skipped (3 runs, last
// ...): nothing changed since ...".
func (s *Server) skipWords(e db.ExportView) string {
	since := ""
	if e.SkippedSince != nil {
		since = e.SkippedSince.In(s.cfg.Timezone).Format("2006-01-02 15:04 MST")
	}
	if e.Skipped > 1 && e.FinishedAt != nil {
		return fmt.Sprintf("Skipped %d runs, the last %s: nothing changed since %s", e.Skipped,
			e.FinishedAt.In(s.cfg.Timezone).Format("2006-01-02 15:04 MST"), since)
	}
	return "Skipped: nothing changed since " + since
}

// saveBackupDefault sets the site-wide schedule from Admin → Backups.
func (s *Server) saveBackupDefault(c echo.Context) error {
	ctx := c.Request().Context()
	form, err := s.defaultScheduleForm(c)
	if err != nil {
		return err
	}
	sched, _, err := postedSchedule(c, &form)
	if p := courses.Problems(err); p != nil {
		return s.refuseScheduleForm(c, form, p, func(f views.BackupForm) error {
			return s.renderBackupsPage(c, http.StatusBadRequest, f)
		})
	}
	if err := s.backups.SetDefault(ctx, sched, s.backupActor(c)); err != nil {
		return err
	}
	notice := "Default schedule saved: " + backups.Describe(sched) + "."
	if isHTMX(c) {
		saved, err := s.defaultScheduleForm(c)
		if err != nil {
			return err
		}
		saved.Saved = notice
		return s.render(c, http.StatusOK, views.BackupFormView(saved, s.csrfToken(c)))
	}
	s.sessions.Put(ctx, "notice", notice)
	return c.Redirect(http.StatusSeeOther, "/admin/backups")
}
