package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"coursevault/db"
	"coursevault/db/files"
	"coursevault/jobs"
	"coursevault/jobs/backups"
	"coursevault/jobs/courses"
	"coursevault/jobs/exports"
	"coursevault/jobs/imports"
	"coursevault/jobs/mail"
	"coursevault/jobs/restore"
	"coursevault/jobs/submissions"
	"coursevault/web"
)

// serveConfig is everything `coursevault serve` can be told.
type serveConfig struct {
	addr, baseURL, timezone     string
	dataDir                     dataLoc
	storage                     string
	storageRedirect             bool
	demo                        bool
	noWorker                    bool
	shutdownGrace, pollInterval time.Duration
	jobLease                    time.Duration
	exportTTL, jobRetention     time.Duration
	workers                     int
	computing                   int
	courseQuota, maxCourseFile  int64
	trustedProxies              proxyRanges
	ingest                      submissions.Limits
	ingestMaxBody               int64
	mail                        mail.Config
}

// proxyRanges is --trusted-proxies: comma-separated CIDR ranges, refused
// whole if any one does not parse.
type proxyRanges []*net.IPNet

func (p *proxyRanges) String() string {
	s := make([]string, len(*p))
	for i, r := range *p {
		s[i] = r.String()
	}
	return strings.Join(s, ",")
}

func (p *proxyRanges) Set(v string) error {
	var rs proxyRanges
	for c := range strings.SplitSeq(v, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		_, r, err := net.ParseCIDR(c)
		if err != nil {
			return fmt.Errorf("%q is not a CIDR range such as 10.0.0.0/8 or 192.0.2.7/32", c)
		}
		rs = append(rs, r)
	}
	*p = rs
	return nil
}

// jobFlags are the flags of everything that runs background jobs: serve and worker.
func jobFlags(f flags, cfg *serveConfig) (dataDir *dataLoc, storage, zone *string) {
	dataDir, storage = f.dataDir(), f.storage()
	f.StringVar(&cfg.baseURL, "base-url", "", "public URL, e.g. https://vault.example.edu; https makes cookies Secure (COURSEVAULT_BASE_URL)")
	zone = f.timezone()
	f.DurationVar(&cfg.shutdownGrace, "shutdown-grace", 30*time.Second, "how long running requests and jobs may finish at shutdown")
	f.IntVar(&cfg.workers, "workers", 2, "background jobs run at once")
	f.IntVar(&cfg.computing, "computing-jobs", 0, "of the running jobs, how many may compute at once; the others take turns (0: half the cores, at least 1)")
	f.DurationVar(&cfg.pollInterval, "poll-interval", time.Second, "how often the worker looks for due jobs")
	f.DurationVar(&cfg.jobLease, "job-lease", 30*time.Second, "how long a running job's claim lasts without a heartbeat: a killed server's jobs restart after this")
	f.DurationVar(&cfg.exportTTL, "export-ttl", 7*24*time.Hour, "how long an export file is kept")
	f.DurationVar(&cfg.jobRetention, "job-retention", 7*24*time.Hour, "how long finished jobs are kept")
	f.Int64Var(&cfg.courseQuota, "course-quota", 10<<30, "bytes of exports a course may keep")
	f.StringVar(&cfg.mail.URL, "smtp-url", "", "SMTP server that sends mail (an export is ready or failed): smtp://user:pass@host:587 (STARTTLS when offered) or smtps://user:pass@host:465 (TLS); default none: no mail (COURSEVAULT_SMTP_URL)")
	f.StringVar(&cfg.mail.From, "mail-from", "", "address mails are sent from, e.g. \"Course Vault <vault@school.edu>\"; needed with --smtp-url (COURSEVAULT_MAIL_FROM)")
	return dataDir, storage, zone
}

