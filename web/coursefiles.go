package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/views"
)

func courseFilesURL(ca *courseAccess) string { return fmt.Sprintf("/courses/%d/files", ca.Course.ID) }

func (s *Server) staticRow(c echo.Context, st files.Static) views.StaticRow {
	base := fmt.Sprintf("%s/%d", courseFilesURL(currentCourse(c)), st.ID)
	return views.StaticRow{ID: fmt.Sprintf("static-%d", st.ID), Path: st.Path, URL: st.File.URL(), Size: files.FormatSize(st.File.Size),
		Type: st.File.ContentType, Uploaded: s.when(st.CreatedAt), RenameURL: base + "/rename", DeleteURL: base + "/delete",
		NewPath: st.Path, CSRFToken: s.csrfToken(c)}
}

// filesBody is the Files tab's upload form and list.
func (s *Server) filesBody(c echo.Context, folder, uploadErr, uploaded string) (views.FilesBody, error) {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	list, err := s.files.ListStatic(ctx, ca.Course.ID)
	if err != nil {
		return views.FilesBody{}, err
	}
	used, err := s.files.Usage(ctx, files.Course(ca.Course.ID))
	if err != nil {
		return views.FilesBody{}, err
	}
	v := views.FilesBody{UploadURL: courseFilesURL(ca), Folder: folder, UploadError: uploadErr, Uploaded: uploaded,
		MaxSize: files.FormatSize(s.cfg.MaxCourseFile), CSRFToken: s.csrfToken(c), Rows: make([]views.StaticRow, len(list))}
	var total int64
	for i, st := range list {
		v.Rows[i] = s.staticRow(c, st)
		total += st.File.Size
	}
	v.Usage = fmt.Sprintf("%s in %s; with exports the course uses %s of its %s quota.",
		files.FormatSize(total), plural(int64(len(list)), "file", "files"), files.FormatSize(used), files.FormatSize(s.files.Quota()))
	return v, nil
}

// filesState is what the Files tab shows beyond the list: the upload
// form's input and outcome, or a row refused a rename.
type filesState struct {
	folder, uploadErr, uploaded string
	row                         *views.StaticRow // replaces the row with its ID
}

func (s *Server) renderFiles(c echo.Context, status int, st filesState) error {
	ca := currentCourse(c)
	body, err := s.filesBody(c, st.folder, st.uploadErr, st.uploaded)
	if err != nil {
		return err
	}
	for i := range body.Rows {
		if st.row != nil && body.Rows[i].ID == st.row.ID {
			body.Rows[i] = *st.row
		}
	}
	if isHTMX(c) {
		return s.render(c, http.StatusOK, views.FilesBodyView(body))
	}
	return s.render(c, status, views.FilesPageView(s.page(c, "Files · "+ca.Course.Code), views.FilesPage{
		Header: courseHeader(ca, "Files"), Body: body}))
}

func (s *Server) filesPage(c echo.Context) error {
	return s.renderFiles(c, http.StatusOK, filesState{})
}

// uploadFiles stores every file of the form under its folder, streaming
// each part to the store. Files stored before a refused one stay stored
// (each is its own commit); the message names them.
func (s *Server) uploadFiles(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	var done []string
	var bytes int64
	folder, err := eachUpload(c.Request(), func(folder, name string, r io.Reader) error {
		p := name
		if folder != "" {
			p = folder + "/" + name
		}
		st, replaced, err := s.files.PutStatic(ctx, ca.Course.ID, files.StaticInput{Path: p, CreatedBy: currentUser(c).ID, MaxSize: s.cfg.MaxCourseFile}, r)
		if err != nil {
			return err
		}
		s.auditStatic(c, "static.upload", st, replaced)
		done, bytes = append(done, st.Path), bytes+st.File.Size
		return nil
	})
	if err != nil {
		msg, status, ok := staticRefusal(err)
		if !ok {
			return err
		}
		if len(done) > 0 {
			msg += fmt.Sprintf(" Uploaded before it: %s.", strings.Join(done, ", "))
		}
		return s.renderFiles(c, status, filesState{folder: folder, uploadErr: msg})
	}
	note := fmt.Sprintf("Uploaded %s (%s).", plural(int64(len(done)), "file", "files"), files.FormatSize(bytes))
	if isHTMX(c) {
		return s.renderFiles(c, http.StatusOK, filesState{folder: folder, uploaded: note})
	}
	s.sessions.Put(ctx, "notice", note)
	return c.Redirect(http.StatusSeeOther, courseFilesURL(ca))
}

// errNoFiles: the form carried no file.
var errNoFiles = errors.New("no files")

