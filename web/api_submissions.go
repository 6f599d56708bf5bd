package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/jobs/submissions"
)

// DefaultIngestMaxBody is --ingest-max-body's default: the most one
// POST /api/courses/:id/submissions may send. The body is streamed, so this
// bounds the time of a request, not its memory.
const DefaultIngestMaxBody = 4 << 30

// ingestTypes are the content types an autograder's NDJSON may carry.
var ingestTypes = map[string]bool{"application/x-ndjson": true, "application/jsonl": true}

// apiIngestSubmissions takes in autograder results, one submission a line,
// streamed (package jobs/submissions): 200 with the accepted count and the
// rejected lines; a body that is not NDJSON at all is 400 and writes nothing.
func (s *Server) apiIngestSubmissions(c echo.Context) error {
	ctx := c.Request().Context()
	ca := currentCourse(c)
	if mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType)); err != nil || !ingestTypes[mt] {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Send the submissions as NDJSON (one JSON object per line) with Content-Type: application/x-ndjson.")
	}
	body := http.MaxBytesReader(c.Response(), c.Request().Body, s.cfg.IngestMaxBody)
	res, err := submissions.Ingest(ctx, s.db, ca.Course.ID, body, submissions.Options{Limits: s.cfg.Ingest, Now: s.now()})
	if errors.Is(err, submissions.ErrNotNDJSON) {
		return echo.NewHTTPError(http.StatusBadRequest, sentence(err.Error()))
	}
	if res.Accepted > 0 || res.RejectedCount() > 0 || err == nil {
		s.audit(c, db.AuditEvent{Action: "submissions.ingest", Subject: "API", Detail: res.String()})
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"The body is larger than the %d bytes allowed (--ingest-max-body); the lines before the limit were kept (%s): send the rest in another request.",
			tooBig.Limit, res))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
