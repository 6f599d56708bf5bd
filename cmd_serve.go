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
	"time"

	"coursevault/web"
)

// serveConfig is everything `coursevault serve` can be told.
type serveConfig struct {
	addr, dataDir, baseURL, timezone string
	demo                             bool
	shutdownGrace                    time.Duration
}

func runServe(ctx context.Context, args []string, stdout io.Writer) error {
	f := newFlags("serve")
	var cfg serveConfig
	f.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on (COURSEVAULT_ADDR)")
	dataDir := f.dataDir()
	f.StringVar(&cfg.baseURL, "base-url", "", "public URL, e.g. https://vault.example.edu; https makes cookies Secure (COURSEVAULT_BASE_URL)")
	f.StringVar(&cfg.timezone, "timezone", "", "the school's time zone for shown times and file names, e.g. Europe/Berlin (default: the server's)")
	f.BoolVar(&cfg.demo, "demo", false, "fill an empty database with demo data first")
	f.DurationVar(&cfg.shutdownGrace, "shutdown-grace", 30*time.Second, "how long running requests and jobs may finish at shutdown")
	if err := f.parse(args); err != nil {
		return err
	}
	cfg.dataDir = *dataDir

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	tz := time.Local
	if cfg.timezone != "" {
		var err error
		if tz, err = time.LoadLocation(cfg.timezone); err != nil {
			return fmt.Errorf("%w: --timezone %q is not a known time zone", errUsage, cfg.timezone)
		}
	}
	d, err := openDB(ctx, cfg.dataDir)
	if err != nil {
		return err
	}
	defer d.Close()

	if cfg.demo {
		if err := seedDemoIfEmpty(ctx, d, stdout); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	base := cfg.baseURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	srv := web.New(d, log, web.Config{BaseURL: base, Timezone: tz, Version: version})
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "coursevault %s serving %s (data in %s)\n", version, base, cfg.dataDir)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
