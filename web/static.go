package web

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"coursevault/static"
)

var staticFiles = http.FileServerFS(static.FS)

// versioned matches vendored files named with their version: htmx-2.0.11.min.js.
var versioned = regexp.MustCompile(`-\d+\.\d+\.\d+(\.min)?\.(js|css)$`)

// serveStatic serves the embedded front-end files. Vendored files carry their
// version in the name and never change, so browsers may keep them for a year;
// app.css and icons change between releases and are revalidated hourly.
func serveStatic(c echo.Context) error {
	name := c.Param("*")
	if _, err := static.FS.Open(name); err != nil || name == "" || strings.HasSuffix(name, ".go") {
		return echo.ErrNotFound
	}
	maxAge := "3600"
	if versioned.MatchString(name) {
		maxAge = "31536000, immutable"
	}
	c.Response().Header().Set("Cache-Control", "public, max-age="+maxAge)
	r := c.Request().Clone(c.Request().Context())
	r.URL.Path = "/" + name
	staticFiles.ServeHTTP(c.Response(), r)
	return nil
}
