package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"coursevault/db"
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
	cs, err := s.apiCourseList(c)
	if err != nil {
		return err
	}
	out := make([]apiCourse, len(cs))
	for i, sc := range cs {
		out[i] = apiCourse{ID: sc.ID, Code: sc.Code, Name: sc.Name, Term: sc.Term, Role: sc.Role}
	}
	return c.JSON(http.StatusOK, out)
}

// apiCourseList is the caller's courses: a course token sees only its own,
// as its admin.
func (s *Server) apiCourseList(c echo.Context) ([]db.StaffCourse, error) {
	ctx := c.Request().Context()
	if t := currentCourseToken(c); t != nil {
		course, err := s.db.CourseByID(ctx, t.CourseID)
		if err != nil {
			return nil, err
		}
		return []db.StaffCourse{{Course: course, Role: db.RoleAdmin}}, nil
	}
	u := currentUser(c)
	return s.db.StaffCourses(ctx, u.ID, u.SiteAdmin)
}
