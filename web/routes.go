package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes wires every route in one place. Each route names who may use it;
// TestRoleMatrix walks this table, so a new route needs a row there.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(s.logRequests, s.recoverPanics, securityHeaders, s.authenticate, s.checkCSRF)

	e.GET("/healthz", s.healthz)
	e.GET("/static/*", serveStatic)
	e.GET("/", s.home)
	e.GET("/signin", s.signInForm)
	e.POST("/signin", s.signIn)
	e.POST("/signout", s.signOut)

	pages := e.Group("", s.requireUser)
	pages.GET("/courses", s.courseList)

	course := pages.Group("/courses/:id", s.loadCourse)
	course.GET("", s.courseHome)

	api := e.Group("/api", s.requireUser)
	api.GET("/courses", s.apiCourses)
	return e
}
