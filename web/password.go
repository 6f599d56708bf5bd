package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/views"
	"coursevault/web/auth"
)

// Opening a link that is not pending is audited as this action, and
// throttled per address like failed sign-ins (the tokens are 256 random
// bits; the throttle keeps scanners out of the log's way more than guesses).
const actionBadLink = "password.link.bad"

// errLinkGone answers a link that is used, revoked, expired or unknown: all
// alike, so none tells which (handleError names 410 "This link has expired").
var errLinkGone = echo.NewHTTPError(http.StatusGone, "A set-password link works once and for a limited time. Ask a site admin for a new one.")

// pendingLink finds the pending link of :token, throttled per address.
func (s *Server) pendingLink(c echo.Context) (db.PasswordLink, db.User, error) {
	ctx := c.Request().Context()
	_, byIP, err := s.db.CountRecentEvents(ctx, actionBadLink, "", c.RealIP(), s.now().Add(-throttleWindow))
	if err != nil {
		return db.PasswordLink{}, db.User{}, err
	}
	if byIP >= maxFailuresPerIP {
		return db.PasswordLink{}, db.User{}, echo.NewHTTPError(http.StatusTooManyRequests,
			fmt.Sprintf("Too many expired or unknown links were opened from your address. Wait %d minutes and try again.", int(throttleWindow.Minutes())))
	}
	l, u, err := s.db.PendingPasswordLink(ctx, auth.HashAccessToken(c.Param("token")), s.now())
	if errors.Is(err, db.ErrNotFound) {
		s.audit(c, db.AuditEvent{Action: actionBadLink})
		return l, u, errLinkGone
	}
	return l, u, err
}

// passwordForm is the page a set-password link opens: anyone holding the
// link may use it, signed in or not.
func (s *Server) passwordForm(c echo.Context) error {
	_, u, err := s.pendingLink(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.SetPasswordPage(s.page(c, "Set your password"),
		views.SetPasswordForm{Email: u.Email, Action: c.Request().URL.Path}))
}

// setPassword sets the password of the link's user, uses the link up and
// signs them in. It enables nothing: a disabled account stays disabled.
func (s *Server) setPassword(c echo.Context) error {
	l, u, err := s.pendingLink(c)
	if err != nil {
		return err
	}
	password, repeat := c.FormValue("password"), c.FormValue("repeat")
	form := views.SetPasswordForm{Email: u.Email, Action: c.Request().URL.Path}
	form.PasswordError, form.RepeatError = passwordProblems(u.Email, password, repeat)
	if form.PasswordError != "" || form.RepeatError != "" {
		return s.render(c, http.StatusBadRequest, views.SetPasswordPage(s.page(c, "Set your password"), form))
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = s.db.InTx(ctx, func(tx *db.Queries) error {
		if err := tx.UsePasswordLink(ctx, l.ID, s.now()); err != nil {
			return err
		}
		return tx.SetPassword(ctx, u.ID, hash)
	})
	if errors.Is(err, db.ErrNotFound) {
		return errLinkGone // used or revoked since the lookup
	}
	if err != nil {
		return err
	}
	s.audit(c, db.AuditEvent{Action: "user.password", UserID: u.ID, Subject: u.Email})
	if u.Disabled {
		// The one session a non-signed-in request writes: it took a valid
		// one-time link an admin issued, so at most one per link.
		s.sessions.Put(ctx, "notice", "Your password is set, but your account is disabled. Ask a site admin to enable it.")
		return c.Redirect(http.StatusSeeOther, "/signin")
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	s.sessions.Put(ctx, "notice", "Your password is set and you are signed in.")
	return c.Redirect(http.StatusSeeOther, "/courses")
}

// passwordProblems checks a new password (typed twice) for the account
// email, and says what is wrong next to each field ("" when right).
func passwordProblems(email, password, repeat string) (passwordErr, repeatErr string) {
	switch {
	case utf8.RuneCountInString(password) < auth.MinPasswordLength:
		passwordErr = fmt.Sprintf("Password: use at least %d characters.", auth.MinPasswordLength)
	case len(password) > auth.MaxPasswordBytes:
		passwordErr = fmt.Sprintf("Password: use at most %d characters (fewer with accents or symbols).", auth.MaxPasswordBytes)
	case strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)):
		passwordErr = "Password: choose something other than your email address."
	case password != repeat:
		repeatErr = "Repeat: the two passwords differ. Type the same password in both fields."
	}
	return passwordErr, repeatErr
}
