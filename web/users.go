package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/views"
	"coursevault/web/auth"
)

// usersPerPage is how many users Admin → Users shows at a time.
const usersPerPage = 50

// usersURL is the list at search q, page n.
func usersURL(q string, n int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	if len(v) == 0 {
		return "/admin/users"
	}
	return "/admin/users?" + v.Encode()
}

// listPosition reads the search and page of a list request or of an action's
// form (which carries them to come back to the same list).
func listPosition(c echo.Context) (q string, page int) {
	q = strings.TrimSpace(c.FormValue("q"))
	page, err := strconv.Atoi(c.FormValue("page"))
	if err != nil || page < 1 {
		page = 1
	}
	return q, page
}

func (s *Server) userRow(it db.UserListItem, q string, page int, me *db.User) views.UserRow {
	r := views.UserRow{
		ID: fmt.Sprintf("user-%d", it.ID), URL: fmt.Sprintf("/admin/users/%d", it.ID),
		Email: it.Email, Name: it.Name, SiteAdmin: it.SiteAdmin, Disabled: it.Disabled, HasPassword: it.PasswordHash != "",
		Self: me != nil && me.ID == it.ID, Courses: strconv.Itoa(it.Courses), Created: s.when(it.CreatedAt),
		LinkPending: !it.LinkExpires.IsZero(), Query: q, Page: page,
	}
	if r.LinkPending {
		r.LinkExpires = s.when(it.LinkExpires)
	}
	return r
}

// usersList reads one page of the search.
func (s *Server) usersList(c echo.Context, q string, page int) (views.UsersPage, error) {
	ctx := c.Request().Context()
	total, err := s.db.CountUsers(ctx, q)
	if err != nil {
		return views.UsersPage{}, err
	}
	list, err := s.db.Users(ctx, q, s.now(), usersPerPage, (page-1)*usersPerPage)
	if err != nil {
		return views.UsersPage{}, err
	}
	t := views.UsersPage{Query: q, Rows: make([]views.UserRow, len(list))}
	for i, it := range list {
		t.Rows[i] = s.userRow(it, q, page, currentUser(c))
	}
	first := (page-1)*usersPerPage + 1
	switch {
	case total == 0 && q != "":
		t.Summary = fmt.Sprintf("No user's email or name contains %q.", q)
	case total == 0:
		t.Summary = "No users yet."
	case len(list) == 0:
		t.Summary = fmt.Sprintf("No users on this page; there are %d in all.", total)
	default:
		t.Summary = fmt.Sprintf("Users %d–%d of %d", first, first+len(list)-1, total)
	}
	if page > 1 {
		t.PrevURL = usersURL(q, min(page-1, max(1, (total+usersPerPage-1)/usersPerPage)))
	}
	if page*usersPerPage < total {
		t.NextURL = usersURL(q, page+1)
	}
	return t, nil
}

// usersPage is Admin → Users. Active search (htmx) gets the list only; a
// history restore, which htmx asks for with the same header, the whole page.
func (s *Server) usersPage(c echo.Context) error {
	q, page := listPosition(c)
	t, err := s.usersList(c, q, page)
	if err != nil {
		return err
	}
	if isHTMX(c) && c.Request().Header.Get("HX-History-Restore-Request") != "true" {
		return s.render(c, http.StatusOK, views.UsersList(t, s.csrfToken(c)))
	}
	return s.render(c, http.StatusOK, views.UsersPageView(s.page(c, "Users"), t))
}

// loadUser resolves :uid.
func (s *Server) loadUser(c echo.Context) (db.User, error) {
	id, err := strconv.ParseInt(c.Param("uid"), 10, 64)
	if err != nil || id <= 0 {
		return db.User{}, echo.ErrNotFound
	}
	u, err := s.db.UserByID(c.Request().Context(), id)
	if errors.Is(err, db.ErrNotFound) {
		return db.User{}, echo.ErrNotFound
	}
	return u, err
}

