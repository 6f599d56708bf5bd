package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/jobs/roster"
)

// apiMember is one member in GET /api/courses/:id/members.
type apiMember struct {
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	Period    string `json:"period"`
	StudentID string `json:"student_id"`
}

func (s *Server) apiMembers(c echo.Context) error {
	members, err := s.db.CourseMembers(c.Request().Context(), currentCourse(c).Course.ID)
	if err != nil {
		return err
	}
	out := make([]apiMember, len(members))
	for i, m := range members {
		out[i] = apiMember{Email: m.Email, Name: m.Name, Role: m.Role, Period: m.PeriodName, StudentID: m.StudentIdentifier}
	}
	return c.JSON(http.StatusOK, out)
}

// apiRosterResult answers PUT /api/courses/:id/roster: the counts applied
// (or, with dry_run, that would be) and every bad line.
type apiRosterResult struct {
	roster.Counts
	Errors []roster.LineError `json:"errors"`
}

// apiRoster applies (or with ?dry_run=1 previews) the CSV roster in the
// body; ?remove_missing=1 removes members the file does not list. Any bad
// line: 422 and nothing written.
func (s *Server) apiRoster(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	file, err := readCSVBody(c, "roster", roster.MaxSize, roster.ErrTooLarge, roster.Read)
	if err != nil {
		return err
	}
	opts := roster.Options{RemoveMissing: c.QueryParam("remove_missing") == "1", Actor: currentUser(c).ID}
	var p roster.Preview
	var n roster.Counts
	if c.QueryParam("dry_run") == "1" {
		if p, err = roster.Plan(ctx, s.db.Queries, ca.Course.ID, file, opts); err != nil {
			return err
		}
		n = p.Counts()
	} else {
		if p, n, err = roster.Apply(ctx, s.db, ca.Course.ID, file, opts, s.now()); err != nil {
			return err
		}
		if len(p.Errors) == 0 {
			s.audit(c, db.AuditEvent{Action: "roster.apply", Subject: "API", Detail: n.String()})
		}
	}
	res := apiRosterResult{Counts: n, Errors: p.Errors}
	if len(p.Errors) > 0 {
		res.Counts = roster.Counts{}
		return c.JSON(http.StatusUnprocessableEntity, res)
	}
	res.Errors = []roster.LineError{}
	return c.JSON(http.StatusOK, res)
}
