package web

import (
	"net"
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
	e.IPExtractor = clientAddress(s.cfg.TrustedProxies)
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

	admin := pages.Group("/admin", requireSiteAdmin)
	admin.GET("/imports", s.importsPage)
	admin.POST("/imports", s.uploadImport)
	admin.GET("/imports/:iid", s.importFragment)
	admin.GET("/audit", s.siteAudit)

	e.GET("/files/:token/:name", s.download)
	e.HEAD("/files/:token/:name", s.download)

	course := pages.Group("/courses/:id", s.loadCourse)
	course.GET("", s.courseHome)

	course.GET("/performance", s.performancePage)
	books := course.Group("/performance/exports")
	books.POST("", s.requestExport)
	s.exportRoutes(books)

	course.GET("/audit", s.courseAudit, requireRole("admin"))

	people := course.Group("/people", requireRole("admin"))
	people.GET("", s.peoplePage)
	people.POST("", s.addPerson)
	people.POST("/roster", s.previewRoster)
	people.POST("/roster/apply", s.applyRoster)
	people.POST("/:uid", s.changeMember)
	people.POST("/:uid/remove", s.removeMember)

	archives := course.Group("/exports", requireRole("admin"))
	archives.GET("", s.exportsTab)
	archives.POST("", s.requestExport)
	s.exportRoutes(archives)

	api := e.Group("/api", s.requireUser)
	api.GET("/courses", s.apiCourses)
	apiCourse := api.Group("/courses/:id", s.loadCourse)
	apiCourse.GET("/performance", s.apiBook)
	apiCourse.POST("/performance/export", s.apiBookExport)
	apiCourse.GET("/performance/exports", s.apiBookFiles)
	apiCourse.GET("/members", s.apiMembers)
	apiCourse.PUT("/roster", s.apiRoster, requireRole("admin"))
	apiArchives := apiCourse.Group("/exports", requireRole("admin"))
	apiArchives.GET("", s.apiListExports)
	apiArchives.POST("", s.apiRequestExport)
	apiArchives.GET("/:eid", s.apiGetExport)
	apiArchives.DELETE("/:eid", s.apiDeleteExport)
	apiArchives.POST("/:eid/cancel", s.apiExportAction("cancel"))
	apiArchives.POST("/:eid/retry", s.apiExportAction("retry"))
	return e
}

// clientAddress decides what c.RealIP returns; sign-in throttling and the audit
// log count by it. Echo's default believes X-Forwarded-For from anyone, so a
// client could pick a fresh address for every guess (GO-2026-6872). Without
// trusted proxies it is the connection's peer. Behind proxies it is the nearest
// X-Forwarded-For entry outside their ranges; loopback and private addresses,
// which Echo trusts by default, are trusted only when listed.
func clientAddress(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, r := range trusted {
		opts = append(opts, echo.TrustIPRange(r))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// exportRoutes adds the per-export routes shared by both kinds: the polled
// row fragment and the actions.
func (s *Server) exportRoutes(g *echo.Group) {
	g.GET("/:eid", s.exportFragment)
	g.POST("/:eid/cancel", s.exportAction("cancel"))
	g.POST("/:eid/retry", s.exportAction("retry"))
	g.POST("/:eid/delete", s.exportAction("delete"))
	g.POST("/:eid/keep", s.exportAction("keep"))
	g.POST("/:eid/unkeep", s.exportAction("unkeep"))
}
