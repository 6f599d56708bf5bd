package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/jobs/assignments"
	"coursevault/jobs/courses"
)

// apiAssignmentBody is the body of PUT /api/courses/:id/assignments/:key:
// the whole assignment. A missing kind is homework; a missing or null date
// is none; a missing position keeps an existing assignment where it is and
// puts a new one last.
type apiAssignmentBody struct {
	Name     string   `json:"name"`
	Kind     *string  `json:"kind"`
	OpensAt  *string  `json:"opens_at"`
	DueAt    *string  `json:"due_at"`
	Points   *float64 `json:"points"`
	Position *int     `json:"position"`
}

const apiAssignmentExample = `{"name": "Homework 1", "kind": "homework", "opens_at": "2026-11-02T08:00:00Z", "due_at": "2026-11-09T17:00:00Z", "points": 10, "position": 0}`

// apiAssignmentDef is an assignment as the assignments API answers, with the
// work that hangs off it.
type apiAssignmentDef struct {
	ID          int64      `json:"id"`
	Key         *string    `json:"key"` // null when made on the page without one
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`
	OpensAt     *time.Time `json:"opens_at"`
	DueAt       *time.Time `json:"due_at"`
	Points      float64    `json:"points"`
	Position    int        `json:"position"`
	Submissions int        `json:"submissions"`
	Scores      int        `json:"scores"`
}

func toAPIAssignmentDef(r assignments.Row) apiAssignmentDef {
	out := apiAssignmentDef{ID: r.ID, Name: r.Name, Kind: r.Kind, OpensAt: r.OpensAt, DueAt: r.DueAt, Points: r.Points,
		Position: r.Position, Submissions: r.Submissions, Scores: r.Scores}
	if r.Key != "" {
		out.Key = &r.Key
	}
	return out
}

// assignmentActor is who changes assignments, for the audit log.
func (s *Server) assignmentActor(c echo.Context) assignments.Actor {
	a := assignments.Actor{UserID: currentUser(c).ID, RemoteIP: c.RealIP()}
	if t := currentCourseToken(c); t != nil {
		a.Name = tokenActor(t)
	}
	return a
}

// apiListAssignments is GET /api/courses/:id/assignments (course staff).
func (s *Server) apiListAssignments(c echo.Context) error {
	rows, err := s.assignments.List(c.Request().Context(), currentCourse(c).Course.ID)
	if err != nil {
		return err
	}
	out := make([]apiAssignmentDef, len(rows))
	for i, r := range rows {
		out[i] = toAPIAssignmentDef(r)
	}
	return c.JSON(http.StatusOK, out)
}

// apiPutAssignment is PUT /api/courses/:id/assignments/:key: 201 when it
// made the assignment, 200 when it updated (or already matched) it.
func (s *Server) apiPutAssignment(c echo.Context) error {
	ctx := c.Request().Context()
	courseID := currentCourse(c).Course.ID
	var b apiAssignmentBody
	if err := decodeJSONBody(c, &b, apiAssignmentExample); err != nil {
		return err
	}
	in := assignments.Input{Name: b.Name, Kind: "homework", Position: b.Position}
	if b.Kind != nil {
		in.Kind = *b.Kind
	}
	for _, f := range []struct {
		dst *string
		src *string
	}{{&in.OpensAt, b.OpensAt}, {&in.DueAt, b.DueAt}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if b.Points != nil {
		in.Points = strconv.FormatFloat(*b.Points, 'g', -1, 64)
	}
	a, created, err := s.assignments.Put(ctx, courseID, c.Param("key"), in, s.assignmentActor(c))
	if p := courses.Problems(err); p != nil {
		return echo.NewHTTPError(http.StatusBadRequest, p.Error())
	}
	if err != nil {
		return err
	}
	r, err := s.assignments.Get(ctx, courseID, a.ID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, toAPIAssignmentDef(r))
}

// apiDeleteAssignment is DELETE /api/courses/:id/assignments/:key: 204,
// with its submissions and scores (a script asked; nothing is confirmed).
func (s *Server) apiDeleteAssignment(c echo.Context) error {
	_, err := s.assignments.RemoveByKey(c.Request().Context(), currentCourse(c).Course.ID, c.Param("key"), s.assignmentActor(c))
	if err != nil {
		return notFoundIfGone(err)
	}
	return c.NoContent(http.StatusNoContent)
}
