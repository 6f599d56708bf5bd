package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/exports"
	"coursevault/views"
)

// exportRow turns an export into its table row, with the actions that fit.
func (s *Server) exportRow(e db.ExportView, courseVersion int64, base string) views.ExportRow {
	st := e.Status()
	r := views.ExportRow{
		RowState: rowState(fmt.Sprintf("export-%d", e.ID), st, statusWords[st], fmt.Sprintf("%s/%d", base, e.ID),
			!e.Final(), e.Done, e.Total, e.Note),
		RequestedBy: e.RequesterName,
		Created:     s.when(e.CreatedAt),
		Options:     exportOptions(e),
		DeleteURL:   fmt.Sprintf("%s/%d/delete", base, e.ID),
		Scheduled:   e.Scheduled,
	}
	if e.Scheduled && r.RequestedBy == "" {
		r.RequestedBy = "Backup schedule"
	}
	switch st {
	case db.ExportSkipped:
		r.Skip = s.skipWords(e)
	case db.ExportQueued:
		r.HasProgress = false // a retry keeps the last attempt's totals; no bar until it runs
		r.Stage = "Waiting for a worker"
		if e.Attempt > 0 && e.LastError != "" {
			r.Stage = fmt.Sprintf("Retrying (attempt %d of %d failed: %s)", e.Attempt, e.MaxAttempts, e.LastError)
		}
		r.CancelURL, r.DeleteURL = fmt.Sprintf("%s/%d/cancel", base, e.ID), ""
	case db.ExportRunning:
		if r.Stage == "" {
			r.Stage = "Starting"
		}
		r.CancelURL, r.DeleteURL = fmt.Sprintf("%s/%d/cancel", base, e.ID), ""
	case db.ExportFailed:
		r.Error = e.LastError
		if r.Error == "" {
			r.Error = "The export failed."
		}
		r.RetryURL = fmt.Sprintf("%s/%d/retry", base, e.ID)
	case db.ExportCancelled:
		r.RetryURL = fmt.Sprintf("%s/%d/retry", base, e.ID)
	case db.ExportMissing:
		r.Error = "The file's bytes are missing from the file store; delete this export and make a new one."
	case db.ExportReady:
		r.Filename = e.Filename
		r.DownloadURL = fileURL(e.Token, e.Filename)
		r.Size = files.FormatSize(e.Size)
		r.Checksum = e.SHA256[:min(12, len(e.SHA256))]
		r.UpToDate = e.DataVersion == courseVersion
		if e.ExpiresAt == nil {
			r.NeverExpire = true
			r.UnkeepURL = fmt.Sprintf("%s/%d/unkeep", base, e.ID)
		} else {
			r.Expires = s.when(*e.ExpiresAt)
			r.KeepURL = fmt.Sprintf("%s/%d/keep", base, e.ID)
		}
	}
	return r
}

// rowState is the shared part of a background job's row: status, polling
// while pending, and progress (a bar once the job reports a total).
func rowState(id, status, words, pollURL string, pending bool, done, total int64, stage string) views.RowState {
	r := views.RowState{ID: id, Status: status, StatusWords: words, Pending: pending, PollURL: pollURL,
		HasProgress: total > 0, ProgressDone: done, ProgressTotal: total, Stage: stage}
	if total > 0 {
		r.ProgressPercent = int(100 * done / total)
	}
	return r
}

var statusWords = map[string]string{
	db.ExportQueued: "Queued", db.ExportRunning: "Running", db.ExportReady: "Ready", db.ExportFailed: "Failed",
	db.ExportCancelled: "Cancelled", db.ExportExpired: "Expired", db.ExportMissing: "File missing",
	db.ExportSkipped: "Skipped",
}

func exportOptions(e db.ExportView) string {
	if e.Kind != db.ExportArchive {
		return ""
	}
	var o []string
	if e.IncludeStdout {
		o = append(o, "with build/test output")
	} else {
		o = append(o, "without build/test output")
	}
	if e.IncludeStatic {
		o = append(o, "with static files")
	} else {
		o = append(o, "without static files")
	}
	return strings.Join(o, ", ")
}

