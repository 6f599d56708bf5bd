package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/views"
)

// accountPage is /account: the signed-in user's own settings.
func (s *Server) accountPage(c echo.Context) error {
	u := currentUser(c)
	on, err := s.db.MailExports(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	a := views.AccountPage{Name: u.Name, Email: u.Email, Mail: views.AccountMail{MailExports: on, MailEnabled: s.cfg.MailEnabled}}
	return s.render(c, http.StatusOK, views.Account(s.page(c, "Account"), a))
}

// saveAccount saves the mail setting: the checkbox is sent when ticked.
func (s *Server) saveAccount(c echo.Context) error {
	u := currentUser(c)
	var on bool
	switch c.FormValue("mail_exports") {
	case "1", "on", "true":
		on = true
	case "", "0", "off", "false":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "mail_exports must be 1 (mail me) or left out (do not).")
	}
	ctx := c.Request().Context()
	if err := s.db.InTx(ctx, func(tx *db.Queries) error { return tx.SetMailExports(ctx, u.ID, on) }); err != nil {
		return err
	}
	detail := "off"
	if on {
		detail = "on"
	}
	s.audit(c, db.AuditEvent{Action: "account.mail", Subject: u.Email, Detail: "mail about exports " + detail})
	saved := "Saved: you get no mail about your exports."
	if on {
		saved = "Saved: you get a mail when your exports are ready or fail."
	}
	if isHTMX(c) {
		return s.render(c, http.StatusOK, views.AccountMailForm(views.AccountMail{MailExports: on, MailEnabled: s.cfg.MailEnabled, Saved: saved}, s.csrfToken(c)))
	}
	s.sessions.Put(ctx, "notice", saved)
	return c.Redirect(http.StatusSeeOther, "/account")
}
