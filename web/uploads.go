package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"coursevault/db/files"
	"coursevault/jobs/csvfile"
	"coursevault/views"
)

// This file holds what the CSV uploads (roster and gradebook files) share:
// reading the form's file for a preview, opening the kept upload for the
// apply, reading an API body, and what a refused file tells the person.

// upload is a CSV file from a preview form.
type upload struct {
	Name string
	Data []byte
}

// readUpload reads the form's "file", at most maxSize bytes. A missing or
// too large file gives the status and sentence to show (and no error).
func readUpload(c echo.Context, maxSize int64) (u upload, status int, msg string, err error) {
	fh, err := c.FormFile("file")
	if err != nil || fh.Filename == "" {
		return upload{}, http.StatusBadRequest, "Choose a CSV file to upload.", nil
	}
	if fh.Size > maxSize {
		return upload{}, http.StatusRequestEntityTooLarge, "The file is larger than " + files.FormatSize(maxSize) + ".", nil
	}
	in, err := fh.Open()
	if err != nil {
		return upload{}, 0, "", err
	}
	defer in.Close()
	data, err := io.ReadAll(io.LimitReader(in, maxSize+1))
	return upload{Name: fh.Filename, Data: data}, 0, "", err
}

// errUploadGone: the form's kept upload has expired, was applied or is not the person's.
const errUploadGone = "This preview has expired or was already applied: upload the file again."

// openKept opens the upload a preview kept for purpose (the form's
// "upload"); files.ErrNotFound when it is gone (errUploadGone).
func (s *Server) openKept(c echo.Context, purpose string) (files.File, io.ReadCloser, error) {
	ctx := c.Request().Context()
	f, err := s.files.Kept(ctx, c.FormValue("upload"), purpose, currentCourse(c).Course.ID, currentUser(c).ID, s.now())
	if err != nil {
		return files.File{}, nil, err
	}
	rc, err := s.files.Open(ctx, f)
	return f, rc, err
}

// dropKept deletes an applied upload; a failure is only logged.
func (s *Server) dropKept(c echo.Context, f files.File) {
	if err := s.files.Delete(c.Request().Context(), f); err != nil {
		s.log.Error("delete applied upload", "file", f.ID, "category", f.Owner.Type, "err", err)
	}
}

// refusal says why a whole file was refused, with its status; ok is false
// for errors that are not refusals.
func refusal(err error) (status int, msg string, ok bool) {
	var fe *csvfile.FileError
	if !errors.As(err, &fe) {
		return 0, "", false
	}
	if errors.Is(err, csvfile.ErrTooLarge) {
		return http.StatusRequestEntityTooLarge, sentence(fe.Msg), true
	}
	return http.StatusBadRequest, sentence(fe.Msg), true
}

// csvTypes are the content types a CSV API body may carry.
var csvTypes = map[string]bool{"text/csv": true, "application/csv": true, "text/plain": true, "text/tab-separated-values": true}

// readCSVBody reads an API request's CSV body with read, at most maxSize
// bytes; a wrong content type is 415, a refused file 400 (413 too large),
// each as the HTTP error to return.
func readCSVBody[F any](c echo.Context, what string, maxSize int64, tooLarge error, read func(io.Reader) (F, error)) (F, error) {
	var zero F
	if mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType)); err != nil || !csvTypes[mt] {
		return zero, echo.NewHTTPError(http.StatusUnsupportedMediaType, "Send the "+what+" as the request body with Content-Type: text/csv.")
	}
	f, err := read(http.MaxBytesReader(c.Response(), c.Request().Body, maxSize+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = tooLarge
	}
	if status, msg, ok := refusal(err); ok {
		return zero, echo.NewHTTPError(status, msg)
	}
	return f, err
}

// errOr returns err, or when there is none what render returns.
func errOr(err error, render func() error) error {
	if err != nil {
		return err
	}
	return render()
}

// previewErrors lists a file's bad lines or cells for a preview page.
func previewErrors(errs []csvfile.LineError) []views.PreviewError {
	var out []views.PreviewError
	for _, e := range errs {
		pe := views.PreviewError{Column: e.Column, Message: e.Message}
		if e.Line > 0 {
			pe.Line = strconv.Itoa(e.Line)
		}
		out = append(out, pe)
	}
	return out
}
