package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/courses"
	"coursevault/views"
)

// requireSiteAdminAction lets site admins through; course staff who are not
// get 403 (the course itself was checked by loadCourse).
var requireSiteAdminAction = onlySiteAdmins(echo.NewHTTPError(http.StatusForbidden, "Only site admins can do this."))

// onlySiteAdmins answers everyone but site admins with refusal.
func onlySiteAdmins(refusal error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if u := currentUser(c); u == nil || !u.SiteAdmin {
				return refusal
			}
			return next(c)
		}
	}
}

// actor is who makes a change, for the audit events the courses service writes.
func (s *Server) actor(c echo.Context) courses.Actor {
	a := courses.Actor{RemoteIP: c.RealIP()}
	if u := currentUser(c); u != nil {
		a.UserID = u.ID
	}
	return a
}

func settingsURL(courseID int64) string { return fmt.Sprintf("/courses/%d/settings", courseID) }

// fieldErrors turns field problems into the form's error per field.
func fieldErrors(p courses.Invalid) map[string]string {
	m := make(map[string]string, len(p))
	for _, e := range p {
		if m[e.Field] == "" {
			m[e.Field] = e.Message
		}
	}
	return m
}

// problemStatus is the status of a page answering with field problems: 409
// for a taken code, 400 for the rest.
func problemStatus(err error) int {
	if errors.Is(err, courses.ErrCodeTaken) {
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

func newCourseForm() views.CourseForm {
	return views.CourseForm{ID: "new-course-form", Action: "/admin/courses", Submit: "Create course", WithPeriods: true}
}

func (s *Server) coursesAdminPage(c echo.Context) error {
	return s.renderCoursesAdmin(c, http.StatusOK, newCourseForm())
}

func (s *Server) renderCoursesAdmin(c echo.Context, status int, form views.CourseForm) error {
	list, err := s.db.CourseOverviews(c.Request().Context())
	if err != nil {
		return err
	}
	rows := make([]views.CourseAdminRow, len(list))
	for i, o := range list {
		rows[i] = views.CourseAdminRow{SettingsURL: settingsURL(o.ID), CourseURL: fmt.Sprintf("/courses/%d", o.ID),
			Code: o.Code, Name: o.Name, Term: o.Term, Members: fmt.Sprint(o.Members), DataSize: files.FormatSize(o.DataBytes)}
		if o.LastExport != nil {
			rows[i].LastExport = s.when(*o.LastExport)
		}
	}
	return s.render(c, status, views.CoursesAdminPage(s.page(c, "Courses"), views.CoursesAdmin{Rows: rows, Form: form}))
}

// createCourse creates a course from the New course form and opens its
// Settings tab; a wrong field is shown next to it with the input kept.
func (s *Server) createCourse(c echo.Context) error {
	ctx := c.Request().Context()
	form := newCourseForm()
	form.Code, form.Name, form.Term, form.Periods = c.FormValue("code"), c.FormValue("name"), c.FormValue("term"), c.FormValue("periods")
	created, err := s.courses.Create(ctx, courses.Input{Code: form.Code, Name: form.Name, Term: form.Term,
		Periods: courses.PeriodLines(form.Periods)}, s.actor(c))
	if p := courses.Problems(err); p != nil {
		form.Errors = fieldErrors(p)
		if isHTMX(c) {
			return s.render(c, http.StatusOK, views.CourseFormView(form, s.csrfToken(c)))
		}
		return s.renderCoursesAdmin(c, problemStatus(err), form)
	}
	if err != nil {
		return err
	}
	s.sessions.Put(ctx, "notice", fmt.Sprintf("Course %s created. Here you can rename it and change its periods.", created.Code))
	return redirect(c, settingsURL(created.ID))
}

// notFoundIfGone answers 404 for a course removed while the request ran.
func notFoundIfGone(err error) error {
	if errors.Is(err, db.ErrNotFound) {
		return echo.ErrNotFound
	}
	return err
}

// redirect sends a plain form post on with 303, and htmx with HX-Redirect
// (a whole new page, not a fragment).
func redirect(c echo.Context, url string) error {
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// removeCourse removes the course once the site admin typed its code.
func (s *Server) removeCourse(c echo.Context) error {
	ca := currentCourse(c)
	typed := strings.TrimSpace(c.FormValue("code"))
	if !strings.EqualFold(typed, ca.Course.Code) {
		msg := fmt.Sprintf("Type the code %s to confirm; nothing was removed.", ca.Course.Code)
		return s.renderSettings(c, http.StatusBadRequest, settingsParts{removeTyped: typed, removeError: msg})
	}
	r, err := s.courses.Remove(c.Request().Context(), ca.Course.ID, s.actor(c))
	if err != nil {
		return notFoundIfGone(err)
	}
	s.sessions.Put(c.Request().Context(), "notice", fmt.Sprintf("Course %s (%s) removed with its %d members' places in it and %s of files.",
		r.Code, r.Name, r.Members, files.FormatSize(r.Bytes)))
	return redirect(c, "/admin/courses")
}
