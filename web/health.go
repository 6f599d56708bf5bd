package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// health answers /healthz: the app answers; file_store says whether the
// store of attachments does ("ok", or why not), and status turns
// "degraded" when it does not. The status code stays 200 so that pages,
// which do not need the store, stay in rotation behind a load balancer.
func (s *Server) health(c echo.Context) error {
	out := map[string]string{"status": "ok", "version": s.cfg.Version, "file_store": "ok"}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.files.Check(ctx); err != nil {
		out["status"], out["file_store"] = "degraded", err.Error()
	}
	return c.JSON(http.StatusOK, out)
}
