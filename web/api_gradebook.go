package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/jobs/gradebook"
)

// apiGradebookResult answers PUT /api/courses/:id/gradebook: the counts
// applied (or, with dry_run, that would be), the students skipped as not in
// the course, and every bad cell.
type apiGradebookResult struct {
	gradebook.Counts
	UnknownStudents []gradebook.Unknown   `json:"unknown_students"`
	Errors          []gradebook.LineError `json:"errors"`
}

// apiGradebook applies (or with ?dry_run=1 previews) the gradebook CSV in
// the body. Any bad cell: 422 and nothing written.
func (s *Server) apiGradebook(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	file, err := readCSVBody(c, "gradebook", gradebook.MaxSize, gradebook.ErrTooLarge, gradebook.Read)
	if err != nil {
		return err
	}
	var p gradebook.Preview
	var n gradebook.Counts
	if c.QueryParam("dry_run") == "1" {
		if p, err = gradebook.Plan(ctx, s.db.Queries, ca.Course.ID, file); err != nil {
			return err
		}
		n = p.Counts()
	} else {
		if p, n, err = gradebook.Apply(ctx, s.db, ca.Course.ID, file, s.now()); err != nil {
			return err
		}
		if len(p.Errors) == 0 {
			s.audit(c, db.AuditEvent{Action: "gradebook.apply", Subject: "API", Detail: n.String()})
		}
	}
	res := apiGradebookResult{Counts: n, UnknownStudents: p.Unknown, Errors: p.Errors}
	if res.UnknownStudents == nil {
		res.UnknownStudents = []gradebook.Unknown{}
	}
	if len(p.Errors) > 0 {
		res.Counts = gradebook.Counts{}
		return c.JSON(http.StatusUnprocessableEntity, res)
	}
	res.Errors = []gradebook.LineError{}
	return c.JSON(http.StatusOK, res)
}
