package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/views"
	"coursevault/web/auth"
)

func (s *Server) home(c echo.Context) error {
	if currentUser(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/signin")
	}
	return c.Redirect(http.StatusSeeOther, "/courses")
}

func (s *Server) signInForm(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.render(c, http.StatusOK, views.SignIn(s.page(c, "Sign in"), "", "", c.QueryParam("next")))
}

// signIn checks the credentials. Unknown email and wrong password get the same
// message after the same work (auth.CheckPassword compares against a dummy hash).
func (s *Server) signIn(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	next := c.FormValue("next")

	// Throttle guessing, before any password work: per account (known or not,
	// so the answer reveals nothing) and per address.
	byAccount, byIP, err := s.db.CountRecentEvents(ctx, "signin.failed", email, c.RealIP(), s.now().Add(-throttleWindow))
	if err != nil {
		return err
	}
	if byAccount >= maxFailuresPerAccount || byIP >= maxFailuresPerIP {
		return s.render(c, http.StatusTooManyRequests, views.SignIn(s.page(c, "Sign in"), email,
			fmt.Sprintf("Too many failed sign-ins. Wait %d minutes and try again, or ask an administrator to reset your password.", int(throttleWindow.Minutes())), next))
	}

	u, err := s.db.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	ok := auth.CheckPassword(u.PasswordHash, password) && !u.Disabled
	if !ok {
		s.audit(c, db.AuditEvent{Action: "signin.failed", Subject: email})
		return s.render(c, http.StatusUnauthorized, views.SignIn(s.page(c, "Sign in"), email, "That email and password do not match an account. Check both and try again.", next))
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

// startSession signs u in on this request's session and audits it. A new
// session token at sign-in, so a token planted before cannot ride along, and
// a new CSRF token with it (csrf.go derives it from the session token).
func (s *Server) startSession(c echo.Context, u db.User) error {
	ctx := c.Request().Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessUserID, u.ID)
	s.sessions.Put(ctx, sessSeen, s.now().Unix())
	c.Set(ctxUser, &u)
	// The last sign-in is written with the audit row: no extra write.
	s.auditWith(c, db.AuditEvent{Action: "signin", Subject: u.Email}, func(tx *db.Queries) error {
		return tx.SetLastSignIn(ctx, u.ID, s.now())
	})
	return nil
}

// Sign-in throttling: at most this many failures in throttleWindow.
const (
	throttleWindow        = 15 * time.Minute
	maxFailuresPerAccount = 5
	maxFailuresPerIP      = 30
)

func (s *Server) signOut(c echo.Context) error {
	ctx := c.Request().Context()
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/signin")
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) {
		return "/courses"
	}
	return next
}

// audit records an event with the caller and their address. A failure to audit
// is logged, not shown: the user's action already happened.
func (s *Server) audit(c echo.Context, e db.AuditEvent) { s.auditWith(c, e, nil) }

// auditWith records e in one transaction with also (nil: nothing else).
func (s *Server) auditWith(c echo.Context, e db.AuditEvent, also func(tx *db.Queries) error) {
	e.At = s.now()
	e.RemoteIP = c.RealIP()
	if u := currentUser(c); u != nil && e.UserID == 0 {
		e.UserID = u.ID
	}
	if t := currentCourseToken(c); t != nil {
		e.Actor = tokenActor(t)
	}
	if ca := currentCourse(c); ca != nil && e.CourseID == 0 {
		e.CourseID = ca.Course.ID
	}
	err := s.db.InTx(c.Request().Context(), func(tx *db.Queries) error {
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		return tx.InsertAuditEvent(c.Request().Context(), e)
	})
	if err != nil {
		s.log.Error("audit", "action", e.Action, "err", err)
	}
}
