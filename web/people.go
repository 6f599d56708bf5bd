package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/roster"
	"coursevault/views"
)

func peopleURL(ca *courseAccess) string { return fmt.Sprintf("/courses/%d/people", ca.Course.ID) }

// peopleData is what the People tab lists: members and period names.
func (s *Server) peopleData(c echo.Context) ([]db.Member, []string, error) {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	members, err := s.db.CourseMembers(ctx, ca.Course.ID)
	if err != nil {
		return nil, nil, err
	}
	periods, err := s.db.Periods(ctx, ca.Course.ID)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(periods))
	for i, p := range periods {
		names[i] = p.Name
	}
	return members, names, nil
}

func (s *Server) memberRow(c echo.Context, m db.Member, periods []string) views.MemberRow {
	base := fmt.Sprintf("%s/%d", peopleURL(currentCourse(c)), m.UserID)
	r := views.MemberRow{ID: fmt.Sprintf("member-%d", m.UserID), Name: m.Name, Email: m.Email, Role: m.Role, Period: m.PeriodName,
		StudentID: m.StudentIdentifier, Periods: periods, ChangeURL: base, CSRFToken: s.csrfToken(c), Never: m.LastSignIn == nil}
	if m.LastSignIn != nil {
		r.LastSignIn = s.when(*m.LastSignIn)
	}
	if m.UserID != currentUser(c).ID {
		r.RemoveURL = base + "/remove"
	}
	return r
}

// renderPeople renders the People tab; rowErrors puts an error on a member's row.
func (s *Server) renderPeople(c echo.Context, status int, add views.AddPerson, rosterErr string, rowErrors map[int64]string) error {
	ca := currentCourse(c)
	members, periods, err := s.peopleData(c)
	if err != nil {
		return err
	}
	rows := make([]views.MemberRow, len(members))
	for i, m := range members {
		rows[i] = s.memberRow(c, m, periods)
		rows[i].Error = rowErrors[m.UserID]
	}
	if add.Role == "" {
		add.Role = db.RoleStudent
	}
	return s.render(c, status, views.PeoplePageView(s.page(c, "People · "+ca.Course.Code), views.PeoplePage{
		Header: courseHeader(ca, "People"), Rows: rows, Periods: periods, AddURL: peopleURL(ca), Add: add,
		RosterURL: peopleURL(ca) + "/roster", MaxSize: files.FormatSize(roster.MaxSize), RosterError: rosterErr}))
}

func (s *Server) peoplePage(c echo.Context) error {
	return s.renderPeople(c, http.StatusOK, views.AddPerson{}, "", nil)
}

// formField names the add form's field for a roster column.
var formField = map[string]string{roster.ColEmail: "email", roster.ColRole: "role", roster.ColStudentID: "student_id", roster.ColPeriod: "period"}

// addPerson adds one person: a one-entry roster.
func (s *Server) addPerson(c echo.Context) error {
	ca := currentCourse(c)
	in := views.AddPerson{Email: strings.TrimSpace(c.FormValue("email")), Name: strings.TrimSpace(c.FormValue("name")),
		Role: c.FormValue("role"), Period: strings.TrimSpace(c.FormValue("period")), StudentID: strings.TrimSpace(c.FormValue("student_id")),
		Errors: map[string]string{}}
	e := roster.Entry{Email: strings.ToLower(in.Email), Role: roster.ParseRole(in.Role), Period: in.Period, StudentID: in.StudentID}
	if in.Name != "" {
		e.GivenName, e.FamilyName, e.Name = roster.SplitName(in.Name)
	}
	switch {
	case e.Email == "":
		in.Errors["email"] = "Enter the person's email address."
	case !roster.IsEmail(e.Email):
		in.Errors["email"] = "That is not an email address."
	}
	if e.Role == "" {
		in.Errors["role"] = "Choose student, TA, teacher or course admin."
	}
	if len(in.Errors) > 0 {
		return s.renderPeople(c, http.StatusBadRequest, in, "", nil)
	}
	p, err := roster.AddOne(c.Request().Context(), s.db, ca.Course.ID, e, roster.Options{Actor: currentUser(c).ID}, s.now())
	if errors.Is(err, roster.ErrAlreadyMember) {
		in.Errors["email"] = e.Email + " is already a member: change their role or period in the list."
		return s.renderPeople(c, http.StatusConflict, in, "", nil)
	}
	if err != nil {
		return err
	}
	if len(p.Errors) > 0 {
		for _, le := range p.Errors {
			in.Errors[formField[le.Column]] = le.Message
		}
		return s.renderPeople(c, http.StatusUnprocessableEntity, in, "", nil)
	}
	s.audit(c, db.AuditEvent{Action: "member.add", Subject: e.Email, Detail: roleWords(e.EffectiveRole())})
	s.sessions.Put(c.Request().Context(), "notice", fmt.Sprintf("Added %s.", e.Email))
	return c.Redirect(http.StatusSeeOther, peopleURL(ca))
}

