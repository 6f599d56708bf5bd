package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"coursevault/jobs/courses"
)

// apiCourseBody is the body of POST and PATCH /api/courses: absent fields
// (PATCH) stay as they are.
type apiCourseBody struct {
	Code    *string   `json:"code"`
	Name    *string   `json:"name"`
	Term    *string   `json:"term"`
	Periods *[]string `json:"periods"`
}

const apiCourseExample = `{"code": "PHYS101", "name": "Physics I", "term": "Fall 2026", "periods": ["Period 1"]}`

// apiCourseDetail is a course with its periods, as the API answers.
type apiCourseDetail struct {
	ID      int64       `json:"id"`
	Code    string      `json:"code"`
	Name    string      `json:"name"`
	Term    string      `json:"term"`
	Periods []apiPeriod `json:"periods"`
}

func toAPICourse(c courses.Course) apiCourseDetail {
	out := apiCourseDetail{ID: c.ID, Code: c.Code, Name: c.Name, Term: c.Term, Periods: make([]apiPeriod, len(c.Periods))}
	for i, p := range c.Periods {
		out.Periods[i] = apiPeriod{ID: p.ID, Name: p.Name}
	}
	return out
}

// apiCourseError answers field problems: 409 for a taken code, 400 naming
// the field for the rest. Other errors pass through.
func apiCourseError(err error) error {
	p := courses.Problems(err)
	if p == nil {
		return notFoundIfGone(err)
	}
	if errors.Is(err, courses.ErrCodeTaken) {
		return echo.NewHTTPError(http.StatusConflict, p.Error())
	}
	return echo.NewHTTPError(http.StatusBadRequest, p.Error())
}

// apiCreateCourse is POST /api/courses (site admins): 201 with the course.
func (s *Server) apiCreateCourse(c echo.Context) error {
	if !currentUser(c).SiteAdmin {
		return echo.NewHTTPError(http.StatusForbidden, "Only site admins can create courses.")
	}
	var b apiCourseBody
	if err := decodeJSONBody(c, &b, apiCourseExample); err != nil {
		return err
	}
	in := courses.Input{}
	for _, f := range []struct {
		dst *string
		src *string
	}{{&in.Code, b.Code}, {&in.Name, b.Name}, {&in.Term, b.Term}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if b.Periods != nil {
		in.Periods = *b.Periods
	}
	created, err := s.courses.Create(c.Request().Context(), in, s.actor(c))
	if err != nil {
		return apiCourseError(err)
	}
	return c.JSON(http.StatusCreated, toAPICourse(created))
}

// apiGetCourse is GET /api/courses/:id (staff).
func (s *Server) apiGetCourse(c echo.Context) error {
	got, err := s.courses.Get(c.Request().Context(), currentCourse(c).Course.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAPICourse(got))
}

// apiPatchCourse is PATCH /api/courses/:id (course admins): partial.
func (s *Server) apiPatchCourse(c echo.Context) error {
	var b apiCourseBody
	if err := decodeJSONBody(c, &b, apiCourseExample); err != nil {
		return err
	}
	got, err := s.courses.Update(c.Request().Context(), currentCourse(c).Course.ID,
		courses.Patch{Code: b.Code, Name: b.Name, Term: b.Term, Periods: b.Periods}, s.actor(c))
	if err != nil {
		return apiCourseError(err)
	}
	return c.JSON(http.StatusOK, toAPICourse(got))
}

// apiDeleteCourse is DELETE /api/courses/:id (site admins): 204.
func (s *Server) apiDeleteCourse(c echo.Context) error {
	if _, err := s.courses.Remove(c.Request().Context(), currentCourse(c).Course.ID, s.actor(c)); err != nil {
		return notFoundIfGone(err)
	}
	return c.NoContent(http.StatusNoContent)
}