// fileURL is the download URL of a file: unguessable token, meaningful name.
func fileURL(token, filename string) string {
	return files.File{Token: token, Filename: filename}.URL()
}

// exportsBase is the URL under which a course's exports of a kind live.
func exportsBase(courseID int64, kind string) string {
	if kind == db.ExportBook {
		return fmt.Sprintf("/courses/%d/performance/exports", courseID)
	}
	return fmt.Sprintf("/courses/%d/exports", courseID)
}

func (s *Server) exportRows(c echo.Context, kind string) ([]views.ExportRow, error) {
	ca := currentCourse(c)
	list, err := s.exports.List(c.Request().Context(), ca.Course.ID, kind)
	if err != nil {
		return nil, err
	}
	rows := make([]views.ExportRow, len(list))
	for i, e := range list {
		rows[i] = s.exportRow(e, ca.Course.DataVersion, exportsBase(ca.Course.ID, kind))
	}
	return rows, nil
}

// upToDate reports whether the newest ready export in list (with default
// options, for archives) was made from the course's current data.
func upToDate(list []views.ExportRow) bool {
	for _, r := range list {
		if r.Status == db.ExportReady {
			return r.UpToDate
		}
	}
	return false
}

func (s *Server) exportsTab(c echo.Context) error {
	return s.renderExportsTab(c, http.StatusOK, "")
}

func (s *Server) renderExportsTab(c echo.Context, status int, errMsg string) error {
	return s.renderExportsTabWith(c, status, errMsg, nil)
}

// renderExportsTabWith renders the tab with schedule as its schedule form
// (nil: the course's schedule as it stands).
func (s *Server) renderExportsTabWith(c echo.Context, status int, errMsg string, schedule *views.BackupForm) error {
	ca := currentCourse(c)
	if schedule == nil {
		f, err := s.courseScheduleForm(c, ca.Course.ID)
		if err != nil {
			return err
		}
		schedule = &f
	}
	ctx := c.Request().Context()
	rows, err := s.exportRows(c, db.ExportArchive)
	if err != nil {
		return err
	}
	est, err := s.estimator.Estimate(ctx, s.db.Queries, ca.Course.ID)
	if err != nil {
		return err
	}
	t := views.ExportsTab{
		Header:      courseHeader(ca, "Exports"),
		PostURL:     exportsBase(ca.Course.ID, db.ExportArchive),
		Rows:        rows,
		StdoutTip:   "It " + est.StdoutNote() + ".",
		StaticLabel: est.StaticNote(),
		UpToDate:    upToDate(rows),
		Error:       errMsg,
		Schedule:    schedule,
	}
	return s.render(c, status, views.ExportsPage(s.page(c, "Exports · "+ca.Course.Code), t))
}

// exportKind says which kind of export a route serves.
func exportKind(c echo.Context) string {
	if strings.Contains(c.Path(), "/performance") {
		return db.ExportBook
	}
	return db.ExportArchive
}

