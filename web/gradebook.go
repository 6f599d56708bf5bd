package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/gradebook"
	"coursevault/views"
)

// previewScores is how many scores to set or change the preview lists.
const previewScores = 500

func bookURL(ca *courseAccess) string { return fmt.Sprintf("/courses/%d/performance", ca.Course.ID) }

// canImportGrades: course admins and teachers; TAs see the book but do not
// overwrite it from a file.
func canImportGrades(ca *courseAccess) bool {
	return ca.Role == db.RoleAdmin || ca.Role == db.RoleTeacher
}

// gradebookForm is the book page's upload form, for those who may use it.
func gradebookForm(ca *courseAccess, errMsg string) *views.GradebookForm {
	if !canImportGrades(ca) {
		return nil
	}
	return &views.GradebookForm{URL: bookURL(ca) + "/gradebook", MaxSize: files.FormatSize(gradebook.MaxSize), Error: errMsg}
}

// gradebookPreviewView turns a preview into the page's view model.
func gradebookPreviewView(ca *courseAccess, filename string, p gradebook.Preview) views.GradebookPreview {
	v := views.GradebookPreview{Header: courseHeader(ca, "Performance book"), Filename: filename, Format: p.Format, Matched: p.Matched,
		Set: len(p.Set), Changed: len(p.Change), Unchanged: p.Unchanged, BookURL: bookURL(ca)}
	for _, u := range p.Unknown {
		v.Unknown = append(v.Unknown, views.GradebookUnknown{Line: strconv.Itoa(u.Line), Who: u.Who})
	}
	for _, a := range p.NewAssignments {
		v.NewAssignments = append(v.NewAssignments, views.GradebookAssignment{Name: a.Name, Key: a.Key, Points: gradebook.FormatPoints(a.Points)})
	}
	for _, list := range [][]gradebook.Change{p.Change, p.Set} {
		for _, ch := range list {
			if len(v.Scores) == previewScores {
				v.MoreScores++
				continue
			}
			sc := views.GradebookScore{Line: strconv.Itoa(ch.Line), Student: ch.Student, Assignment: ch.Assignment,
				To: gradebook.FormatPoints(ch.To) + " / " + gradebook.FormatPoints(ch.Points)}
			if ch.From != nil {
				sc.From = gradebook.FormatPoints(*ch.From)
			}
			v.Scores = append(v.Scores, sc)
		}
	}
	v.Errors = previewErrors(p.Errors)
	return v
}

// previewGradebook reads an uploaded gradebook file and shows what applying
// it would do, writing nothing to the course. A file without bad cells is
// kept (see files.Keep) so Apply uses exactly the bytes previewed.
func (s *Server) previewGradebook(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	u := currentUser(c)
	up, status, msg, err := readUpload(c, gradebook.MaxSize)
	if err != nil || msg != "" {
		return errOr(err, func() error { return s.renderBook(c, status, msg) })
	}
	_, p, err := gradebook.PlanFile(ctx, s.db.Queries, ca.Course.ID, bytes.NewReader(up.Data))
	if err != nil {
		return s.gradebookRefused(c, err)
	}
	v := gradebookPreviewView(ca, up.Name, p)
	status = http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		f, err := s.files.Keep(ctx, files.PurposeGradebook, ca.Course.ID, u.ID, up.Name, bytes.NewReader(up.Data))
		if err != nil {
			return err
		}
		v.ApplyURL, v.Token = bookURL(ca)+"/gradebook/apply", f.Token
	}
	return s.render(c, status, views.GradebookPreviewView(s.page(c, "Gradebook preview · "+ca.Course.Code), v))
}

// gradebookRefused shows why a whole file was refused; other errors stay errors.
func (s *Server) gradebookRefused(c echo.Context, err error) error {
	status, msg, ok := refusal(err)
	if !ok {
		return err
	}
	return s.renderBook(c, status, msg)
}

// applyGradebook applies the file a preview kept, planning it again in the
// write transaction: scores changed since the preview are compared again.
func (s *Server) applyGradebook(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	f, rc, err := s.openKept(c, files.PurposeGradebook)
	if errors.Is(err, files.ErrNotFound) {
		return s.renderBook(c, http.StatusGone, errUploadGone)
	}
	if err != nil {
		return err
	}
	file, err := gradebook.Read(rc)
	rc.Close()
	if err != nil {
		return s.gradebookRefused(c, err)
	}
	p, n, err := gradebook.Apply(ctx, s.db, ca.Course.ID, file, s.now())
	if err != nil {
		return err
	}
	s.dropKept(c, f)
	if len(p.Errors) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, views.GradebookPreviewView(s.page(c, "Gradebook preview · "+ca.Course.Code),
			gradebookPreviewView(ca, f.Filename, p)))
	}
	s.audit(c, db.AuditEvent{Action: "gradebook.apply", Subject: f.Filename, Detail: n.String()})
	s.sessions.Put(ctx, "notice", "Gradebook applied: "+n.String()+".")
	return c.Redirect(http.StatusSeeOther, bookURL(ca))
}
