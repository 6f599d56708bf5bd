// Package mail sends coursevault's mail (an export is ready or failed) from
// jobs of kind "mail" on the job queue, through an optional SMTP server.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"coursevault/db"
	"coursevault/jobs"
)

// Kind is the job kind of one mail to one person.
const Kind = "mail"

// maxAttempts bounds a mail's attempts: with the queue's backoff (10 s
// doubling, capped at an hour) a mail server may be down for about an hour
// and a half before a mail is given up.
const maxAttempts = 10

// sendTimeout bounds connecting to the server and each step of a send, so a
// server that swallows packets holds a worker for seconds, not minutes.
const sendTimeout = 15 * time.Second

// Config is what serve is told about mail. With no URL nothing is sent.
type Config struct {
	URL     string // --smtp-url: smtp://user:pass@host:port (STARTTLS when offered) or smtps:// (TLS from the start)
	From    string // --mail-from: the sender, "vault@school.edu" or "Course Vault <vault@school.edu>"
	BaseURL string // the site's public address, for links in mails
}

// ErrConfig marks a --smtp-url or --mail-from that cannot be used.
var ErrConfig = errors.New("mail settings")

// server is a parsed --smtp-url.
type server struct {
	host       string
	port       int
	tls        bool // smtps: TLS from the first byte
	user, pass string
}

// parseURL reads --smtp-url. Its errors name the URL without its password.
func parseURL(raw string) (server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return server{}, fmt.Errorf("%w: --smtp-url is not a URL such as smtp://user:pass@mail.example.edu:587", ErrConfig)
	}
	var s server
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.tls = 465, true
	default:
		return server{}, fmt.Errorf("%w: --smtp-url %s: the scheme must be smtp:// (STARTTLS when offered) or smtps:// (TLS)", ErrConfig, u.Redacted())
	}
	if s.host = u.Hostname(); s.host == "" {
		return server{}, fmt.Errorf("%w: --smtp-url %s names no host", ErrConfig, u.Redacted())
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return server{}, fmt.Errorf("%w: --smtp-url %s: port %q is not a number from 1 to 65535", ErrConfig, u.Redacted(), p)
		}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return server{}, fmt.Errorf("%w: --smtp-url %s: only smtp://user:pass@host:port is understood", ErrConfig, u.Redacted())
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	return s, nil
}

// Service queues mails and sends them from the job queue.
type Service struct {
	d      *db.DB
	runner *jobs.Runner
	cfg    Config
	srv    *server // nil: mail is off
	log    *slog.Logger
}

// New checks cfg and returns the service. Without cfg.URL mail is off:
// nothing is queued or sent, and nothing fails for it. ErrConfig for
// settings that cannot work.
func New(d *db.DB, runner *jobs.Runner, cfg Config, log *slog.Logger) (*Service, error) {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s := &Service{d: d, runner: runner, cfg: cfg, log: log.With("component", "mail")}
	if cfg.URL == "" {
		return s, nil
	}
	srv, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.From == "" {
		return nil, fmt.Errorf("%w: --smtp-url needs --mail-from, the address mails are sent from", ErrConfig)
	}
	if _, err := netmail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("%w: --mail-from %q is not a mail address", ErrConfig, cfg.From)
	}
	s.srv = &srv
	return s, nil
}

// Enabled reports whether mail is sent.
func (s *Service) Enabled() bool { return s.srv != nil }

// Register installs the handler of mail jobs. It is installed with mail off
// too, so mails queued before a restart without --smtp-url end (unsent,
// logged) instead of waiting forever.
func (s *Service) Register() { s.runner.Handle(Kind, s.handle) }

// Message is one mail to one person: a mail job's arguments. It is written
// whole when queued, so a retry sends the same mail.
type Message struct {
	To       string `json:"to"`
	Name     string `json:"name"`
	UserID   int64  `json:"user_id"`
	CourseID int64  `json:"course_id"`
	Subject  string `json:"subject"`
	Text     string `json:"text"`
}

// Queue adds a mail job inside tx, so the mail goes out once the caller's
// writes commit and never if they roll back.
func (s *Service) Queue(ctx context.Context, tx *db.Queries, m Message) error {
	if _, _, err := s.runner.Enqueue(ctx, tx, Kind, m, jobs.EnqueueOptions{MaxAttempts: maxAttempts}); err != nil {
		return fmt.Errorf("mail: queue mail to %s: %w", m.To, err)
	}
	return nil
}

// handle sends one mail and audits it. A server that does not answer or
// answers "try later" fails the attempt, which the queue retries with its
// backoff; a recipient or sender the server refuses for good fails at once.
func (s *Service) handle(ctx context.Context, j *jobs.Job) error {
	var m Message
	if err := j.Decode(&m); err != nil {
		return err
	}
	if s.srv == nil {
		s.log.Warn("mail not sent: no --smtp-url", "to", m.To, "subject", m.Subject)
		return nil
	}
	msg, err := s.compose(m)
	if err != nil {
		return jobs.Permanent(err)
	}
	if err := s.send(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && (se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPMailFrom) {
			return jobs.Permanent(fmt.Errorf("the mail server refused the mail to %s: %w", m.To, err))
		}
		return fmt.Errorf("the mail server did not take the mail to %s: %w", m.To, err)
	}
	s.log.Info("mail sent", "to", m.To, "subject", m.Subject)
	return s.d.InTx(ctx, func(tx *db.Queries) error {
		return tx.InsertAuditEvent(ctx, db.AuditEvent{At: time.Now(), Action: "mail.send", CourseID: m.CourseID,
			Subject: m.To, Detail: m.Subject})
	})
}

// compose builds the mail: plain text, no attachment.
func (s *Service) compose(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("the sender %q: %w", s.cfg.From, err)
	}
	if err := msg.AddToFormat(m.Name, m.To); err != nil {
		return nil, fmt.Errorf("the address %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetUserAgent("coursevault")
	// RFC 3834: a machine wrote it; vacation responders should not answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	return msg, nil
}

// send delivers msg: STARTTLS when the server offers it (smtp://), TLS from
// the start (smtps://); with a user in the URL, the strongest login the
// server offers that is safe on the connection (no plain password over an
// unencrypted one).
func (s *Service) send(ctx context.Context, msg *gomail.Msg) error {
	opts := []gomail.Option{gomail.WithPort(s.srv.port), gomail.WithTimeout(sendTimeout)}
	if s.srv.tls {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.srv.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.srv.user), gomail.WithPassword(s.srv.pass))
	}
	c, err := gomail.NewClient(s.srv.host, opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}
