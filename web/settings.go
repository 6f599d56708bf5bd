package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/courses"
	"coursevault/views"
)

// settingsParts are the parts of the Settings tab a failed post fills in;
// nil or empty ones are rendered from the course as it is.
type settingsParts struct {
	form        *views.CourseForm
	periods     *views.PeriodsSection
	tokens      *views.CourseTokens
	removeTyped string
	removeError string
}

func courseForm(c db.Course) views.CourseForm {
	return views.CourseForm{ID: "course-form", Action: settingsURL(c.ID), Submit: "Save", Code: c.Code, Name: c.Name, Term: c.Term}
}

func (s *Server) settingsPage(c echo.Context) error {
	return s.renderSettings(c, http.StatusOK, settingsParts{})
}

func (s *Server) renderSettings(c echo.Context, status int, parts settingsParts) error {
	ca := currentCourse(c)
	ctx := c.Request().Context()
	page := views.CourseSettings{Header: courseHeader(ca, "Settings"), Form: courseForm(ca.Course)}
	if parts.form != nil {
		page.Form = *parts.form
	}
	if parts.periods != nil {
		page.Periods = *parts.periods
	} else {
		ps, err := s.periodsSection(c, ca.Course.ID)
		if err != nil {
			return err
		}
		page.Periods = ps
	}
	page.Tokens = views.CourseTokens{}
	if parts.tokens != nil {
		page.Tokens = *parts.tokens
	}
	if err := s.fillTokens(c, &page.Tokens); err != nil {
		return err
	}
	if u := currentUser(c); u.SiteAdmin {
		o, err := s.db.CourseOverviewByID(ctx, ca.Course.ID)
		if err != nil {
			return err
		}
		page.Remove = &views.CourseRemoval{URL: fmt.Sprintf("/courses/%d/remove", ca.Course.ID), Code: ca.Course.Code,
			Summary: fmt.Sprintf("%s, %s of files", plural(o.Members, "member", "members"), files.FormatSize(o.DataBytes)),
			Typed:   parts.removeTyped, Error: parts.removeError}
	}
	return s.render(c, status, views.CourseSettingsPage(s.page(c, "Settings · "+ca.Course.Code), page))
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// periodsSection lists the course's periods with their actions.
func (s *Server) periodsSection(c echo.Context, courseID int64) (views.PeriodsSection, error) {
	ps, err := s.db.PeriodViews(c.Request().Context(), courseID)
	if err != nil {
		return views.PeriodsSection{}, err
	}
	base := settingsURL(courseID) + "/periods"
	sec := views.PeriodsSection{AddURL: base, Rows: make([]views.PeriodRow, len(ps))}
	for i, p := range ps {
		u := fmt.Sprintf("%s/%d", base, p.ID)
		r := views.PeriodRow{ID: fmt.Sprintf("period-%d", p.ID), Name: p.Name, RenameValue: p.Name,
			Students: plural(p.Students, "student", "students"), RenameURL: u, RemoveURL: u + "/remove"}
		if i > 0 {
			r.UpURL = u + "/up"
		}
		if i < len(ps)-1 {
			r.DownURL = u + "/down"
		}
		sec.Rows[i] = r
	}
	return sec, nil
}

// saveCourseSettings changes the course's code, name and term.
func (s *Server) saveCourseSettings(c echo.Context) error {
	ca := currentCourse(c)
	form := courseForm(ca.Course)
	form.Code, form.Name, form.Term = c.FormValue("code"), c.FormValue("name"), c.FormValue("term")
	_, err := s.courses.Update(c.Request().Context(), ca.Course.ID, courses.Patch{Code: &form.Code, Name: &form.Name, Term: &form.Term}, s.actor(c))
	if p := courses.Problems(err); p != nil {
		form.Errors = fieldErrors(p)
		if isHTMX(c) {
			return s.render(c, http.StatusOK, views.CourseFormView(form, s.csrfToken(c)))
		}
		return s.renderSettings(c, problemStatus(err), settingsParts{form: &form})
	}
	if err != nil {
		return notFoundIfGone(err)
	}
	// A whole new page, with htmx too: the course's header shows the new name.
	s.sessions.Put(c.Request().Context(), "notice", "Course saved.")
	return redirect(c, settingsURL(ca.Course.ID))
}

var periodNotices = map[string]string{"add": "Period added.", "rename": "Period renamed.", "up": "Period moved up.",
	"down": "Period moved down.", "remove": "Period removed."}

// periodAction adds, renames, moves or removes a period. htmx gets the
// periods section back; a plain form post is redirected to the tab. A period
// with students is removed only once the question was answered (confirm=1).
func (s *Server) periodAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ca := currentCourse(c)
		ctx := c.Request().Context()
		var pid int64
		if action != "add" {
			var err error
			if pid, err = strconv.ParseInt(c.Param("pid"), 10, 64); err != nil || pid <= 0 {
				return echo.ErrNotFound
			}
		}
		name := c.FormValue("name")
		by := s.actor(c)
		var err error
		switch action {
		case "add":
			err = s.courses.AddPeriod(ctx, ca.Course.ID, name, by)
		case "rename":
			err = s.courses.RenamePeriod(ctx, ca.Course.ID, pid, name, by)
		case "up", "down":
			err = s.courses.MovePeriod(ctx, ca.Course.ID, pid, map[string]int{"up": -1, "down": +1}[action], by)
		case "remove":
			if c.FormValue("confirm") != "1" {
				if asked, err := s.askBeforeRemoving(c, pid); asked || err != nil {
					return err
				}
			}
			err = s.courses.RemovePeriod(ctx, ca.Course.ID, pid, by)
		}
		if errors.Is(err, courses.ErrPeriodNotFound) {
			return echo.ErrNotFound
		}
		if p := courses.Problems(err); p != nil {
			sec, serr := s.periodsSection(c, ca.Course.ID)
			if serr != nil {
				return serr
			}
			msg := p.For("period")
			if action == "add" {
				sec.AddValue, sec.AddError = name, msg
			}
			for i := range sec.Rows {
				if sec.Rows[i].RenameURL == fmt.Sprintf("%s/periods/%d", settingsURL(ca.Course.ID), pid) {
					sec.Rows[i].RenameValue, sec.Rows[i].RenameError = name, msg
				}
			}
			return s.renderPeriods(c, http.StatusBadRequest, sec)
		}
		if err != nil {
			return notFoundIfGone(err)
		}
		notice := periodNotices[action]
		if isHTMX(c) {
			c.Response().Header().Set("HX-Trigger", fmt.Sprintf(`{"export-notice":%q}`, notice))
			sec, err := s.periodsSection(c, ca.Course.ID)
			if err != nil {
				return err
			}
			return s.render(c, http.StatusOK, views.PeriodsView(sec, s.csrfToken(c)))
		}
		s.sessions.Put(ctx, "notice", notice)
		return c.Redirect(http.StatusSeeOther, settingsURL(ca.Course.ID)+"#periods")
	}
}

