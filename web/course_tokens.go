package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/views"
	"coursevault/web/auth"
)

// The tokens section is served on its own page for now; the handlers render
// only views.TokensSection for htmx, so the section can move to another tab.

func (s *Server) tokensPage(c echo.Context) error {
	return s.renderTokens(c, http.StatusOK, views.CourseTokens{})
}

// createToken makes a course token and shows it once. Without JavaScript the
// answer is the page itself, not a redirect: the token must not travel in a
// URL or sit in the session to survive one.
func (s *Server) createToken(c echo.Context) error {
	ca := currentCourse(c)
	name := strings.TrimSpace(c.FormValue("name"))
	if msg := tokenNameProblem(name); msg != "" {
		status := http.StatusBadRequest
		if isHTMX(c) {
			status = http.StatusOK // htmx swaps only 2xx answers; the error shows in the section
		}
		return s.renderTokens(c, status, views.CourseTokens{Name: name, Error: msg})
	}
	token, hash := auth.NewCourseToken()
	ctx := c.Request().Context()
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Queries) error {
		var err error
		id, err = tx.InsertCourseToken(ctx, db.CourseToken{CourseID: ca.Course.ID, Name: name, CreatedBy: currentUser(c).ID, CreatedAt: s.now()}, hash)
		return err
	})
	if err != nil {
		return err
	}
	s.audit(c, db.AuditEvent{Action: "token.create", Subject: name, Detail: fmt.Sprintf("token #%d", id)})
	return s.renderTokens(c, http.StatusOK, views.CourseTokens{NewToken: token, NewName: name})
}

func tokenNameProblem(name string) string {
	switch {
	case name == "":
		return "Name the token, for example after the script that will use it (“Autograder”)."
	case utf8.RuneCountInString(name) > db.MaxCourseTokenName:
		return fmt.Sprintf("The name is too long: at most %d characters.", db.MaxCourseTokenName)
	}
	return ""
}

func (s *Server) revokeToken(c echo.Context) error {
	ca := currentCourse(c)
	id, err := strconv.ParseInt(c.Param("tid"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	var name string
	err = s.db.InTx(ctx, func(tx *db.Queries) error {
		name, err = tx.RevokeCourseToken(ctx, ca.Course.ID, id, s.now())
		return err
	})
	if errors.Is(err, db.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	s.audit(c, db.AuditEvent{Action: "token.revoke", Subject: name, Detail: fmt.Sprintf("token #%d", id)})
	if isHTMX(c) {
		return s.renderTokens(c, http.StatusOK, views.CourseTokens{})
	}
	s.sessions.Put(ctx, "notice", fmt.Sprintf("Token “%s” revoked.", name))
	return c.Redirect(http.StatusSeeOther, tokensURL(ca))
}

func tokensURL(ca *courseAccess) string { return fmt.Sprintf("/courses/%d/tokens", ca.Course.ID) }

// renderTokens fills v with the course's tokens and renders the section
// (htmx) or the page.
func (s *Server) renderTokens(c echo.Context, status int, v views.CourseTokens) error {
	ca := currentCourse(c)
	list, err := s.db.CourseTokens(c.Request().Context(), ca.Course.ID)
	if err != nil {
		return err
	}
	v.PostURL, v.CSRF = tokensURL(ca), s.csrfToken(c)
	for _, t := range list {
		r := views.CourseTokenRow{Name: t.Name, CreatedBy: t.CreatorName, Created: s.when(t.CreatedAt), Revoked: t.RevokedAt != nil}
		if t.LastUsedAt != nil {
			r.LastUsed = s.when(*t.LastUsedAt)
		}
		if !r.Revoked {
			r.RevokeURL = fmt.Sprintf("%s/%d/revoke", v.PostURL, t.ID)
		}
		v.Rows = append(v.Rows, r)
	}
	if isHTMX(c) {
		return s.render(c, status, views.TokensSection(v))
	}
	return s.render(c, status, views.TokensPage(s.page(c, "Tokens · "+ca.Course.Code), courseHeader(ca, "Tokens"), v))
}
