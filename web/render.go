package web

import (
	"io"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"coursevault/views"
)

// render writes a templ component as the HTML response.
func (s *Server) render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	// A plain io.Writer, not the Flusher c.Response() is: templ flushes a
	// Flusher when it finishes, and a flush makes the compression middleware
	// commit to gzip before it knows whether the response reaches compressMin.
	return comp.Render(c.Request().Context(), struct{ io.Writer }{c.Response()})
}

// page returns the layout's view model for this request. It writes nothing
// for a stranger (issue 18): csrfToken sets a cookie, not a session value,
// and scs's Pop marks the session modified only when the notice is there,
// so a request without a session gets none.
func (s *Server) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title, CSRFToken: s.csrfToken(c)}
	if u := currentUser(c); u != nil {
		p.User = &views.User{Name: u.Name, Email: u.Email, SiteAdmin: u.SiteAdmin}
	}
	p.Notice = s.sessions.PopString(c.Request().Context(), "notice")
	return p
}

// roleWords names a course role for people.
func roleWords(role string) string {
	switch role {
	case "admin":
		return "Course admin"
	case "teacher":
		return "Teacher"
	case "ta":
		return "TA"
	case "student":
		return "Student"
	}
	return role
}
