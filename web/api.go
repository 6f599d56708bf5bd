package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiCourse is one course in GET /api/courses.
type apiCourse struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
	Term string `json:"term"`
	Role string `json:"role"`
}

func (s *Server) apiCourses(c echo.Context) error {
	u := currentUser(c)
	cs, err := s.db.StaffCourses(c.Request().Context(), u.ID, u.SiteAdmin)
	if err != nil {
		return err
	}
	out := make([]apiCourse, len(cs))
	for i, sc := range cs {
		out[i] = apiCourse{ID: sc.ID, Code: sc.Code, Name: sc.Name, Term: sc.Term, Role: sc.Role}
	}
	return c.JSON(http.StatusOK, out)
}
