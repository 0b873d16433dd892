package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/admin"
	"github.com/fracturecds/fracturecds/hooks/store"
)

const usageText = `fracturecds: CDS Hooks 2.0.1 fracture-prevention service

Usage:
  fracturecds [flags]                 serve (default 127.0.0.1:8080)
  fracturecds eval [flags] FILE       evaluate one CDS Hooks request file offline, print the response
  fracturecds config check FILE       validate a configuration file

Serve flags:
  --addr host:port     listen address (env FRACTURECDS_ADDR)
  --admin-addr h:p|off admin listener: metrics, analytics, report
                       (default 127.0.0.1:9090; env FRACTURECDS_ADMIN_ADDR)
  --config FILE        YAML configuration file (env FRACTURECDS_CONFIG)
  --tls-cert FILE      serve HTTPS with this certificate (with --tls-key)
  --tls-key FILE       private key of --tls-cert
  --insecure-no-auth   allow a non-loopback --addr with no auth.issuers
                       (never in production: anyone could call the service)

Eval flags:
  --as-of DATE         evaluation date T (YYYY-MM-DD or RFC 3339; default now)
  --lang nl|en         card language (default: configuration, nl)
  --config FILE        YAML configuration file

Environment: FRACTURECDS_ADDR, FRACTURECDS_ADMIN_ADDR, FRACTURECDS_CONFIG, FRACTURECDS_LANGUAGE,
FRACTURECDS_LOG_LEVEL, FRACTURECDS_FHIR_BUDGET, FRACTURECDS_TRACING_ENDPOINT,
FRACTURECDS_PUBLIC_BASE_URL, FRACTURECDS_DATA_DIR, FRACTURECDS_STORAGE_DRIVER,
FRACTURECDS_POSTGRES_URL, FRACTURECDS_RETENTION. See README.md.
`

// run is the whole program; main only calls it. It returns when ctx is
// cancelled (SIGINT/SIGTERM) after a graceful shutdown, or on error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "eval":
			return runEval(ctx, args[1:], getenv, stdout, stderr)
		case "config":
			if len(args) == 3 && args[1] == "check" {
				return runConfigCheck(args[2], getenv, stdout)
			}
			fmt.Fprint(stderr, usageText)
			return errors.New("usage: fracturecds config check FILE")
		case "help", "-h", "--help", "-help":
			fmt.Fprint(stdout, usageText)
			return nil
		}
	}
	return runServe(ctx, args, getenv, stderr)
}

