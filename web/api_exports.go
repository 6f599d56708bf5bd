package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/jobs/exports"
)

// apiExport is an export as the JSON API shows it.
type apiExport struct {
	ID         int64       `json:"id"`
	Kind       string      `json:"kind"`
	Status     string      `json:"status"`
	Options    apiOptions  `json:"options"`
	Progress   apiProgress `json:"progress"`
	Error      string      `json:"error,omitempty"`
	CreatedBy  string      `json:"created_by"`
	CreatedAt  time.Time   `json:"created_at"`
	FinishedAt *time.Time  `json:"finished_at,omitempty"`
	Filename   string      `json:"filename,omitempty"`
	URL        string      `json:"url,omitempty"`
	Size       int64       `json:"size,omitempty"`
	SHA256     string      `json:"sha256,omitempty"`
	ExpiresAt  *time.Time  `json:"expires_at,omitempty"`
	UpToDate   bool        `json:"up_to_date"`
	Scheduled  bool        `json:"scheduled"`
	// A skipped scheduled run: how many runs in a row, and since when nothing changed.
	SkippedRuns  int        `json:"skipped_runs,omitempty"`
	SkippedSince *time.Time `json:"skipped_since,omitempty"`
}

type apiOptions struct {
	IncludeStdout bool `json:"include_stdout"`
	IncludeFiles  bool `json:"include_files"`
}

type apiProgress struct {
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
	Stage string `json:"stage,omitempty"`
}

func toAPIExport(e db.ExportView, courseVersion int64) apiExport {
	a := apiExport{ID: e.ID, Kind: e.Kind, Status: e.Status(), CreatedBy: e.RequesterName, CreatedAt: e.CreatedAt.UTC(),
		FinishedAt: e.FinishedAt,
		Options:    apiOptions{IncludeStdout: e.IncludeStdout, IncludeFiles: e.IncludeStatic},
		Progress:   apiProgress{Done: e.Done, Total: e.Total, Stage: e.Note},
		Scheduled:  e.Scheduled, SkippedRuns: e.Skipped, SkippedSince: e.SkippedSince}
	switch a.Status {
	case db.ExportFailed:
		a.Error = e.LastError
	case db.ExportReady:
		a.Filename, a.URL, a.Size, a.SHA256, a.ExpiresAt = e.Filename, fileURL(e.Token, e.Filename), e.Size, e.SHA256, e.ExpiresAt
		a.UpToDate = e.DataVersion == courseVersion
	}
	return a
}

func (s *Server) apiListExports(c echo.Context) error {
	ca := currentCourse(c)
	list, err := s.exports.List(c.Request().Context(), ca.Course.ID, exportKind(c))
	if err != nil {
		return err
	}
	out := make([]apiExport, len(list))
	for i, e := range list {
		out[i] = toAPIExport(e, ca.Course.DataVersion)
	}
	return c.JSON(http.StatusOK, out)
}

// apiRequestExport takes {"include_stdout": bool, "include_files": bool}
// (an empty body means the defaults: no stdout, with static files) and answers
// 202 with the queued export, or 200 with the identical one already pending.
func (s *Server) apiRequestExport(c echo.Context) error {
	opts := apiOptions{IncludeFiles: true}
	if err := decodeJSONBody(c, &opts, `{"include_stdout": false, "include_files": true}`); err != nil {
		return err
	}
	return s.apiQueue(c, exports.Request{IncludeStdout: opts.IncludeStdout, IncludeStatic: opts.IncludeFiles})
}

// apiQueue queues an export of the route's kind for the caller.
func (s *Server) apiQueue(c echo.Context, req exports.Request) error {
	ca := currentCourse(c)
	req.CourseID, req.UserID, req.Kind = ca.Course.ID, currentUser(c).ID, exportKind(c)
	e, existing, err := s.exports.Request(c.Request().Context(), req)
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if existing {
		status = http.StatusOK
	} else {
		s.audit(c, db.AuditEvent{Action: "export.generate", Subject: req.Kind, Detail: exportOptions(e) + " (API)"})
	}
	return c.JSON(status, toAPIExport(e, ca.Course.DataVersion))
}

// decodeJSONBody reads an optional JSON object, refusing unknown fields and
// anything that is not one object, with a message that says what is wrong.
func decodeJSONBody(c echo.Context, v any, example string) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "could not read the request body")
	}
	if len(body) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("the body must be a JSON object like %s: %v", example, err))
	}
	if dec.More() {
		return echo.NewHTTPError(http.StatusBadRequest, "the body must hold a single JSON object")
	}
	return nil
}

func (s *Server) apiGetExport(c echo.Context) error {
	e, err := s.loadExport(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAPIExport(e, currentCourse(c).Course.DataVersion))
}

func (s *Server) apiDeleteExport(c echo.Context) error {
	e, err := s.loadExport(c)
	if err != nil {
		return err
	}
	if err := s.exports.Delete(c.Request().Context(), e); err != nil {
		return err
	}
	s.audit(c, db.AuditEvent{Action: "export.delete", Subject: fmt.Sprintf("export %d %s (API)", e.ID, e.Filename)})
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiExportAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		e, err := s.loadExport(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		if action == "cancel" {
			e, err = s.exports.Cancel(ctx, e)
		} else {
			e, err = s.exports.Retry(ctx, e)
		}
		if errors.Is(err, exports.ErrNotRetryable) {
			return echo.NewHTTPError(http.StatusConflict, err.Error())
		}
		if err != nil {
			return err
		}
		s.audit(c, db.AuditEvent{Action: "export." + action, Subject: fmt.Sprintf("export %d (API)", e.ID)})
		return c.JSON(http.StatusOK, toAPIExport(e, currentCourse(c).Course.DataVersion))
	}
}