// member finds the member :uid of the current course (404 otherwise).
func (s *Server) member(c echo.Context) (db.Member, []string, error) {
	uid, err := strconv.ParseInt(c.Param("uid"), 10, 64)
	if err != nil || uid <= 0 {
		return db.Member{}, nil, echo.ErrNotFound
	}
	members, periods, err := s.peopleData(c)
	if err != nil {
		return db.Member{}, nil, err
	}
	for _, m := range members {
		if m.UserID == uid {
			return m, periods, nil
		}
	}
	return db.Member{}, nil, echo.ErrNotFound
}

// changeMember changes a member's role and period; htmx gets the row back.
func (s *Server) changeMember(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	m, periods, err := s.member(c)
	if err != nil {
		return err
	}
	role := roster.ParseRole(c.FormValue("role"))
	if role == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "role: choose student, ta, teacher or admin.")
	}
	period := c.FormValue("period")
	known := period == ""
	for _, p := range periods {
		known = known || p == period
	}
	if !known {
		return echo.NewHTTPError(http.StatusBadRequest, "period: choose one of the course's periods (add new ones with a person or a roster file).")
	}
	p, err := roster.ChangeOne(ctx, s.db, ca.Course.ID, roster.Entry{Email: m.Email, Role: role, Period: period, NoPeriod: period == ""},
		roster.Options{Actor: currentUser(c).ID}, s.now())
	if errors.Is(err, roster.ErrNotMember) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if len(p.Errors) > 0 {
		if isHTMX(c) {
			row := s.memberRow(c, m, periods)
			row.Error = p.Errors[0].Message
			return s.render(c, http.StatusOK, views.MemberRowView(row))
		}
		return s.renderPeople(c, http.StatusUnprocessableEntity, views.AddPerson{}, "", map[int64]string{m.UserID: p.Errors[0].Message})
	}
	var changes []string
	for _, ch := range p.Change {
		changes = append(changes, ch.Changes...)
	}
	if len(changes) > 0 {
		s.audit(c, db.AuditEvent{Action: "member.change", Subject: m.Email, Detail: strings.Join(changes, "; ")})
	}
	if isHTMX(c) {
		m, periods, err = s.member(c)
		if err != nil {
			return err
		}
		return s.render(c, http.StatusOK, views.MemberRowView(s.memberRow(c, m, periods)))
	}
	s.sessions.Put(ctx, "notice", fmt.Sprintf("Saved %s.", m.Email))
	return c.Redirect(http.StatusSeeOther, peopleURL(ca))
}

// removeMember asks first (a page without JavaScript; htmx confirms in the
// browser and sends confirm=1), then takes the member out of the course.
func (s *Server) removeMember(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	m, _, err := s.member(c)
	if err != nil {
		return err
	}
	if m.UserID == currentUser(c).ID {
		return echo.NewHTTPError(http.StatusBadRequest, "You cannot remove yourself from the course.")
	}
	if c.FormValue("confirm") != "1" {
		return s.render(c, http.StatusOK, views.RemoveConfirmView(s.page(c, "Remove · "+ca.Course.Code), views.RemoveConfirm{
			Header: courseHeader(ca, "People"), Name: m.Name, Email: m.Email, RemoveURL: c.Request().URL.Path, PeopleURL: peopleURL(ca)}))
	}
	if err := roster.Remove(ctx, s.db, ca.Course.ID, m.UserID, currentUser(c).ID); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return echo.ErrNotFound
		}
		return err
	}
	s.audit(c, db.AuditEvent{Action: "member.remove", Subject: m.Email, Detail: roleWords(m.Role)})
	if isHTMX(c) {
		return c.HTML(http.StatusOK, "") // the row goes
	}
	s.sessions.Put(ctx, "notice", fmt.Sprintf("Removed %s from the course.", m.Email))
	return c.Redirect(http.StatusSeeOther, peopleURL(ca))
}

