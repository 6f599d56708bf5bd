package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/jobs/assignments"
	"coursevault/jobs/courses"
	"coursevault/views"
)

func assignmentsURL(ca *courseAccess) string {
	return fmt.Sprintf("/courses/%d/performance/assignments", ca.Course.ID)
}

// canEditAssignments: teachers and course admins change assignments; TAs see them.
func canEditAssignments(ca *courseAccess) bool {
	return ca.Role == db.RoleAdmin || ca.Role == db.RoleTeacher
}

// localInput formats a time for a datetime-local control in the school's
// zone, with its seconds when it has any (a plain due date is 23:59:59), so
// saving a row unchanged does not move its times.
func (s *Server) localInput(t *time.Time) string {
	if t == nil {
		return ""
	}
	if t.Second() != 0 {
		return t.In(s.cfg.Timezone).Format("2006-01-02T15:04:05")
	}
	return t.In(s.cfg.Timezone).Format("2006-01-02T15:04")
}

func (s *Server) localText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(s.cfg.Timezone).Format("Mon Jan 2 2006, 15:04")
}

func (s *Server) assignmentForm(a db.Assignment) views.AssignmentForm {
	return views.AssignmentForm{Name: a.Name, Kind: a.Kind, OpensAt: s.localInput(a.OpensAt), DueAt: s.localInput(a.DueAt),
		Points: strconv.FormatFloat(a.Points, 'g', -1, 64), Key: a.Key}
}

// assignmentRow builds the view of row i of n.
func (s *Server) assignmentRow(c echo.Context, r assignments.Row, i, n int) views.AssignmentRow {
	ca := currentCourse(c)
	base := fmt.Sprintf("%s/%d", assignmentsURL(ca), r.ID)
	v := views.AssignmentRow{ID: fmt.Sprintf("assignment-%d", r.ID), Name: r.Name, Kind: r.Kind, Opens: s.localText(r.OpensAt),
		Due: s.localText(r.DueAt), Points: strconv.FormatFloat(r.Points, 'g', -1, 64), Key: r.Key,
		Submissions: r.Submissions, Scores: r.Scores, CanEdit: canEditAssignments(ca), First: i == 0, Last: i == n-1,
		EditURL: fmt.Sprintf("%s?edit=%d#assignment-%d", assignmentsURL(ca), r.ID, r.ID), SaveURL: base,
		UpURL: base + "/up", DownURL: base + "/down", RemoveURL: base + "/remove", PageURL: assignmentsURL(ca),
		CSRFToken: s.csrfToken(c), RemoveQuestion: fmt.Sprintf("Remove %s?", r.Name)}
	if r.Any() {
		v.RemoveQuestion = fmt.Sprintf("Remove %s with its %d submissions and %d scores? This cannot be undone.", r.Name, r.Submissions, r.Scores)
	}
	return v
}

// assignmentRows lists the course's assignments; edit (an id, or 0) is shown
// as its form with form's values when form is not nil.
func (s *Server) assignmentRows(c echo.Context, edit int64, form *views.AssignmentForm) (views.AssignmentRows, error) {
	rows, err := s.assignments.List(c.Request().Context(), currentCourse(c).Course.ID)
	if err != nil {
		return views.AssignmentRows{}, err
	}
	out := views.AssignmentRows{Rows: make([]views.AssignmentRow, len(rows))}
	for i, r := range rows {
		out.Rows[i] = s.assignmentRow(c, r, i, len(rows))
		if r.ID == edit && out.Rows[i].CanEdit {
			out.Rows[i].Editing = true
			out.Rows[i].Form = s.assignmentForm(r.Assignment)
			if form != nil {
				out.Rows[i].Form = *form
			}
		}
	}
	return out, nil
}

func (s *Server) renderAssignments(c echo.Context, status int, edit int64, editForm *views.AssignmentForm, add views.AssignmentForm) error {
	ca := currentCourse(c)
	rows, err := s.assignmentRows(c, edit, editForm)
	if err != nil {
		return err
	}
	if add.Kind == "" {
		add.Kind = db.KindHomework
	}
	return s.render(c, status, views.AssignmentsPageView(s.page(c, "Assignments · "+ca.Course.Code), views.AssignmentsPage{
		Header: courseHeader(ca, "Performance book"), BookURL: fmt.Sprintf("/courses/%d/performance", ca.Course.ID),
		Rows: rows, CanEdit: canEditAssignments(ca), AddURL: assignmentsURL(ca), Add: add, Zone: s.cfg.Timezone.String()}))
}

// assignmentsPage lists the assignments; ?edit=<id> opens a row's form
// (htmx gets that row alone).
func (s *Server) assignmentsPage(c echo.Context) error {
	var edit int64
	if e := c.QueryParam("edit"); e != "" {
		id, err := strconv.ParseInt(e, 10, 64)
		if err != nil || id <= 0 {
			return echo.ErrNotFound
		}
		r, err := s.assignments.Get(c.Request().Context(), currentCourse(c).Course.ID, id)
		if err != nil {
			return notFoundIfGone(err)
		}
		edit = id
		if isHTMX(c) && canEditAssignments(currentCourse(c)) {
			row := s.assignmentRow(c, r, 0, 1)
			row.Editing, row.Form = true, s.assignmentForm(r.Assignment)
			return s.render(c, http.StatusOK, views.AssignmentRowView(row, s.cfg.Timezone.String()))
		}
	}
	return s.renderAssignments(c, http.StatusOK, edit, nil, views.AssignmentForm{})
}

