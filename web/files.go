package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
)

// download serves /files/<token>/<filename>. The token makes the URL
// unguessable; the caller must also pass the file's access policy. A wrong
// token, a wrong filename, an expired file and a refusal all answer the same
// 404, so the answer reveals nothing.
func (s *Server) download(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	name, err := url.PathUnescape(c.Param("name"))
	if err != nil || !files.ValidToken(token) {
		return echo.ErrNotFound
	}
	f, err := s.files.Get(ctx, token)
	if errors.Is(err, files.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if f.Filename != name || f.Expired(s.now()) || f.Missing {
		return echo.ErrNotFound
	}
	access := files.Access{}
	if u := currentUser(c); u != nil {
		access.SignedIn, access.SiteAdmin = true, u.SiteAdmin
		if f.Owner.Type == files.OwnerCourse {
			if access.Role, err = s.db.RoleIn(ctx, f.Owner.ID, u.ID); err != nil {
				return err
			}
		}
	}
	if !files.Permits(f.Category, access) {
		return echo.ErrNotFound
	}
	if s.cfg.StorageRedirect {
		return s.redirectDownload(c, f)
	}
	r, err := s.files.Open(ctx, f)
	if errors.Is(err, files.ErrStoreDown) {
		s.log.Error("download: the file store did not answer", "file_id", f.ID, "err", err)
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The file store did not answer; try again in a moment.")
	}
	if err != nil {
		return err
	}
	defer r.Close()
	s.auditDownload(c, f)
	h := c.Response().Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", contentDisposition(dispositionType(f), f.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	// A file is data, never a page of ours: even an HTML file cannot run script.
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("ETag", `"`+f.SHA256+`"`)
	http.ServeContent(c.Response(), c.Request(), "", f.CreatedAt, r)
	return nil
}

// auditDownload records a whole download of anything but public material.
func (s *Server) auditDownload(c echo.Context, f files.File) {
	if f.Category != files.CourseStatic && c.Request().Method == http.MethodGet && c.Request().Header.Get("Range") == "" {
		s.audit(c, db.AuditEvent{Action: "file.download", CourseID: f.Owner.ID, Subject: f.Filename})
	}
}

// presignTTL is how long a redirected download's URL works.
const presignTTL = 60 * time.Second

// redirectDownload answers a permitted download (--storage-redirect) with a
// presigned URL of the object, valid for presignTTL, that makes the store
// answer with the file's real name and type.
func (s *Server) redirectDownload(c echo.Context, f files.File) error {
	p, ok := s.files.Blobs().(files.Presigner)
	if !ok {
		return errors.New("download redirect: the file store cannot presign URLs")
	}
	params := url.Values{
		"response-content-disposition": {contentDisposition(dispositionType(f), f.Filename)},
		"response-content-type":        {f.ContentType},
	}
	u, err := p.Presign(c.Request().Context(), f.Token, presignTTL, params)
	if err != nil {
		return fmt.Errorf("download redirect: %w", err)
	}
	s.auditDownload(c, f)
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Redirect(http.StatusFound, u.String())
}

// dispositionType shows public images and PDFs in the browser and saves all else.
func dispositionType(f files.File) string {
	if f.Category == files.CourseStatic {
		switch f.ContentType {
		case "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp":
			return "inline"
		}
	}
	return "attachment"
}

// contentDisposition builds an RFC 6266 header: an ASCII fallback name and
// the exact UTF-8 name in filename* (RFC 5987), which browsers prefer.
func contentDisposition(typ, filename string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, filename)
	var enc strings.Builder
	for _, b := range []byte(filename) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return typ + `; filename="` + fallback + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar reports whether b may stand unescaped in an RFC 5987 value.
func isAttrChar(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
