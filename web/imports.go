package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/imports"
	"coursevault/views"
)

// requireSiteAdmin hides site administration from everyone else (404).
var requireSiteAdmin = onlySiteAdmins(echo.ErrNotFound)

var importStatusWords = map[string]string{
	db.JobQueued: "Queued", db.JobRunning: "Running", db.JobSucceeded: "Imported", db.JobFailed: "Failed", db.JobCancelled: "Cancelled",
}

func (s *Server) importRow(v db.ImportView) views.ImportRow {
	st := v.JobState
	if st == "" {
		st = db.JobFailed
	}
	r := views.ImportRow{
		RowState: rowState(fmt.Sprintf("import-%d", v.ID), st, importStatusWords[st], fmt.Sprintf("/admin/imports/%d", v.ID),
			st == db.JobQueued || st == db.JobRunning, v.Done, v.Total, v.Note),
		Filename: v.Filename, Code: v.Code, RequestedBy: v.RequesterName, Created: s.when(v.CreatedAt),
	}
	if r.Stage == "" {
		r.Stage = "Waiting for a worker"
	}
	switch st {
	case db.JobFailed:
		r.Error = v.LastError
		if r.Error == "" {
			r.Error = "The import failed."
		}
	case db.JobSucceeded:
		r.Status = "done"
		if v.CourseID != 0 {
			r.CourseURL, r.CourseLabel, r.Result = fmt.Sprintf("/courses/%d", v.CourseID), v.CourseCode+" · "+v.CourseName, v.Note
		}
	}
	return r
}

func (s *Server) importsPage(c echo.Context) error {
	return s.renderImports(c, http.StatusOK, "")
}

func (s *Server) renderImports(c echo.Context, status int, errMsg string) error {
	list, err := s.imports.List(c.Request().Context())
	if err != nil {
		return err
	}
	rows := make([]views.ImportRow, len(list))
	for i, v := range list {
		rows[i] = s.importRow(v)
	}
	return s.render(c, status, views.ImportsPageView(s.page(c, "Import"), views.ImportsPage{
		PostURL: "/admin/imports", MaxSize: files.FormatSize(imports.MaxUpload), Rows: rows, Error: errMsg}))
}

// uploadImport streams the uploaded archive into the file store
// (no copy in memory) and queues its import.
func (s *Server) uploadImport(c echo.Context) error {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, imports.MaxUpload+1<<20)
	code, filename, body, err := importUpload(req)
	if err != nil {
		return s.importRefused(c, err.Error())
	}
	defer body.Close()
	u := currentUser(c)
	v, err := s.imports.Upload(req.Context(), u.ID, filename, code, body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return s.importRefused(c, fmt.Sprintf("The archive is larger than %s.", files.FormatSize(imports.MaxUpload)))
	}
	if err != nil {
		return err
	}
	s.audit(c, db.AuditEvent{Action: "import.upload", Subject: filename, Detail: code})
	if isHTMX(c) {
		return s.render(c, http.StatusOK, views.ImportRowView(s.importRow(v)))
	}
	s.sessions.Put(req.Context(), "notice", "Import queued; this page shows its progress (reload to update).")
	return c.Redirect(http.StatusSeeOther, "/admin/imports")
}

// importUpload reads the form: the optional code, then the archive as a
// stream. A form already parsed (the CSRF check read a field of a plain
// form post) is read from its parsed copy instead.
func importUpload(req *http.Request) (code, filename string, body io.ReadCloser, err error) {
	if req.MultipartForm != nil {
		fh, err := formFile(req.MultipartForm)
		if err != nil {
			return "", "", nil, err
		}
		f, err := fh.Open()
		if err != nil {
			return "", "", nil, err
		}
		return strings.TrimSpace(req.FormValue("code")), fh.Filename, f, nil
	}
	mr, err := req.MultipartReader()
	if err != nil {
		return "", "", nil, errors.New("Send the archive as a file upload (multipart/form-data).")
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return "", "", nil, errors.New("Choose an archive file to import.")
		}
		switch part.FormName() {
		case "code":
			b, _ := io.ReadAll(io.LimitReader(part, 100))
			code = strings.TrimSpace(string(b))
		case "archive":
			if part.FileName() == "" {
				return "", "", nil, errors.New("Choose an archive file to import.")
			}
			// The form puts the code field before the file; browsers send
			// fields in form order, so the code is known by now.
			return code, part.FileName(), part, nil
		}
	}
}

func formFile(f *multipart.Form) (*multipart.FileHeader, error) {
	if fhs := f.File["archive"]; len(fhs) > 0 && fhs[0].Filename != "" {
		return fhs[0], nil
	}
	return nil, errors.New("Choose an archive file to import.")
}

func (s *Server) importRefused(c echo.Context, msg string) error {
	if isHTMX(c) {
		return echo.NewHTTPError(http.StatusBadRequest, msg)
	}
	return s.renderImports(c, http.StatusBadRequest, msg)
}

func (s *Server) importFragment(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("iid"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	v, err := s.imports.Get(c.Request().Context(), id)
	if errors.Is(err, db.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.ImportRowView(s.importRow(v)))
}
