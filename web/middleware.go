package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/web/auth"
)

// Keys of values the middleware puts in the echo.Context.
const (
	ctxUser   = "user"   // *db.User, when signed in
	ctxBearer = "bearer" // true when authenticated by a personal access token or a course token
	ctxCourse = "course" // *courseAccess, under /courses/:id and /api/courses/:id

	ctxCourseToken = "course_token" // *db.CourseToken, when a course token authenticated (see tokenauth.go)
)

// Session keys.
const (
	sessUserID = "user_id"
	sessSeen   = "seen" // unix seconds of the last request, refreshed at most once a minute
)

// seenEvery is how stale the session's last-seen time may get before a
// request refreshes it (the one session write a minute of activity costs).
const seenEvery = time.Minute

func currentUser(c echo.Context) *db.User {
	u, _ := c.Get(ctxUser).(*db.User)
	return u
}

func isAPI(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }

func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic", "path", loggedPath(c.Request()), "panic", r, "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the response now so the status below is the real one
		}
		req, res := c.Request(), c.Response()
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		attrs := []any{"method", req.Method, "path", loggedPath(req), "status", res.Status,
			"bytes", res.Size, "ms", time.Since(start).Milliseconds(), "ip", c.RealIP()}
		if t := currentCourseToken(c); t != nil {
			attrs = append(attrs, "course_token", t.ID)
		} else if u := currentUser(c); u != nil {
			attrs = append(attrs, "user", u.ID)
		}
		if err != nil && res.Status >= 500 {
			attrs = append(attrs, "err", err.Error())
		}
		s.log.Log(req.Context(), level, "http", attrs...)
		return nil
	}
}

// loggedPath is a request's path as the log shows it: a set-password link
// works for anyone who holds it, so its token stays out of the log.
func loggedPath(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/password/") {
		return "/password/<token>"
	}
	return r.URL.Path
}

// csp allows only our own scripts and styles: htmx is configured (views.Layout)
// to need neither inline styles nor eval. Pico draws some icons as data: URIs.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

// authenticate finds who is asking: a bearer token on /api/* and /files/*
// (the API hands out download URLs), else the session. A course token
// (cvct_...) is recognised on every path, so that its allowlist in
// tokenauth.go, not the path, decides what it may call.
// A bad bearer token is refused outright (401) rather than falling back to the
// session, so API clients learn at once that their token is wrong.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		token, bearer := strings.CutPrefix(h, "Bearer ")
		token = strings.TrimSpace(token)
		if bearer && strings.HasPrefix(token, auth.CourseTokenPrefix) {
			if err := s.authenticateCourseToken(c, token); err != nil {
				return err
			}
			return next(c)
		}
		if h != "" && (isAPI(c) || strings.HasPrefix(c.Request().URL.Path, "/files/")) {
			if !bearer {
				return echo.NewHTTPError(http.StatusUnauthorized, "use Authorization: Bearer <token>")
			}
			u, err := s.db.UserByTokenHash(ctx, auth.HashAccessToken(token))
			if errors.Is(err, db.ErrNotFound) {
				return errBadToken
			}
			if err != nil {
				return err
			}
			c.Set(ctxUser, &u)
			c.Set(ctxBearer, true)
			return next(c)
		}
		if id := s.sessions.GetInt64(ctx, sessUserID); id != 0 {
			now := s.now().Unix()
			seen := s.sessions.GetInt64(ctx, sessSeen)
			if now-seen > int64(s.cfg.SessionIdle/time.Second) {
				s.sessions.Remove(ctx, sessUserID) // idle too long: signed out
				return next(c)
			}
			if now-seen >= int64(seenEvery/time.Second) {
				s.sessions.Put(ctx, sessSeen, now)
			}
			u, err := s.db.UserByID(ctx, id)
			switch {
			case errors.Is(err, db.ErrNotFound) || (err == nil && u.Disabled):
				s.sessions.Remove(ctx, sessUserID)
			case err != nil:
				return err
			default:
				c.Set(ctxUser, &u)
			}
		}
		return next(c)
	}
}

// requireUser sends anonymous visitors to the sign-in page (API: 401 JSON).
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		if isAPI(c) {
			return echo.NewHTTPError(http.StatusUnauthorized, "sign in or send a personal access token")
		}
		if c.Request().Header.Get("HX-Request") == "true" {
			c.Response().Header().Set("HX-Redirect", "/signin")
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.Redirect(http.StatusSeeOther, "/signin?next="+urlQueryEscape(c.Request().URL.RequestURI()))
	}
}

// courseAccess is the course of the request and the caller's role in it.
type courseAccess struct {
	Course db.Course
	Role   string // admin, teacher or ta (site admins count as admin)
}

func currentCourse(c echo.Context) *courseAccess {
	ca, _ := c.Get(ctxCourse).(*courseAccess)
	return ca
}

// loadCourse resolves :id to a course the caller is on the staff of. To anyone
// else (students, strangers) the course does not exist: 404, not 403.
func (s *Server) loadCourse(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil || id <= 0 {
			return echo.ErrNotFound
		}
		ctx := c.Request().Context()
		u := currentUser(c)
		var course db.Course
		var role string
		if t := currentCourseToken(c); t != nil {
			// A course token is its course's admin, and a stranger elsewhere.
			if id != t.CourseID {
				return echo.ErrNotFound
			}
			course, err = s.db.CourseByID(ctx, id)
			role = db.RoleAdmin
		} else {
			course, role, err = s.db.CourseForUser(ctx, id, u.ID)
		}
		if errors.Is(err, db.ErrNotFound) {
			return echo.ErrNotFound
		}
		if err != nil {
			return err
		}
		if u.SiteAdmin {
			role = db.RoleAdmin
		}
		if !isStaff(role) {
			return echo.ErrNotFound
		}
		c.Set(ctxCourse, &courseAccess{Course: course, Role: role})
		return next(c)
	}
}

func isStaff(role string) bool {
	return role == db.RoleAdmin || role == db.RoleTeacher || role == db.RoleTA
}

// requireRole lets through course staff with one of roles; other staff get 403.
func requireRole(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ca := currentCourse(c)
			for _, r := range roles {
				if ca != nil && ca.Role == r {
					return next(c)
				}
			}
			return echo.NewHTTPError(http.StatusForbidden, "Your role in this course does not allow this page.")
		}
	}
}
