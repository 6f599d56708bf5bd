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

// The tokens section sits on the Settings tab; its actions answer htmx with
// the section alone and plain forms with the whole Settings page.

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
	return c.Redirect(http.StatusSeeOther, settingsURL(ca.Course.ID)+"#course-tokens")
}

func tokensURL(ca *courseAccess) string { return settingsURL(ca.Course.ID) + "/tokens" }

// renderTokens renders the tokens section (htmx) or the Settings page with it.
func (s *Server) renderTokens(c echo.Context, status int, v views.CourseTokens) error {
	if !isHTMX(c) {
		return s.renderSettings(c, status, settingsParts{tokens: &v})
	}
	if err := s.fillTokens(c, &v); err != nil {
		return err
	}
	return s.render(c, status, views.TokensSection(v))
}

// fillTokens adds the course's tokens and the form's targets to v.
func (s *Server) fillTokens(c echo.Context, v *views.CourseTokens) error {
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
	return nil
}