// runServe is `coursevault serve`: the web and, unless --no-worker, the
// background jobs.
func runServe(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("serve")
	var cfg serveConfig
	f.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on (COURSEVAULT_ADDR)")
	dataDir, storage, zone := jobFlags(f, &cfg)
	f.BoolVar(&cfg.noWorker, "no-worker", false, "serve the web only; jobs asked for here are run by `coursevault worker` or another serve sharing the database (COURSEVAULT_NO_WORKER)")
	f.BoolVar(&cfg.storageRedirect, "storage-redirect", false, "with S3 storage, answer a download (after the access check) with a 60 s presigned URL instead of streaming the bytes through the server; see README for what it trades (COURSEVAULT_STORAGE_REDIRECT)")
	f.BoolVar(&cfg.demo, "demo", false, "fill an empty database with demo data first")
	f.Int64Var(&cfg.maxCourseFile, "max-course-file", web.DefaultMaxCourseFile, "bytes one uploaded course file (Files tab, files API) may hold")
	f.Var(&cfg.trustedProxies, "trusted-proxies", "comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For names the client, e.g. 10.0.0.0/8; default none: the client is the connection's peer (COURSEVAULT_TRUSTED_PROXIES)")
	f.IntVar(&cfg.ingest.MaxLine, "ingest-max-line", submissions.DefaultLimits.MaxLine, "bytes one line of autograder results (POST /api/courses/:id/submissions) may have; a longer line is rejected and skipped")
	f.IntVar(&cfg.ingest.MaxStdout, "ingest-max-stdout", submissions.DefaultLimits.MaxStdout, "bytes of stdout one build or test result may carry in autograder results")
	f.Int64Var(&cfg.ingestMaxBody, "ingest-max-body", web.DefaultIngestMaxBody, "bytes one request of autograder results may send in all (it is streamed: this bounds its time, not memory)")
	if err := f.parse(args); err != nil {
		return err
	}
	cfg.dataDir, cfg.storage, cfg.timezone = *dataDir, *storage, *zone
	if err := checkIngestLimits(cfg); err != nil {
		return err
	}

	tz, err := loadZone(cfg.timezone)
	if err != nil {
		return err
	}
	// Listening first tells the site's address (--base-url, else the one
	// listened on) to the mail links newApp wires.
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	defer ln.Close()
	base := cfg.baseURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	cfg.mail.BaseURL = base

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	d, a, err := openApp(ctx, cfg, tz, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if cfg.demo {
		if err := seedDemoIfEmpty(ctx, d, a.files, stdout); err != nil {
			return err
		}
	}
	if !cfg.noWorker {
		a.runner.Start(ctx)
	}

	srv := web.New(d, web.Deps{Files: a.files, Exports: a.exports, Imports: a.imports, Backups: a.backups}, log, web.Config{BaseURL: base, Timezone: tz, Version: version,
		TrustedProxies: cfg.trustedProxies, StorageRedirect: cfg.storageRedirect, MaxCourseFile: cfg.maxCourseFile, Ingest: cfg.ingest, IngestMaxBody: cfg.ingestMaxBody,
		MailEnabled: a.mail.Enabled()})
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	role := ""
	if cfg.noWorker {
		role = ", no worker"
	}
	fmt.Fprintf(stdout, "coursevault %s serving %s (data in %s%s)\n", version, base, cfg.dataDir, role)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownGrace)
	defer cancel()
	herr := hs.Shutdown(sctx)
	a.shutdown(cfg, log)
	if herr != nil && !errors.Is(herr, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", herr)
	}
	return nil
}

// runWorker is `coursevault worker`: the background jobs (exports, imports,
// the janitor) without the web, beside serve --no-worker processes sharing
// the database and the store.
func runWorker(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("worker")
	var cfg serveConfig
	dataDir, storage, zone := jobFlags(f, &cfg)
	if err := f.parse(args); err != nil {
		return err
	}
	cfg.dataDir, cfg.storage, cfg.timezone = *dataDir, *storage, *zone
	if cfg.mail.URL != "" && cfg.baseURL == "" {
		return fmt.Errorf("%w: a worker with --smtp-url needs --base-url, the site's public address its mails link to", errUsage)
	}
	cfg.mail.BaseURL = cfg.baseURL
	tz, err := loadZone(cfg.timezone)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	d, a, err := openApp(ctx, cfg, tz, log)
	if err != nil {
		return err
	}
	defer d.Close()
	a.runner.Start(ctx)
	fmt.Fprintf(stdout, "coursevault %s worker running %d jobs at once (data in %s)\n", version, max(cfg.workers, 1), cfg.dataDir)
	<-ctx.Done()
	log.Info("shutting down", "grace", cfg.shutdownGrace)
	a.shutdown(cfg, log)
	return nil
}

// shutdown gives running jobs the grace period. Its own context is longer so
// the runner can hand unfinished jobs back to the queue after cancelling them.
func (a *app) shutdown(cfg serveConfig, log *slog.Logger) {
	jctx, jcancel := context.WithTimeout(context.Background(), cfg.shutdownGrace+10*time.Second)
	defer jcancel()
	if err := a.runner.Shutdown(jctx); err != nil {
		log.Error("job runner shutdown", "err", err)
	}
}

// app is the background half of serve: the file store, the job runner with
// its handlers and janitor, and the export service the web handlers call.
type app struct {
	files   *files.Service
	runner  *jobs.Runner
	exports *exports.Service
	imports *imports.Service
	mail    *mail.Service
	backups *backups.Service
}

// openApp opens the database and builds the app on it: what serve and
// worker share. The caller closes the database.
func openApp(ctx context.Context, cfg serveConfig, tz *time.Location, log *slog.Logger) (*db.DB, *app, error) {
	d, err := openDB(ctx, cfg.dataDir)
	if err != nil {
		return nil, nil, err
	}
	a, err := newApp(ctx, d, cfg, tz, log)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, a, nil
}

func newApp(ctx context.Context, d *db.DB, cfg serveConfig, tz *time.Location, log *slog.Logger) (*app, error) {
	blobs, err := openBlobs(cfg.storage, log)
	if err != nil {
		return nil, err
	}
	if cfg.storageRedirect {
		if _, ok := blobs.(files.Presigner); !ok {
			return nil, fmt.Errorf("%w: --storage-redirect needs S3 storage (--storage s3://...)", errUsage)
		}
	}
	fs, err := files.New(d, attachmentsDir(cfg.dataDir), files.Options{DefaultTTL: cfg.exportTTL, CourseQuota: cfg.courseQuota, Logger: log, Blobs: blobs})
	if err != nil {
		return nil, err
	}
	sweep := func(ctx context.Context) error {
		removed, missing, err := fs.Sweep(ctx)
		if removed > 0 || len(missing) > 0 {
			log.Warn("attachment sweep", "orphans_removed", removed, "files_missing_bytes", len(missing))
		}
		return err
	}
	// A store that does not answer at start is no reason not to serve:
	// pages keep answering, /healthz says the store is degraded, and the
	// hourly sweep tries again.
	if err := sweep(ctx); err != nil {
		log.Error("sweep attachments", "err", err)
	}
	runner := jobs.New(d, jobs.Options{Workers: cfg.workers, Computing: cfg.computing, PollInterval: cfg.pollInterval, Lease: cfg.jobLease, ShutdownGrace: cfg.shutdownGrace,
		Retention: cfg.jobRetention, Logger: log})
	ex := exports.New(d, runner, fs, nil, log)
	ex.Register(version, tz)
	ml, err := mail.New(d, runner, cfg.mail, log)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	ml.Register()
	ex.Notify(ml.ExportDone)
	if ml.Enabled() {
		log.Info("mail on: exports' outcomes are mailed", "from", cfg.mail.From)
	}
	// Scheduled archives: every minute, the due courses' archives are queued
	// on the job table and run within --workers like any export.
	bk := backups.New(d, ex, tz, nil, log)
	bk.Register(runner)
	runner.Every("files.expire", 10*time.Minute, func(ctx context.Context) error {
		gone, err := fs.ExpireDue(ctx)
		if len(gone) > 0 {
			log.Info("expired files removed", "count", len(gone))
			if aerr := auditExpired(ctx, d, gone); aerr != nil {
				log.Error("audit expired files", "err", aerr)
			}
		}
		return err
	})
	runner.Every("imports.abandoned", 10*time.Minute, func(ctx context.Context) error {
		return restore.RemoveAbandoned(ctx, d, time.Now())
	})
	// A course removal the last process did not finish is finished now and
	// by the janitor: it stays hidden meanwhile.
	cs := courses.New(d, fs, nil)
	if err := cs.FinishRemovals(ctx); err != nil {
		log.Error("finish course removals", "err", err)
	}
	runner.Every("courses.removals", 10*time.Minute, cs.FinishRemovals)
	runner.Every("sessions.prune", time.Hour, func(ctx context.Context) error {
		return d.InTx(ctx, func(tx *db.Queries) error {
			_, err := tx.DeleteExpiredSessions(ctx, time.Now())
			return err
		})
	})
	runner.Every("files.sweep", time.Hour, sweep)
	return &app{files: fs, runner: runner, exports: ex, imports: imports.New(d, runner, fs, log), mail: ml, backups: bk}, nil
}

// auditExpired records the janitor's removal of expired files.
func auditExpired(ctx context.Context, d *db.DB, gone []files.File) error {
	return d.InTx(ctx, func(tx *db.Queries) error {
		for _, f := range gone {
			e := db.AuditEvent{At: time.Now(), Action: "file.expire", Subject: f.Filename, Detail: f.Category}
			if f.Owner.Type == files.OwnerCourse {
				e.CourseID = f.Owner.ID
			}
			if err := tx.InsertAuditEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkIngestLimits refuses ingest limits that would refuse every line.
func checkIngestLimits(cfg serveConfig) error {
	switch {
	case cfg.ingest.MaxLine < 1<<10:
		return fmt.Errorf("%w: --ingest-max-line %d is too small: a line needs at least 1024 bytes (default %d, 64 MiB)", errUsage, cfg.ingest.MaxLine, submissions.DefaultLimits.MaxLine)
	case cfg.ingest.MaxStdout < 1 || cfg.ingest.MaxStdout > cfg.ingest.MaxLine:
		return fmt.Errorf("%w: --ingest-max-stdout %d must be from 1 to --ingest-max-line (%d) bytes", errUsage, cfg.ingest.MaxStdout, cfg.ingest.MaxLine)
	case cfg.ingestMaxBody < int64(cfg.ingest.MaxLine):
		return fmt.Errorf("%w: --ingest-max-body %d must be at least --ingest-max-line (%d) bytes", errUsage, cfg.ingestMaxBody, cfg.ingest.MaxLine)
	}
	return nil
}
