package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"coursevault/views"
)

func (s *Server) courseList(c echo.Context) error {
	u := currentUser(c)
	cs, err := s.db.StaffCourses(c.Request().Context(), u.ID, u.SiteAdmin)
	if err != nil {
		return err
	}
	items := make([]views.CourseItem, len(cs))
	for i, sc := range cs {
		items[i] = views.CourseItem{URL: fmt.Sprintf("/courses/%d", sc.ID), Code: sc.Code, Name: sc.Name, Term: sc.Term, Role: roleWords(sc.Role)}
	}
	return s.render(c, http.StatusOK, views.Courses(s.page(c, "Courses"), items))
}

// courseTabs lists the tabs the caller's role may use, marking current.
func courseTabs(ca *courseAccess, current string) []views.Tab {
	base := fmt.Sprintf("/courses/%d", ca.Course.ID)
	tabs := []views.Tab{{Label: "Performance book", URL: base + "/performance"}}
	if ca.Role == "admin" {
		tabs = append(tabs, views.Tab{Label: "People", URL: base + "/people"}, views.Tab{Label: "Files", URL: base + "/files"},
			views.Tab{Label: "Exports", URL: base + "/exports"}, views.Tab{Label: "Audit log", URL: base + "/audit"},
			views.Tab{Label: "Settings", URL: base + "/settings"})
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Label == current
	}
	return tabs
}

func courseHeader(ca *courseAccess, current string) views.CourseHeader {
	return views.CourseHeader{Code: ca.Course.Code, Name: ca.Course.Name, Term: ca.Course.Term,
		Role: roleWords(ca.Role), Tabs: courseTabs(ca, current)}
}

// courseHome opens the course's first tab.
func (s *Server) courseHome(c echo.Context) error {
	ca := currentCourse(c)
	return c.Redirect(http.StatusSeeOther, courseTabs(ca, "")[0].URL)
}