// userAction changes one user's account: disable, enable, promote (make
// site admin), demote, or revoke-link. Admins cannot lock themselves out.
func (s *Server) userAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		target, err := s.loadUser(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		self := currentUser(c).ID == target.ID
		var write func(tx *db.Queries) error
		var notice string
		audited := "user." + action
		switch action {
		case "disable":
			if self {
				return echo.NewHTTPError(http.StatusForbidden, "You cannot disable your own account; another site admin can.")
			}
			write = func(tx *db.Queries) error { return tx.SetUserDisabled(ctx, target.ID, true) }
			notice = target.Email + " is disabled: their sessions and personal tokens no longer work."
		case "enable":
			write = func(tx *db.Queries) error { return tx.SetUserDisabled(ctx, target.ID, false) }
			notice = target.Email + " is enabled."
		case "promote":
			write = func(tx *db.Queries) error { return tx.SetSiteAdmin(ctx, target.ID, true) }
			notice = target.Email + " is now a site admin."
		case "demote":
			if self {
				return echo.NewHTTPError(http.StatusForbidden, "You cannot remove your own site admin role; another site admin can.")
			}
			write = func(tx *db.Queries) error { return tx.SetSiteAdmin(ctx, target.ID, false) }
			notice = target.Email + " is no longer a site admin."
		case "revoke-link":
			write = func(tx *db.Queries) error {
				n, err := tx.RevokePasswordLinks(ctx, target.ID, s.now())
				if err == nil && n == 0 {
					return echo.NewHTTPError(http.StatusConflict, "That person has no unused set-password link to revoke.")
				}
				return err
			}
			notice = "The set-password link of " + target.Email + " no longer works."
			audited = "user.link.revoke"
		default:
			return fmt.Errorf("web: unknown user action %q", action)
		}
		if err := s.db.InTx(ctx, write); err != nil {
			return err
		}
		s.audit(c, db.AuditEvent{Action: audited, Subject: target.Email})
		return s.userDone(c, target.ID, notice, nil)
	}
}

// createPasswordLink makes a set-password link for :uid and shows it once:
// in the row (htmx) or above the list (a plain post answers with the page,
// as the link cannot wait in a redirect).
func (s *Server) createPasswordLink(c echo.Context) error {
	target, err := s.loadUser(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, hash := auth.NewLinkToken()
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Queries) error {
		_, err := tx.InsertPasswordLink(ctx, db.PasswordLink{UserID: target.ID, TokenHash: hash, CreatedBy: currentUser(c).ID,
			CreatedAt: now, ExpiresAt: now.Add(auth.PasswordLinkTTL)})
		return err
	})
	if err != nil {
		return err
	}
	s.audit(c, db.AuditEvent{Action: "user.link", Subject: target.Email})
	link := &views.LinkBox{Email: target.Email, URL: auth.PasswordLinkURL(s.baseURL(c), token), Expires: s.when(now.Add(auth.PasswordLinkTTL))}
	if isHTMX(c) {
		return s.userDone(c, target.ID, "Set-password link made for "+target.Email+"; copy it now.", link)
	}
	q, page := listPosition(c)
	t, err := s.usersList(c, q, page)
	if err != nil {
		return err
	}
	t.Link = link
	return s.render(c, http.StatusOK, views.UsersPageView(s.page(c, "Users"), t))
}

// userDone answers an action: htmx gets the user's row redrawn and the notice
// announced; a plain form goes back to its list with the notice.
func (s *Server) userDone(c echo.Context, id int64, notice string, link *views.LinkBox) error {
	q, page := listPosition(c)
	if isHTMX(c) {
		it, err := s.db.UserListItemByID(c.Request().Context(), id, s.now())
		if err != nil {
			return err
		}
		r := s.userRow(it, q, page, currentUser(c))
		r.Link = link
		hxTrigger(c, "notice", notice)
		return s.render(c, http.StatusOK, views.UserRowView(r, s.csrfToken(c)))
	}
	s.sessions.Put(c.Request().Context(), "notice", notice)
	return c.Redirect(http.StatusSeeOther, usersURL(q, page))
}

// baseURL is the site's public address: the configured one, else the one
// this request came to.
func (s *Server) baseURL(c echo.Context) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return c.Scheme() + "://" + c.Request().Host
}

// hxTrigger asks htmx to fire event with message (app.js announces it).
func hxTrigger(c echo.Context, event, message string) {
	b, _ := json.Marshal(map[string]string{event: message})
	c.Response().Header().Set("HX-Trigger", string(b))
}
