package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"coursevault/views"
)

// handleError decides, in one place, what a user sees when a handler fails:
// a sentence (HTML page or JSON {"error": ...}); the detail goes to the log.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. It has been logged; please try again."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok && status < 500 {
			msg = m
		}
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", loggedPath(c.Request()), "err", err)
	}
	switch status {
	case http.StatusNotFound:
		if he == nil || he.Message == http.StatusText(http.StatusNotFound) {
			msg = "There is nothing here, or you do not have access to it."
		}
	case http.StatusMethodNotAllowed:
		msg = "That action is not available here."
	}
	if isAPI(c) || c.Request().Header.Get(echo.HeaderAccept) == echo.MIMEApplicationJSON {
		if c.Request().Method == http.MethodHead {
			c.NoContent(status)
			return
		}
		c.JSON(status, map[string]string{"error": msg})
		return
	}
	heading := map[int]string{
		http.StatusBadRequest:       "That request was not understood",
		http.StatusUnauthorized:     "Please sign in",
		http.StatusForbidden:        "Not allowed",
		http.StatusNotFound:         "Not found",
		http.StatusMethodNotAllowed: "Not allowed",
		http.StatusConflict:         "Already done",
		http.StatusGone:             "This link has expired",
		http.StatusTooManyRequests:  "Too many attempts",
	}[status]
	if heading == "" {
		heading = "Something went wrong"
	}
	s.render(c, status, views.Error(s.page(c, heading), views.ErrorPage{Status: status, Heading: heading, Message: msg}))
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