// previewView turns a preview into the page's view model.
func previewView(ca *courseAccess, filename string, p roster.Preview, removeMissing bool) views.RosterPreview {
	people := func(ps []roster.Person) []views.PreviewPerson {
		out := make([]views.PreviewPerson, len(ps))
		for i, pp := range ps {
			out[i] = views.PreviewPerson{Name: pp.Name, Email: pp.Email, Role: roleWords(pp.Role), Period: pp.Period, StudentID: pp.StudentID, Changes: pp.Changes}
			if pp.Line > 0 {
				out[i].Line = strconv.Itoa(pp.Line)
			}
		}
		return out
	}
	v := views.RosterPreview{Header: courseHeader(ca, "People"), Filename: filename, Add: people(p.Add), Change: people(p.Change),
		Unchanged: p.Unchanged, Remove: people(p.Remove), RemoveMissing: removeMissing, RemoveRoles: roster.RoleList(p.RemoveRoles),
		NewPeriods: p.NewPeriods, PeopleURL: peopleURL(ca)}
	v.Errors = previewErrors(p.Errors)
	return v
}

// previewRoster reads an uploaded roster and shows what applying it would
// do, writing nothing to the course. A file without bad lines is kept (an
// hour, never downloadable) so Apply uses exactly the bytes previewed.
func (s *Server) previewRoster(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	u := currentUser(c)
	up, status, msg, err := readUpload(c, roster.MaxSize)
	if err != nil || msg != "" {
		return errOr(err, func() error { return s.renderPeople(c, status, views.AddPerson{}, msg, nil) })
	}
	removeMissing := c.FormValue("remove_missing") == "1"
	_, p, err := roster.PlanFile(ctx, s.db.Queries, ca.Course.ID, bytes.NewReader(up.Data), roster.Options{RemoveMissing: removeMissing, Actor: u.ID})
	if err != nil {
		return s.rosterRefused(c, err)
	}
	v := previewView(ca, up.Name, p, removeMissing)
	status = http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		f, err := s.files.Keep(ctx, files.PurposeRoster, ca.Course.ID, u.ID, up.Name, bytes.NewReader(up.Data))
		if err != nil {
			return err
		}
		v.ApplyURL, v.Token = peopleURL(ca)+"/roster/apply", f.Token
	}
	return s.render(c, status, views.RosterPreviewView(s.page(c, "Roster preview · "+ca.Course.Code), v))
}

// rosterRefused shows why a whole file was refused; other errors stay errors.
func (s *Server) rosterRefused(c echo.Context, err error) error {
	status, msg, ok := refusal(err)
	if !ok {
		return err
	}
	return s.renderPeople(c, status, views.AddPerson{}, msg, nil)
}

// sentence starts msg with a capital and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// applyRoster applies the file a preview kept, planning it again in the
// write transaction: what changed since the preview is checked again.
func (s *Server) applyRoster(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	u := currentUser(c)
	f, rc, err := s.openKept(c, files.PurposeRoster)
	if errors.Is(err, files.ErrNotFound) {
		return s.renderPeople(c, http.StatusGone, views.AddPerson{}, errUploadGone, nil)
	}
	if err != nil {
		return err
	}
	file, err := roster.Read(rc)
	rc.Close()
	if err != nil {
		return s.rosterRefused(c, err)
	}
	removeMissing := c.FormValue("remove_missing") == "1"
	p, n, err := roster.Apply(ctx, s.db, ca.Course.ID, file, roster.Options{RemoveMissing: removeMissing, Actor: u.ID}, s.now())
	if err != nil {
		return err
	}
	s.dropKept(c, f)
	if len(p.Errors) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, views.RosterPreviewView(s.page(c, "Roster preview · "+ca.Course.Code),
			previewView(ca, f.Filename, p, removeMissing)))
	}
	s.audit(c, db.AuditEvent{Action: "roster.apply", Subject: f.Filename, Detail: n.String()})
	s.sessions.Put(ctx, "notice", "Roster applied: "+n.String()+".")
	return c.Redirect(http.StatusSeeOther, peopleURL(ca))
}
