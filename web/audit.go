package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"coursevault/views"
)

// auditWords names audit actions for people.
var auditWords = map[string]string{
	"signin": "Signed in", "signin.failed": "Sign-in failed",
	"export.generate": "Asked for an export", "export.cancel": "Cancelled an export", "export.retry": "Retried an export",
	"export.delete": "Deleted an export", "export.keep": "Kept an export", "export.unkeep": "Let an export expire",
	"file.store": "File stored", "file.download": "Downloaded", "file.expire": "File expired",
	"import.upload": "Uploaded an archive to import", "course.import": "Imported a course",
	"course.create": "Created a course", "course.edit": "Changed a course", "course.remove": "Removed a course",
	"period.add": "Added a period", "period.rename": "Renamed a period", "period.move": "Moved a period", "period.remove": "Removed a period",
	"user.disable": "Disabled a user", "user.enable": "Enabled a user", "user.promote": "Made a site admin",
	"user.demote": "Removed a site admin", "user.link": "Made a set-password link", "user.link.revoke": "Revoked a set-password link",
	"user.password": "Set a password with a link", actionBadLink: "Opened an expired or unknown set-password link",
	"token.create": "Created a course token", "token.revoke": "Revoked a course token",
	"roster.apply": "Applied a roster file", "member.add": "Added a person", "member.change": "Changed a member",
	"member.remove":  "Removed a member",
	"assignment.put": "Set an assignment (API)", "assignment.create": "Added an assignment", "assignment.edit": "Changed an assignment",
	"assignment.move": "Moved an assignment", "assignment.remove": "Removed an assignment",
	"submissions.ingest": "Took in autograder results",
	"account.mail":       "Changed their mail setting", "mail.send": "Mail sent",
}

func (s *Server) auditRows(c echo.Context, courseID int64) ([]views.AuditRow, error) {
	events, err := s.db.AuditEvents(c.Request().Context(), courseID, 200)
	if err != nil {
		return nil, err
	}
	rows := make([]views.AuditRow, len(events))
	for i, e := range events {
		r := views.AuditRow{When: s.when(e.At), Who: e.UserEmail, Action: auditWords[e.Action], Subject: e.Subject, From: e.RemoteIP, Detail: e.Detail}
		if r.Who == "" {
			r.Who = e.Actor
		}
		if r.Who == "" {
			r.Who = "the system"
		}
		if r.Action == "" {
			r.Action = e.Action
		}
		if e.CourseID != 0 {
			r.Course = fmt.Sprintf("#%d", e.CourseID)
		}
		rows[i] = r
	}
	return rows, nil
}

// courseAudit is a course admin's view of the course's audit log.
func (s *Server) courseAudit(c echo.Context) error {
	ca := currentCourse(c)
	rows, err := s.auditRows(c, ca.Course.ID)
	if err != nil {
		return err
	}
	h := courseHeader(ca, "Audit log")
	return s.render(c, http.StatusOK, views.AuditPageView(s.page(c, "Audit log · "+ca.Course.Code), views.AuditPage{Header: &h, Rows: rows}))
}

// siteAudit is the site admin's view of every event.
func (s *Server) siteAudit(c echo.Context) error {
	rows, err := s.auditRows(c, 0)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.AuditPageView(s.page(c, "Audit log"), views.AuditPage{Rows: rows}))
}