// eachUpload calls fn for each file of the upload form's "files" field, in
// order, with the "folder" field (which the form puts first) trimmed of
// slashes. A form not yet parsed is streamed part by part; one the CSRF check
// already parsed (a plain form post) is read from its parsed copy.
func eachUpload(req *http.Request, fn func(folder, name string, r io.Reader) error) (folder string, err error) {
	n := 0
	put := func(name string, r io.Reader) error {
		n++
		return fn(folder, uploadName(name), r)
	}
	if req.MultipartForm != nil {
		folder = cleanFolder(req.MultipartForm.Value["folder"])
		for _, fh := range req.MultipartForm.File["files"] {
			if fh.Filename == "" {
				continue
			}
			if err := openPart(fh, put); err != nil {
				return folder, err
			}
		}
	} else {
		mr, err := req.MultipartReader()
		if err != nil {
			return "", errNoFiles
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return folder, fmt.Errorf("read upload: %w", err)
			}
			switch {
			case part.FormName() == "folder":
				b, _ := io.ReadAll(io.LimitReader(part, 2048))
				folder = cleanFolder([]string{string(b)})
			case part.FormName() == "files" && part.FileName() != "":
				if err := put(part.FileName(), part); err != nil {
					return folder, err
				}
			}
		}
	}
	if n == 0 {
		return folder, errNoFiles
	}
	return folder, nil
}

func openPart(fh *multipart.FileHeader, put func(string, io.Reader) error) error {
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	return put(fh.Filename, f)
}

func cleanFolder(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return strings.Trim(strings.TrimSpace(v[0]), "/")
}

// uploadName is the last part of the name a browser sent (old browsers
// send the whole client path, with either separator).
func uploadName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// staticRefusal turns a refused upload, rename or path into a sentence and
// its status; ok is false for errors that are not the user's.
func staticRefusal(err error) (msg string, status int, ok bool) {
	var pe *files.PathError
	var qe *files.QuotaError
	var se *files.SizeError
	var mb *http.MaxBytesError
	switch {
	case errors.Is(err, errNoFiles):
		return "Choose one or more files to upload.", http.StatusBadRequest, true
	case errors.As(err, &pe):
		return fmt.Sprintf("The path %q is refused: it %s.", pe.Path, pathWhy(pe.Why)), http.StatusBadRequest, true
	case errors.As(err, &qe):
		return sentence(qe.Error()), http.StatusRequestEntityTooLarge, true
	case errors.As(err, &se):
		return sentence(se.Error()), http.StatusRequestEntityTooLarge, true
	case errors.As(err, &mb):
		return sentence((&files.SizeError{Limit: mb.Limit}).Error()), http.StatusRequestEntityTooLarge, true
	case errors.Is(err, files.ErrPathTaken):
		return "The course already has a file at that path: delete or rename that one first.", http.StatusConflict, true
	}
	return "", 0, false
}

// pathWhy turns CleanStaticPath's reason into words after "it".
func pathWhy(why string) string {
	switch why {
	case "empty":
		return "is empty or has an empty part"
	case "absolute":
		return "starts with a slash"
	}
	if strings.HasPrefix(why, "contains") || strings.HasPrefix(why, "has") {
		return why
	}
	return "is " + why
}

// loadStatic finds the course's file :fid (404 otherwise).
func (s *Server) loadStatic(c echo.Context) (files.Static, error) {
	id, err := strconv.ParseInt(c.Param("fid"), 10, 64)
	if err != nil || id <= 0 {
		return files.Static{}, echo.ErrNotFound
	}
	st, err := s.files.StaticByID(c.Request().Context(), currentCourse(c).Course.ID, id)
	if errors.Is(err, files.ErrNotFound) {
		return files.Static{}, echo.ErrNotFound
	}
	return st, err
}

// renameFile moves a file to the path in the form; a clash or a bad path is
// shown on the file's row with the typed path kept.
func (s *Server) renameFile(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	st, err := s.loadStatic(c)
	if err != nil {
		return err
	}
	to := strings.TrimSpace(c.FormValue("path"))
	moved, err := s.files.RenameStatic(ctx, ca.Course.ID, st.ID, to)
	if errors.Is(err, files.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		msg, status, ok := staticRefusal(err)
		if !ok {
			return err
		}
		row := s.staticRow(c, st)
		row.NewPath, row.Error = to, msg
		if isHTMX(c) {
			return s.render(c, http.StatusOK, views.StaticRowView(row))
		}
		return s.renderFiles(c, status, filesState{row: &row})
	}
	if moved.Path != st.Path {
		s.audit(c, db.AuditEvent{Action: "static.rename", CourseID: ca.Course.ID, Subject: moved.Path, Detail: "from " + st.Path})
	}
	if isHTMX(c) {
		return s.render(c, http.StatusOK, views.StaticRowView(s.staticRow(c, moved)))
	}
	s.sessions.Put(ctx, "notice", fmt.Sprintf("Renamed %s to %s.", st.Path, moved.Path))
	return c.Redirect(http.StatusSeeOther, courseFilesURL(ca))
}

