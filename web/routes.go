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

	e.GET("/healthz", s.health)
	e.GET("/static/*", serveStatic)
	e.GET("/", s.home)
	e.GET("/signin", s.signInForm)
	e.POST("/signin", s.signIn)
	e.POST("/signout", s.signOut)
	e.GET("/password/:token", s.passwordForm)
	e.POST("/password/:token", s.setPassword)

	pages := e.Group("", s.requireUser)
	pages.GET("/courses", s.courseList)
	pages.GET("/account", s.accountPage)
	pages.POST("/account", s.saveAccount)

	admin := pages.Group("/admin", requireSiteAdmin)
	admin.GET("/courses", s.coursesAdminPage)
	admin.POST("/courses", s.createCourse)
	admin.GET("/imports", s.importsPage)
	admin.POST("/imports", s.uploadImport)
	admin.GET("/imports/:iid", s.importFragment)
	admin.GET("/audit", s.siteAudit)
	admin.GET("/backups", s.backupsPage)
	admin.POST("/backups", s.saveBackupDefault)
	admin.GET("/users", s.usersPage)
	admin.POST("/users/:uid/disable", s.userAction("disable"))
	admin.POST("/users/:uid/enable", s.userAction("enable"))
	admin.POST("/users/:uid/promote", s.userAction("promote"))
	admin.POST("/users/:uid/demote", s.userAction("demote"))
	admin.POST("/users/:uid/link", s.createPasswordLink)
	admin.POST("/users/:uid/link/revoke", s.userAction("revoke-link"))

	e.GET("/files/:token/:name", s.download)
	e.HEAD("/files/:token/:name", s.download)

	course := pages.Group("/courses/:id", s.loadCourse)
	course.GET("", s.courseHome)

	course.GET("/performance", s.performancePage)
	work := course.Group("/performance/assignments")
	work.GET("", s.assignmentsPage)
	editors := requireRole("admin", "teacher")
	work.POST("", s.addAssignment, editors)
	work.POST("/:aid", s.editAssignment, editors)
	work.POST("/:aid/up", s.moveAssignment(-1), editors)
	work.POST("/:aid/down", s.moveAssignment(1), editors)
	work.POST("/:aid/remove", s.removeAssignment, editors)
	books := course.Group("/performance/exports")
	books.POST("", s.requestExport)
	s.exportRoutes(books)
	grades := course.Group("/performance/gradebook", requireRole("admin", "teacher"))
	grades.POST("", s.previewGradebook)
	grades.POST("/apply", s.applyGradebook)

	course.GET("/audit", s.courseAudit, requireRole("admin"))

	settings := course.Group("/settings", requireRole("admin"))
	settings.GET("", s.settingsPage)
	settings.POST("", s.saveCourseSettings)
	settings.POST("/periods", s.periodAction("add"))
	settings.POST("/periods/:pid", s.periodAction("rename"))
	settings.POST("/periods/:pid/up", s.periodAction("up"))
	settings.POST("/periods/:pid/down", s.periodAction("down"))
	settings.POST("/periods/:pid/remove", s.periodAction("remove"))
	settings.POST("/tokens", s.createToken)
	settings.POST("/tokens/:tid/revoke", s.revokeToken)
	course.POST("/remove", s.removeCourse, requireSiteAdminAction)
	people := course.Group("/people", requireRole("admin"))
	people.GET("", s.peoplePage)
	people.POST("", s.addPerson)
	people.POST("/roster", s.previewRoster)
	people.POST("/roster/apply", s.applyRoster)
	people.POST("/:uid", s.changeMember)
	people.POST("/:uid/remove", s.removeMember)

	courseFiles := course.Group("/files", requireRole("admin"))
	courseFiles.GET("", s.filesPage)
	courseFiles.POST("", s.uploadFiles)
	courseFiles.POST("/:fid/rename", s.renameFile)
	courseFiles.POST("/:fid/delete", s.deleteFile)

	archives := course.Group("/exports", requireRole("admin"))
	archives.GET("", s.exportsTab)
	archives.POST("", s.requestExport)
	archives.POST("/schedule", s.saveCourseSchedule)
	s.exportRoutes(archives)

	api := e.Group("/api", s.requireUser)
	api.GET("/courses", s.apiCourses)
	api.POST("/courses", s.apiCreateCourse)
	api.GET("/backups", s.apiBackups, requireSiteAdminAction)
	api.PUT("/backups/default", s.apiPutBackupDefault, requireSiteAdminAction)
	apiCourse := api.Group("/courses/:id", s.loadCourse)
	apiCourse.GET("", s.apiGetCourse)
	apiCourse.PATCH("", s.apiPatchCourse, requireRole("admin"))
	apiCourse.DELETE("", s.apiDeleteCourse, requireSiteAdminAction)
	apiCourse.GET("/performance", s.apiBook)
	apiCourse.POST("/performance/export", s.apiBookExport)
	apiCourse.GET("/performance/exports", s.apiBookFiles)
	apiCourse.GET("/members", s.apiMembers)
	apiCourse.PUT("/roster", s.apiRoster, requireRole("admin"))
	apiFiles := apiCourse.Group("/files", requireRole("admin"))
	apiFiles.GET("", s.apiListFiles)
	apiFiles.PUT("/*", s.apiPutFile)
	apiFiles.DELETE("/*", s.apiDeleteFile)
	apiCourse.GET("/assignments", s.apiListAssignments)
	apiCourse.PUT("/assignments/:key", s.apiPutAssignment, requireRole("admin", "teacher"))
	apiCourse.DELETE("/assignments/:key", s.apiDeleteAssignment, requireRole("admin", "teacher"))
	apiCourse.PUT("/gradebook", s.apiGradebook, requireRole("admin", "teacher"))
	apiCourse.POST("/submissions", s.apiIngestSubmissions, requireRole("admin"))
	apiArchives := apiCourse.Group("/exports", requireRole("admin"))
	apiArchives.GET("", s.apiListExports)
	apiArchives.PUT("/schedule", s.apiPutCourseSchedule)
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