// loadConfig builds the configuration: defaults, file, environment.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	if path == "" {
		path = getenv("FRACTURECDS_CONFIG")
	}
	if path != "" {
		if err := loadConfigFile(&cfg, path); err != nil {
			return cfg, err
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func runConfigCheck(path string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(path, getenv)
	if err != nil {
		return err
	}
	if _, _, err := cfg.validate(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: configuration is valid\n", path)
	return nil
}

func newLogger(level string, w io.Writer) *zap.Logger {
	lvl := zapcore.InfoLevel
	_ = lvl.Set(level)
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	// No sampling: every request line is an audit record (ecosystem.md §8).
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(w), lvl)
	return zap.New(core)
}

// newHandler wires the service from a validated configuration.
func newHandler(cfg Config, logger *zap.Logger, now func() time.Time, ready *atomic.Bool) (http.Handler, error) {
	return newObservedHandler(cfg, logger, now, ready, nil)
}

// newObservedHandler is newHandler with the metrics and tracing of obs
// (nil: none).
func newObservedHandler(cfg Config, logger *zap.Logger, now func() time.Time, ready *atomic.Bool, obs *observability) (http.Handler, error) {
	return newStoredHandler(cfg, logger, now, ready, obs, nil)
}

// newStoredHandler is newObservedHandler that also records issued cards
// and stores feedback in st (nil: neither).
func newStoredHandler(cfg Config, logger *zap.Logger, now func() time.Time, ready *atomic.Bool, obs *observability, st *store.Store) (http.Handler, error) {
	return newLoggedHandler(cfg, logger, now, ready, obs, st, cardLog(st))
}

// newLoggedHandler is newStoredHandler with an explicit card log (the
// server passes a batching one it closes at shutdown).
func newLoggedHandler(cfg Config, logger *zap.Logger, now func() time.Time, ready *atomic.Bool, obs *observability, st *store.Store, cards hooks.CardLog) (http.Handler, error) {
	th, term, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	var auth *hooks.Authenticator
	if len(cfg.Auth.Issuers) > 0 {
		ac := cfg.hooksAuth()
		ac.OnJWKSFetch = obs.hooksMetrics().JWKSRefresh
		if auth, err = hooks.NewAuthenticator(ac); err != nil {
			return nil, err
		}
	}
	g := fhir.NewGatherer(fhir.Options{
		AllowServer:      fhirAllowServer(auth),
		HTTPClient:       &http.Client{Timeout: cfg.FHIR.Budget},
		Budget:           cfg.FHIR.Budget,
		MaxPages:         cfg.FHIR.MaxPages,
		MaxResponseBytes: cfg.FHIR.MaxResponseBytes,
		Terminology:      term,
		OnFetch:          obs.fetchObserver(),
	})
	return hooks.NewHandler(hooks.Config{
		Logger:             logger,
		Facts:              g,
		Thresholds:         th,
		Prefetch:           g.Templates(),
		DefaultLanguage:    cfg.Language,
		MaxBodyBytes:       cfg.MaxBodyBytes,
		MaxInFlight:        cfg.MaxInFlight,
		Now:                now,
		Ready:              ready,
		Metrics:            obs.hooksMetrics(),
		Tracer:             obs.hooksTracer(),
		Auth:               auth,
		CORSAllowedOrigins: cfg.CORS.AllowedOrigins,
		HSTS:               cfg.TLSCertFile != "",
		CardLog:            cards,
		Feedback:           feedbackStore(st),
		BoneHealth:         boneHealthApp(cfg, logger, g, th, fhirAllowServer(auth), now),
	}), nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("fracturecds", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	addr := fs.String("addr", "", "listen address host:port")
	adminAddr := fs.String("admin-addr", "", "admin listener host:port (metrics, analytics, report), or off")
	configPath := fs.String("config", "", "YAML configuration file")
	tlsCert := fs.String("tls-cert", "", "TLS certificate file")
	tlsKey := fs.String("tls-key", "", "TLS private key file")
	insecureNoAuth := fs.Bool("insecure-no-auth", false, "allow a non-loopback address without auth.issuers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(*configPath, getenv)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	if *tlsCert != "" || *tlsKey != "" {
		cfg.TLSCertFile, cfg.TLSKeyFile = *tlsCert, *tlsKey
	}
	if *insecureNoAuth {
		cfg.InsecureNoAuth = true
	}
	if err := cfg.checkExposure(); err != nil {
		return err
	}
	if *adminAddr != "" {
		cfg.AdminAddr = *adminAddr
	}
	logger := newLogger(cfg.LogLevel, stderr)
	defer func() { _ = logger.Sync() }()
	// A request allocates about 1 MB (the decoded prefetch), so at the
	// default GOGC=100 the collector runs constantly: 400 cut CPU per
	// request by 30 % at 500/s (README "Performance"). An explicit GOGC
	// wins; GOMEMLIMIT (set in the Kubernetes manifest) still bounds memory.
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if len(cfg.Auth.Issuers) == 0 {
		// Every start, so that it is in the log of every run.
		logger.Warn("no auth.issuers configured: CDS clients are NOT authenticated and only loopback FHIR servers are used; "+
			"configure auth.issuers before connecting an EHR (README \"Authentication\")",
			zap.String("addr", cfg.Addr), zap.Bool("insecure_no_auth", cfg.InsecureNoAuth))
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	obs, stopObservability, err := startObservability(ctx, cfg.Tracing, logger)
	if err != nil {
		return err
	}
	defer stopObservability()
	// Closed after the servers have shut down (defers run in reverse).
	st, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	// Cards are recorded in batches off the request path; the batcher is
	// flushed after the servers stop and before the store closes.
	var cards hooks.CardLog
	if st != nil {
		batcher := hooks.NewCardBatcher(st, logger, 200*time.Millisecond, 500)
		defer func() {
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := batcher.Close(fctx); err != nil {
				logger.Error("card log: flushing at shutdown failed", zap.Error(err))
			}
		}()
		cards = batcher
	}
	var ready atomic.Bool
	h, err := newLoggedHandler(cfg, logger, time.Now, &ready, obs, st, cards)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsConfig(),
	}
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	if cfg.AdminAddr != "off" {
		adminLn, err := net.Listen("tcp", cfg.AdminAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("admin listen: %w", err)
		}
		adminSrv := &http.Server{
			Handler:           admin.NewHandler(withAnalytics(admin.Config{Metrics: obs.metricsHandler()}, st)),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
		}
		servers = append(servers, adminSrv)
		go func() { errc <- adminSrv.Serve(adminLn) }()
		logger.Info("admin listening", zap.String("addr", adminLn.Addr().String()))
	}
	// The listener already queues connections, so the service is ready
	// before Serve starts accepting them.
	ready.Store(true)
	if cfg.TLSCertFile != "" {
		go func() { errc <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile) }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	logger.Info("listening", zap.String("addr", ln.Addr().String()), zap.Bool("tls", cfg.TLSCertFile != ""))

	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	ready.Store(false)
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil && serveErr == nil {
			serveErr = fmt.Errorf("shutdown: %w", err)
		}
	}
	return serveErr
}

// runEval evaluates one request file through the same handler the server
// uses and prints the response, for clinicians and integration engineers
// checking a case without an EHR.
func runEval(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fracturecds eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	asOf := fs.String("as-of", "", "evaluation date (YYYY-MM-DD or RFC 3339)")
	lang := fs.String("lang", "", "card language nl or en")
	configPath := fs.String("config", "", "YAML configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("eval needs exactly one request file")
	}
	body, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	now := time.Now
	if *asOf != "" {
		t, err := parseAsOf(*asOf)
		if err != nil {
			return err
		}
		now = func() time.Time { return t }
	}
	cfg, err := loadConfig(*configPath, getenv)
	if err != nil {
		return err
	}
	if *lang != "" {
		cfg.Language = *lang
	}
	h, err := newHandler(cfg, zap.NewNop(), now, nil)
	if err != nil {
		return err
	}
	var hdr struct {
		Hook string `json:"hook"`
	}
	if err := json.Unmarshal(body, &hdr); err != nil {
		return fmt.Errorf("eval: %s is not a JSON CDS Hooks request: %w", fs.Arg(0), err)
	}
	id := map[string]string{
		"patient-view": hooks.ServicePatientView,
		"order-select": hooks.ServiceOrderSelect,
		"order-sign":   hooks.ServiceOrderSign,
	}[hdr.Hook]
	if id == "" {
		return fmt.Errorf("eval: hook %q is not served (patient-view, order-select, order-sign)", hdr.Hook)
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/cds-services/"+id, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", cfg.Language)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil {
		pretty.Write(rec.Body.Bytes())
	}
	pretty.WriteByte('\n')
	if _, err := stdout.Write(pretty.Bytes()); err != nil {
		return err
	}
	if rec.Code != http.StatusOK {
		return fmt.Errorf("eval: the service answered %d", rec.Code)
	}
	return nil
}

func parseAsOf(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--as-of %q: want YYYY-MM-DD or RFC 3339", s)
	}
	// Midday UTC keeps the date the same in every European time zone.
	return t.Add(12 * time.Hour), nil
}