// deleteFile asks first (a page without JavaScript; htmx confirms in the
// browser and sends confirm=1), then deletes the file and its bytes.
func (s *Server) deleteFile(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	st, err := s.loadStatic(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "1" {
		return s.render(c, http.StatusOK, views.DeleteFileConfirmView(s.page(c, "Delete · "+ca.Course.Code), views.DeleteFileConfirm{
			Header: courseHeader(ca, "Files"), Path: st.Path, DeleteURL: c.Request().URL.Path, FilesURL: courseFilesURL(ca)}))
	}
	if err := s.deleteStatic(c, st); err != nil {
		return err
	}
	if isHTMX(c) {
		return c.HTML(http.StatusOK, "") // the row goes
	}
	s.sessions.Put(ctx, "notice", fmt.Sprintf("Deleted %s.", st.Path))
	return c.Redirect(http.StatusSeeOther, courseFilesURL(ca))
}

// deleteStatic deletes a course file and audits it; gone already is 404.
func (s *Server) deleteStatic(c echo.Context, st files.Static) error {
	err := s.files.DeleteStatic(c.Request().Context(), st)
	if errors.Is(err, files.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	s.audit(c, db.AuditEvent{Action: "static.delete", CourseID: st.CourseID, Subject: st.Path, Detail: files.FormatSize(st.File.Size)})
	return nil
}

// auditStatic records one stored file.
func (s *Server) auditStatic(c echo.Context, action string, st files.Static, replaced bool) {
	detail := files.FormatSize(st.File.Size) + ", " + st.File.ContentType
	if replaced {
		detail += ", replaced the file at that path"
	}
	s.audit(c, db.AuditEvent{Action: action, CourseID: st.CourseID, Subject: st.Path, Detail: detail})
}

// staticPathParam is the *path of a files API route, unescaped (Echo
// leaves it escaped when the request's path needed escaping).
func staticPathParam(c echo.Context) string {
	p := c.Param("*")
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	return p
}

// apiStaticFile is one course file in the files API.
type apiStaticFile struct {
	Path        string    `json:"path"`
	URL         string    `json:"url"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type,omitempty"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
}

func (s *Server) apiStatic(st files.Static) apiStaticFile {
	return apiStaticFile{Path: st.Path, URL: s.absURL(st.File.URL()), Size: st.File.Size, SHA256: st.File.SHA256,
		ContentType: st.File.ContentType, CreatedAt: st.CreatedAt}
}

// apiListFiles answers GET /api/courses/:id/files: every course file by path.
func (s *Server) apiListFiles(c echo.Context) error {
	list, err := s.files.ListStatic(c.Request().Context(), currentCourse(c).Course.ID)
	if err != nil {
		return err
	}
	out := make([]apiStaticFile, len(list))
	for i, st := range list {
		out[i] = s.apiStatic(st)
	}
	return c.JSON(http.StatusOK, out)
}

// apiPutFile streams the raw body to the course file at *path: 201 when
// new, 200 when it replaced the file there. Its type is the request's
// Content-Type, or derived from the extension and the bytes.
func (s *Server) apiPutFile(c echo.Context) error {
	req := c.Request()
	ca := currentCourse(c)
	if req.ContentLength > s.cfg.MaxCourseFile {
		msg, status, _ := staticRefusal(&files.SizeError{Limit: s.cfg.MaxCourseFile})
		return echo.NewHTTPError(status, msg)
	}
	st, replaced, err := s.files.PutStatic(req.Context(), ca.Course.ID, files.StaticInput{Path: staticPathParam(c),
		ContentType: req.Header.Get(echo.HeaderContentType), CreatedBy: currentUser(c).ID, MaxSize: s.cfg.MaxCourseFile}, req.Body)
	if err != nil {
		if msg, status, ok := staticRefusal(err); ok {
			return echo.NewHTTPError(status, msg)
		}
		return err
	}
	s.auditStatic(c, "static.upload", st, replaced)
	out := s.apiStatic(st)
	out.ContentType, out.CreatedAt = "", time.Time{}
	if replaced {
		return c.JSON(http.StatusOK, out)
	}
	return c.JSON(http.StatusCreated, out)
}

// apiDeleteFile deletes the course file at *path: 204, or 404 when there is none.
func (s *Server) apiDeleteFile(c echo.Context) error {
	st, err := s.files.StaticByPath(c.Request().Context(), currentCourse(c).Course.ID, staticPathParam(c))
	if errors.Is(err, files.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "The course has no file at that path.")
	}
	if err != nil {
		return err
	}
	if err := s.deleteStatic(c, st); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
