// Package web is coursevault's HTTP face: Echo routes, middleware (sessions,
// CSRF, bearer tokens, course roles), page handlers, the JSON API and downloads.
package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs/archive"
	"coursevault/jobs/assignments"
	"coursevault/jobs/backups"
	"coursevault/jobs/courses"
	"coursevault/jobs/exports"
	"coursevault/jobs/imports"
	"coursevault/jobs/perfbook"
	"coursevault/jobs/submissions"
	"coursevault/web/auth"
)

// Config is what the server needs to know about its deployment.
type Config struct {
	BaseURL  string         // e.g. https://vault.example.edu; decides Secure cookies
	Timezone *time.Location // the school's time zone, for times shown and file names
	Version  string
	Now      func() time.Time // injected clock; time.Now when nil
	// SessionIdle and SessionLifetime end sessions after inactivity and absolutely.
	SessionIdle     time.Duration
	SessionLifetime time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed
	// for the client's address (sign-in throttling, audit log). None: the
	// address is the connection's peer, whatever the headers say.
	TrustedProxies []*net.IPNet
	// MaxCourseFile is the largest course file (Files tab, files API) one
	// upload may carry; 0: DefaultMaxCourseFile.
	MaxCourseFile int64
	// Ingest bounds one line and one result's stdout of
	// POST /api/courses/:id/submissions (zero fields: submissions.DefaultLimits);
	// IngestMaxBody the whole body (zero: DefaultIngestMaxBody).
	Ingest        submissions.Limits
	IngestMaxBody int64
	// StorageRedirect answers a permitted download with a short-lived
	// presigned URL of the object store instead of streaming the bytes.
	StorageRedirect bool
	// MailEnabled says the server sends mail (serve's --smtp-url): the
	// Account page says so when it does not.
	MailEnabled bool
}

// DefaultMaxCourseFile is Config.MaxCourseFile's default: 1 GiB.
const DefaultMaxCourseFile = 1 << 30

// Deps are the services the handlers call.
type Deps struct {
	Files   *files.Service
	Exports *exports.Service
	Imports *imports.Service
	Backups *backups.Service // scheduled archives (nil: one on Exports in cfg.Timezone, for the pages only)
}

// Server holds every dependency a handler needs; nothing reaches for a global.
type Server struct {
	db          *db.DB
	files       *files.Service
	exports     *exports.Service
	imports     *imports.Service
	backups     *backups.Service
	courses     *courses.Service
	assignments *assignments.Service
	// estimator caches the Exports tab's size estimate per course and data version.
	estimator archive.Estimator
	// books keeps the performance books read last, per course and data version.
	books    perfbook.Cache
	sessions *scs.SessionManager
	csrfKey  []byte // signs CSRF tokens (csrf.go)
	log      *slog.Logger
	cfg      Config
	echo     *echo.Echo
}

// New builds the server and its routes.
func New(d *db.DB, deps Deps, log *slog.Logger, cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timezone == nil {
		cfg.Timezone = time.Local
	}
	if cfg.MaxCourseFile <= 0 {
		cfg.MaxCourseFile = DefaultMaxCourseFile
	}
	if cfg.IngestMaxBody <= 0 {
		cfg.IngestMaxBody = DefaultIngestMaxBody
	}
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = 8 * time.Hour
	}
	if cfg.SessionLifetime == 0 {
		cfg.SessionLifetime = 7 * 24 * time.Hour
	}
	sm := scs.New()
	sm.Store = db.SessionStore{DB: d, Now: cfg.Now}
	sm.Cookie.Name = "coursevault_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = isHTTPS(cfg.BaseURL)
	// The idle timeout is enforced by authenticate, not scs: scs would save
	// the session on every request to renew it, a write through the single
	// writer for each poll of a pending export.
	sm.Lifetime = cfg.SessionLifetime

	if deps.Backups == nil {
		deps.Backups = backups.New(d, deps.Exports, cfg.Timezone, cfg.Now, log)
	}
	s := &Server{db: d, files: deps.Files, exports: deps.Exports, imports: deps.Imports, backups: deps.Backups, sessions: sm, log: log, cfg: cfg}
	s.csrfKey = loadCSRFKey(d, log)
	s.courses = courses.New(d, deps.Files, cfg.Now)
	s.assignments = assignments.New(d, cfg.Timezone, cfg.Now)
	s.echo = s.routes()
	return s
}

// Handler returns the whole app as an http.Handler (sessions wrapped around
// Echo, compression around both).
func (s *Server) Handler() http.Handler {
	return compress(s.sessions.LoadAndSave(s.echo))
}

// loadCSRFKey reads the CSRF signing key every instance shares. Should the
// read fail, a key for this process keeps forms working here (only a form
// carried across a restart or to another instance is refused), and it is logged.
func loadCSRFKey(d *db.DB, log *slog.Logger) []byte {
	k, err := d.ServerKey(context.Background(), "csrf")
	if err == nil && len(k) >= 32 {
		return k
	}
	log.Error("csrf key: using one for this process only", "err", err)
	return []byte(auth.RandomHex(32))
}

func isHTTPS(base string) bool {
	u, err := url.Parse(base)
	return err == nil && u.Scheme == "https"
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }
