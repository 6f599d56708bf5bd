package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"

	"github.com/labstack/echo/v4"

	"coursevault/web/auth"
)

// CSRF tokens are computed, never stored, so that a stranger's request
// writes nothing (issue 18). Both kinds are an HMAC under the server's key
// (server_keys 'csrf', written once by migration 0019 and shared by every
// instance on the database, so tokens survive restarts and load balancing):
//
//   - With a session (signed in, or a session that lapsed from idleness),
//     the token is bound to the session: HMAC("session", session token). It
//     is as strong as the stored per-session token it replaces — unguessable
//     without the key, different for every session, and new at sign-in
//     because startSession renews the session token — and costs no write.
//   - Without a session (the sign-in form, set-password links, error pages),
//     a signed double-submit cookie: the cookie holds a random nonce, the
//     form carries HMAC("anonymous", nonce). A page elsewhere can neither
//     read the cookie nor sign a nonce of its own. Over HTTPS the cookie is
//     __Host- prefixed, so a sibling subdomain cannot plant one either.
//
// Which kind a request needs is decided by the session alone, the same way
// on the page that renders the form and on the POST that submits it.

const csrfNonceBytes = 32

// csrfCookieName is the anonymous nonce's cookie (__Host- when Secure).
func (s *Server) csrfCookieName() string {
	if s.sessions.Cookie.Secure {
		return "__Host-coursevault_csrf"
	}
	return "coursevault_csrf"
}

func (s *Server) signCSRF(kind, value string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// expectedCSRF is the token this request's forms must carry: "" when it has
// neither a session nor a well-formed nonce cookie.
func (s *Server) expectedCSRF(c echo.Context) string {
	if tok := s.sessions.Token(c.Request().Context()); tok != "" {
		return s.signCSRF("session", tok)
	}
	if ck, err := c.Cookie(s.csrfCookieName()); err == nil && isHex(ck.Value, 2*csrfNonceBytes) {
		return s.signCSRF("anonymous", ck.Value)
	}
	return ""
}

// csrfToken is the token for the forms of the page being rendered. Without
// a session or nonce it sets a fresh nonce cookie: a header, not a row.
func (s *Server) csrfToken(c echo.Context) string {
	if t := s.expectedCSRF(c); t != "" {
		return t
	}
	nonce := auth.RandomHex(csrfNonceBytes)
	c.SetCookie(&http.Cookie{Name: s.csrfCookieName(), Value: nonce, Path: "/",
		HttpOnly: true, Secure: s.sessions.Cookie.Secure, SameSite: http.SameSiteLaxMode})
	// Later calls while rendering this page must sign the same nonce.
	c.Request().AddCookie(&http.Cookie{Name: s.csrfCookieName(), Value: nonce})
	return s.signCSRF("anonymous", nonce)
}

// checkCSRF requires, on every unsafe method of a browser request, the
// expected token in the X-CSRF-Token header (htmx) or the _csrf form field.
// Bearer-token API calls (either kind) carry no cookies to ride on and need none.
func (s *Server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if bearer, _ := c.Get(ctxBearer).(bool); bearer {
			return next(c)
		}
		want := s.expectedCSRF(c)
		got := c.Request().Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("_csrf")
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from coursevault. Reload the page and try again.")
		}
		return next(c)
	}
}

func isHex(v string, n int) bool {
	if len(v) != n {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}