// requestExport queues an export. With htmx it answers the new row (or the
// pending one a second click found); without JavaScript it redirects back.
func (s *Server) requestExport(c echo.Context) error {
	ca := currentCourse(c)
	kind := exportKind(c)
	req := exports.Request{CourseID: ca.Course.ID, UserID: currentUser(c).ID, Kind: kind,
		IncludeStdout: c.FormValue("include_stdout") == "1", IncludeStatic: c.FormValue("include_static") == "1"}
	e, existing, err := s.exports.Request(c.Request().Context(), req)
	if err != nil {
		return err
	}
	if !existing {
		s.audit(c, db.AuditEvent{Action: "export.generate", Subject: kind, Detail: exportOptions(e)})
	}
	if isHTMX(c) {
		if existing {
			// The row is on the page already; tell the user instead of adding it twice.
			c.Response().Header().Set("HX-Reswap", "none")
			c.Response().Header().Set("HX-Trigger", `{"export-notice":"An identical export is already queued or running."}`)
			return c.NoContent(http.StatusOK)
		}
		return s.render(c, http.StatusOK, views.ExportRowView(s.exportRow(e, ca.Course.DataVersion, exportsBase(ca.Course.ID, kind)), s.csrfToken(c)))
	}
	notice := "Export queued. This page shows its progress; reload to update it."
	if existing {
		notice = "An identical export is already queued or running."
	}
	s.sessions.Put(c.Request().Context(), "notice", notice)
	return c.Redirect(http.StatusSeeOther, tabURL(ca.Course.ID, kind))
}

func tabURL(courseID int64, kind string) string {
	if kind == db.ExportBook {
		return fmt.Sprintf("/courses/%d/performance", courseID)
	}
	return fmt.Sprintf("/courses/%d/exports", courseID)
}

func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// loadExport finds :eid in the current course and of the route's kind.
func (s *Server) loadExport(c echo.Context) (db.ExportView, error) {
	eid, err := strconv.ParseInt(c.Param("eid"), 10, 64)
	if err != nil || eid <= 0 {
		return db.ExportView{}, echo.ErrNotFound
	}
	e, err := s.exports.Get(c.Request().Context(), currentCourse(c).Course.ID, eid)
	if errors.Is(err, db.ErrNotFound) || (err == nil && e.Kind != exportKind(c)) {
		return db.ExportView{}, echo.ErrNotFound
	}
	return e, err
}

// exportFragment is the row a pending export polls: one indexed query.
func (s *Server) exportFragment(c echo.Context) error {
	e, err := s.loadExport(c)
	if err != nil {
		return err
	}
	ca := currentCourse(c)
	row := s.exportRow(e, ca.Course.DataVersion, exportsBase(ca.Course.ID, e.Kind))
	if row.Status == db.ExportReady || row.Status == db.ExportFailed {
		// Tell screen readers and the notice area that the export finished.
		c.Response().Header().Set("HX-Trigger", fmt.Sprintf(`{"export-done":%q}`, "Export "+strings.ToLower(row.StatusWords)+": "+row.Filename))
	}
	return s.render(c, http.StatusOK, views.ExportRowView(row, s.csrfToken(c)))
}

// exportAction runs cancel, retry or delete and answers the row (htmx) or
// redirects back to the tab.
func (s *Server) exportAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		e, err := s.loadExport(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		ca := currentCourse(c)
		switch action {
		case "cancel":
			e, err = s.exports.Cancel(ctx, e)
		case "retry":
			e, err = s.exports.Retry(ctx, e)
			if errors.Is(err, exports.ErrNotRetryable) {
				return echo.NewHTTPError(http.StatusConflict, "Only a failed or cancelled export can be retried.")
			}
		case "delete":
			err = s.exports.Delete(ctx, e)
		case "keep", "unkeep":
			e, err = s.exports.Keep(ctx, e, action == "keep")
			if errors.Is(err, exports.ErrNotReady) {
				return echo.NewHTTPError(http.StatusConflict, "Only a ready export can be kept.")
			}
		}
		if err != nil {
			return err
		}
		s.audit(c, db.AuditEvent{Action: "export." + action, Subject: fmt.Sprintf("export %d %s", e.ID, e.Filename)})
		if isHTMX(c) {
			if action == "delete" {
				return c.NoContent(http.StatusOK) // outerHTML swap with nothing removes the row
			}
			return s.render(c, http.StatusOK, views.ExportRowView(s.exportRow(e, ca.Course.DataVersion, exportsBase(ca.Course.ID, e.Kind)), s.csrfToken(c)))
		}
		return c.Redirect(http.StatusSeeOther, tabURL(ca.Course.ID, e.Kind))
	}
}
