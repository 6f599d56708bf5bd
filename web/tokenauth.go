package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/web/auth"
)

// courseTokenRoutes is everything a course token may call, by method and Echo
// route pattern. It is the one place that decides: every other route refuses
// a course token (default deny), so a route added later stays closed to
// scripts until someone adds it here. Archives (/api/courses/:id/exports and
// the /files/ downloads), export requests, site administration and pages are
// deliberately absent.
var courseTokenRoutes = map[string]bool{
	"GET /api/courses":                         true, // lists only the token's course
	"GET /api/courses/:id":                     true,
	"PATCH /api/courses/:id":                   true,
	"GET /api/courses/:id/performance":         true,
	"GET /api/courses/:id/performance/exports": true,
	"GET /api/courses/:id/members":             true,
	"PUT /api/courses/:id/roster":              true,
	"GET /api/courses/:id/files":               true,
	"PUT /api/courses/:id/files/*":             true,
	"DELETE /api/courses/:id/files/*":          true,
	"GET /api/courses/:id/assignments":         true,
	"PUT /api/courses/:id/assignments/:key":    true,
	"DELETE /api/courses/:id/assignments/:key": true,
	"PUT /api/courses/:id/gradebook":           true,
	"POST /api/courses/:id/submissions":        true,
}

// courseTokenUseEvery is how stale a token's last use may get before a
// request records it again: one write a minute per busy token, not one per call.
const courseTokenUseEvery = time.Minute

// errBadToken is the one answer to a token that is unknown or revoked, of
// either kind, so the answer does not tell them apart.
var errBadToken = echo.NewHTTPError(http.StatusUnauthorized, "the access token is not valid (revoked, expired or mistyped)")

func currentCourseToken(c echo.Context) *db.CourseToken {
	t, _ := c.Get(ctxCourseToken).(*db.CourseToken)
	return t
}

// authenticateCourseToken lets a course token through to the routes it may
// call. Routing has run before e.Use middleware, so c.Path() is the matched
// route's pattern. The caller becomes a stand-in user with ID 0 (nothing is
// stored under it: nullID writes 0 as NULL) and loadCourse makes it the
// admin of its own course only.
func (s *Server) authenticateCourseToken(c echo.Context, token string) error {
	ctx := c.Request().Context()
	t, err := s.db.CourseTokenByHash(ctx, auth.HashAccessToken(token))
	if errors.Is(err, db.ErrNotFound) {
		return errBadToken
	}
	if err != nil {
		return err
	}
	if !courseTokenRoutes[c.Request().Method+" "+c.Path()] {
		if strings.HasPrefix(c.Request().URL.Path, "/files/") {
			return echo.ErrNotFound // as every refused download
		}
		return echo.NewHTTPError(http.StatusForbidden, "A course token cannot use this endpoint.")
	}
	if now := s.now(); t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= courseTokenUseEvery {
		err := s.db.InTx(ctx, func(tx *db.Queries) error {
			return tx.TouchCourseToken(ctx, t.ID, now, now.Add(-courseTokenUseEvery))
		})
		if err != nil { // the call itself can still be answered
			s.log.Error("note course token use", "token", t.ID, "err", err)
		}
	}
	c.Set(ctxUser, &db.User{Name: fmt.Sprintf("token %q", t.Name)})
	c.Set(ctxBearer, true)
	c.Set(ctxCourseToken, &t)
	return nil
}

// tokenActor names a course token in the audit log.
func tokenActor(t *db.CourseToken) string { return fmt.Sprintf("course token %q (#%d)", t.Name, t.ID) }
