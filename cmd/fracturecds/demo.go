package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds"
	"github.com/fracturecds/fracturecds/hooks/demo"
)

// defaultDemoAddr is beside, not on, the service's and admin's ports.
const defaultDemoAddr = "127.0.0.1:8077"

// runDemo serves the card viewer (package demo) on a loopback address
// until ctx is cancelled. Every request it shows goes through the service
// handler the server runs, built per as-of date.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fracturecds demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	addr := fs.String("addr", defaultDemoAddr, "loopback listen address of the demo page")
	lang := fs.String("lang", "", "page and card language nl or en")
	configPath := fs.String("config", "", "YAML configuration file (thresholds, local codes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath, getenv)
	if err != nil {
		return err
	}
	if *lang != "" {
		cfg.Language = *lang
	}
	// The service runs in-process behind the demo page and is never on
	// the network, so it needs no client authentication.
	cfg.Auth = AuthConfig{}
	// The page's language switch asks the service through Accept-Language,
	// as a browser-based EHR does.
	cfg.PreferRequestLanguage = true
	th, term, err := cfg.validate()
	if err != nil {
		return err
	}
	logger := newLogger(cfg.LogLevel, stderr)
	defer func() { _ = logger.Sync() }()
	h, err := demo.NewHandler(demo.Config{
		Service: func(asOf time.Time) (http.Handler, error) {
			return newHandler(cfg, logger, func() time.Time { return asOf }, nil)
		},
		Files:           fracturecds.Files,
		DefaultLanguage: cfg.Language,
		Logger:          logger,
		BoneHealth:      demoBoneHealth(logger, th, term),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("demo: listen on %s (choose another with --addr 127.0.0.1:PORT): %w", *addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "fracturecds demo: open http://%s/ in a browser (demo patients only; Ctrl-C stops it)\n", ln.Addr())
	logger.Info("demo listening", zap.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return fmt.Errorf("demo: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// checkLoopback refuses a demo address that is not loopback: the demo has
// no authentication.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("demo: --addr %q: want 127.0.0.1:PORT", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("demo: --addr %q: the demo has no authentication and only listens on loopback (127.0.0.1 or ::1)", addr)
	}
	return nil
}