// renderPeriods answers with the periods section: the fragment for htmx
// (200, so it is swapped in), else the whole tab with status.
func (s *Server) renderPeriods(c echo.Context, status int, sec views.PeriodsSection) error {
	if isHTMX(c) {
		return s.render(c, http.StatusOK, views.PeriodsView(sec, s.csrfToken(c)))
	}
	return s.renderSettings(c, status, settingsParts{periods: &sec})
}

// askBeforeRemoving shows the question for a period that has students and
// reports whether it did; an empty period is removed without asking.
func (s *Server) askBeforeRemoving(c echo.Context, pid int64) (bool, error) {
	ca := currentCourse(c)
	ps, err := s.db.PeriodViews(c.Request().Context(), ca.Course.ID)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.ID != pid {
			continue
		}
		if p.Students == 0 {
			return false, nil
		}
		sec, err := s.periodsSection(c, ca.Course.ID)
		if err != nil {
			return false, err
		}
		sec.Confirm = &views.PeriodConfirm{Name: p.Name, Students: plural(p.Students, "student", "students"),
			RemoveURL: fmt.Sprintf("%s/periods/%d/remove", settingsURL(ca.Course.ID), pid), CancelURL: settingsURL(ca.Course.ID) + "#periods"}
		return true, s.renderPeriods(c, http.StatusOK, sec)
	}
	return false, echo.ErrNotFound
}