// formInput reads the assignment form.
func formInput(c echo.Context) (assignments.Input, views.AssignmentForm) {
	in := assignments.Input{Name: c.FormValue("name"), Kind: c.FormValue("kind"), OpensAt: c.FormValue("opens_at"),
		DueAt: c.FormValue("due_at"), Points: c.FormValue("points"), Key: c.FormValue("key")}
	return in, views.AssignmentForm{Name: in.Name, Kind: in.Kind, OpensAt: in.OpensAt, DueAt: in.DueAt, Points: in.Points, Key: in.Key}
}

// addAssignment adds an assignment at the end of the list.
func (s *Server) addAssignment(c echo.Context) error {
	ca := currentCourse(c)
	in, form := formInput(c)
	a, err := s.assignments.Create(c.Request().Context(), ca.Course.ID, in, s.assignmentActor(c))
	if p := courses.Problems(err); p != nil {
		form.Errors = fieldErrors(p)
		return s.renderAssignments(c, assignmentProblemStatus(err), 0, nil, form)
	}
	if err != nil {
		return err
	}
	s.sessions.Put(c.Request().Context(), "notice", fmt.Sprintf("Added %s.", a.Name))
	return c.Redirect(http.StatusSeeOther, assignmentsURL(ca))
}

func assignmentProblemStatus(err error) int {
	if errors.Is(err, assignments.ErrKeyTaken) {
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// assignmentID reads :aid (404 when it is not a number).
func assignmentID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("aid"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// editAssignment saves a row's form; htmx gets the row back (its form again
// with the errors when refused).
func (s *Server) editAssignment(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	id, err := assignmentID(c)
	if err != nil {
		return err
	}
	in, form := formInput(c)
	a, err := s.assignments.Update(ctx, ca.Course.ID, id, in, s.assignmentActor(c))
	if p := courses.Problems(err); p != nil {
		form.Errors = fieldErrors(p)
		if isHTMX(c) {
			r, err := s.assignments.Get(ctx, ca.Course.ID, id)
			if err != nil {
				return notFoundIfGone(err)
			}
			row := s.assignmentRow(c, r, 0, 1)
			row.Editing, row.Form = true, form
			return s.render(c, http.StatusOK, views.AssignmentRowView(row, s.cfg.Timezone.String()))
		}
		return s.renderAssignments(c, assignmentProblemStatus(err), id, &form, views.AssignmentForm{})
	}
	if err != nil {
		return notFoundIfGone(err)
	}
	if isHTMX(c) {
		rows, err := s.assignmentRows(c, 0, nil)
		if err != nil {
			return err
		}
		for _, r := range rows.Rows {
			if r.ID == fmt.Sprintf("assignment-%d", id) {
				return s.render(c, http.StatusOK, views.AssignmentRowView(r, s.cfg.Timezone.String()))
			}
		}
		return echo.ErrNotFound
	}
	s.sessions.Put(ctx, "notice", fmt.Sprintf("Saved %s.", a.Name))
	return c.Redirect(http.StatusSeeOther, assignmentsURL(ca))
}

func (s *Server) renderAssignmentRows(c echo.Context) error {
	rows, err := s.assignmentRows(c, 0, nil)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AssignmentRowsView(rows, s.cfg.Timezone.String()))
}

// moveAssignment moves an assignment up (-1) or down (+1); htmx gets the
// table body back.
func (s *Server) moveAssignment(delta int) echo.HandlerFunc {
	return func(c echo.Context) error {
		ca := currentCourse(c)
		id, err := assignmentID(c)
		if err != nil {
			return err
		}
		if err := s.assignments.Move(c.Request().Context(), ca.Course.ID, id, delta, s.assignmentActor(c)); err != nil {
			return notFoundIfGone(err)
		}
		if isHTMX(c) {
			return s.renderAssignmentRows(c)
		}
		return c.Redirect(http.StatusSeeOther, assignmentsURL(ca))
	}
}

// removeAssignment removes an assignment. One with work (submissions or
// scores) asks first: a page saying what goes with it, or htmx's confirm
// (which sends confirm=1).
func (s *Server) removeAssignment(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	id, err := assignmentID(c)
	if err != nil {
		return err
	}
	r, err := s.assignments.Get(ctx, ca.Course.ID, id)
	if err != nil {
		return notFoundIfGone(err)
	}
	if r.Any() && c.FormValue("confirm") != "1" {
		return s.render(c, http.StatusOK, views.RemoveAssignmentView(s.page(c, "Remove · "+ca.Course.Code), views.RemoveAssignment{
			Header: courseHeader(ca, "Performance book"), Name: r.Name, Submissions: r.Submissions, Scores: r.Scores,
			RemoveURL: c.Request().URL.Path, BackURL: assignmentsURL(ca)}))
	}
	gone, err := s.assignments.Remove(ctx, ca.Course.ID, id, s.assignmentActor(c))
	if err != nil {
		return notFoundIfGone(err)
	}
	if isHTMX(c) {
		return s.renderAssignmentRows(c)
	}
	msg := fmt.Sprintf("Removed %s.", gone.Name)
	if gone.Any() {
		msg = fmt.Sprintf("Removed %s with %d submissions and %d scores.", gone.Name, gone.Submissions, gone.Scores)
	}
	s.sessions.Put(ctx, "notice", msg)
	return c.Redirect(http.StatusSeeOther, assignmentsURL(ca))
}
