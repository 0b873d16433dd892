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
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/admin"
	"github.com/fracturecds/fracturecds/hooks/auth"
	"github.com/fracturecds/fracturecds/hooks/demo"
	"github.com/fracturecds/fracturecds/hooks/store"
)

const usageText = `fracturecds: CDS Hooks 2.0.1 fracture-prevention service

Usage:
  fracturecds [flags]                 serve (default 127.0.0.1:8080)
  fracturecds demo [flags]            show the cards of the example and seed patients in a browser
                                      (http://127.0.0.1:8077/, loopback only, no authentication)
  fracturecds eval [flags] FILE       evaluate one CDS Hooks request file offline, print the cards
  fracturecds config check FILE       report every problem of a configuration file

Serve flags:
  --addr host:port     listen address (env FRACTURECDS_ADDR)
  --admin-addr h:p|off admin listener: metrics, analytics, report
                       (default 127.0.0.1:9090; env FRACTURECDS_ADMIN_ADDR)
  --config FILE        YAML configuration file (env FRACTURECDS_CONFIG)
  --tls-cert FILE      serve HTTPS with this certificate (with --tls-key)
  --tls-key FILE       private key of --tls-cert
  --insecure-no-auth   allow a non-loopback --addr with no auth.issuers
                       (never in production: anyone could call the service)

Eval flags (before or after FILE):
  --as-of DATE         evaluation date T (YYYY-MM-DD or RFC 3339; default: the request's
                       "extension": {"org.fracturecds.as-of": DATE}, else now)
  --lang nl|en         card language (default: configuration, nl)
  --json               print the JSON response (the default when stdout is not a terminal)
  --text               print readable cards (the default on a terminal)
  --config FILE        YAML configuration file

Demo flags:
  --addr host:port     loopback address of the demo page (default 127.0.0.1:8077)
  --lang nl|en         page and card language (default: configuration, nl)
  --config FILE        YAML configuration file (thresholds, local codes)

Environment: FRACTURECDS_ADDR, FRACTURECDS_ADMIN_ADDR, FRACTURECDS_CONFIG, FRACTURECDS_LANGUAGE,
FRACTURECDS_LOG_LEVEL, FRACTURECDS_FHIR_BUDGET, FRACTURECDS_TRACING_ENDPOINT, FRACTURECDS_PREFER_REQUEST_LANGUAGE,
FRACTURECDS_PUBLIC_BASE_URL, FRACTURECDS_FHIR_PROXY, FRACTURECDS_DATA_DIR, FRACTURECDS_STORAGE_DRIVER,
FRACTURECDS_POSTGRES_URL, FRACTURECDS_RETENTION. See README.md.
`

// run is the whole program; main only calls it. It returns when ctx is
// cancelled (SIGINT/SIGTERM) after a graceful shutdown, or on error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "eval":
			return runEval(ctx, args[1:], getenv, stdout, stderr)
		case "demo":
			return runDemo(ctx, args[1:], getenv, stdout, stderr)
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

// loadConfig builds the configuration: defaults, file, environment. A
// configProblems error lists every problem of the file and the
// environment; the configuration then holds what could be read.
func loadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	if path == "" {
		path = getenv("FRACTURECDS_CONFIG")
	}
	var problems configProblems
	if path != "" {
		if err := loadConfigFile(&cfg, path); err != nil {
			if !errors.As(err, &problems) {
				return cfg, err
			}
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		var envProblems configProblems
		if !errors.As(err, &envProblems) {
			return cfg, err
		}
		problems = append(problems, envProblems...)
	}
	if len(problems) > 0 {
		return cfg, problems
	}
	return cfg, nil
}

// allProblems adds to the problems of loading (loadErr) those of
// validation and exposure: every reason the service would not start.
// Any other loading error (an unreadable file) is returned as is.
func allProblems(cfg Config, loadErr error) (configProblems, error) {
	var problems configProblems
	if loadErr != nil && !errors.As(loadErr, &problems) {
		return nil, loadErr
	}
	problems = slices.Clone(problems)
	if _, _, err := cfg.validate(); err != nil {
		var more configProblems
		if !errors.As(err, &more) {
			return nil, err
		}
		problems = append(problems, more...)
	}
	if err := cfg.checkExposure(); err != nil {
		problems = append(problems, err.Error())
	}
	return problems, nil
}

// runConfigCheck reports every problem of a configuration file (with the
// environment applied, as at start) in one run, including the settings
// the service would refuse only when it starts.
func runConfigCheck(path string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(path, getenv)
	problems, err := allProblems(cfg, err)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		noun := "problems"
		if len(problems) == 1 {
			noun = "problem"
		}
		return fmt.Errorf("%s: %d %s:\n  - %s", path, len(problems), noun, strings.Join(problems, "\n  - "))
	}
	// Unusable keys do not invalidate a JWK Set (the rest is used), but
	// the operator should hear which ones the service ignores.
	for _, w := range auth.DroppedKeys(cfg.hooksAuth()) {
		fmt.Fprintf(stdout, "%s: warning: %s\n", path, w)
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
	term.Unmapped().OnUnmapped(obs.hooksMetrics().UnmappedCode)
	if obs != nil {
		obs.term = term
	}
	var authn *auth.Authenticator
	var verifier hooks.Verifier // stays a nil interface without issuers
	if len(cfg.Auth.Issuers) > 0 {
		ac := cfg.hooksAuth()
		ac.OnJWKSFetch = obs.hooksMetrics().JWKSRefresh
		ac.Logger = logger
		if st != nil && st.Driver() == store.Postgres {
			// Every replica shares the database, so a jti accepted by one
			// is refused by all (README "Authentication").
			ac.Replay = st
		}
		if authn, err = auth.New(ac); err != nil {
			return nil, err
		}
		verifier = authn
	}
	g := fhir.NewGatherer(fhir.Options{
		AllowServer:      fhirAllowServer(authn),
		HTTPClient:       &http.Client{Timeout: cfg.FHIR.Budget, Transport: fhirTransport(cfg.FHIR.Proxy)},
		Budget:           cfg.FHIR.Budget,
		MaxPages:         cfg.FHIR.MaxPages,
		MaxResponseBytes: cfg.FHIR.MaxResponseBytes,
		Terminology:      term,
		OnFetch:          obs.fetchObserver(),
	})
	return hooks.NewHandler(hooks.Config{
		Logger:               logger,
		Facts:                g,
		Thresholds:           th,
		Prefetch:             g.Templates(),
		DefaultLanguage:      cfg.Language,
		IgnoreAcceptLanguage: !cfg.PreferRequestLanguage,
		MaxBodyBytes:         cfg.MaxBodyBytes,
		MaxInFlight:          cfg.MaxInFlight,
		Now:                  now,
		Ready:                ready,
		Metrics:              obs.hooksMetrics(),
		Tracer:               obs.hooksTracer(),
		Auth:                 verifier,
		CORSAllowedOrigins:   cfg.CORS.AllowedOrigins,
		HSTS:                 cfg.TLSCertFile != "",
		CardLog:              cards,
		Feedback:             feedbackStore(st),
		Storage:              storageCheck(st),
		BoneHealth:           boneHealthApp(cfg, logger, g, th, fhirAllowServer(authn), now),
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
	cfg, loadErr := loadConfig(*configPath, getenv)
	if *addr != "" {
		cfg.Addr = *addr
	}
	if *tlsCert != "" || *tlsKey != "" {
		cfg.TLSCertFile, cfg.TLSKeyFile = *tlsCert, *tlsKey
	}
	if *insecureNoAuth {
		cfg.InsecureNoAuth = true
	}
	if *adminAddr != "" {
		cfg.AdminAddr = *adminAddr
	}
	if loadErr != nil {
		// Every problem at once, as config check reports them.
		problems, err := allProblems(cfg, loadErr)
		if err != nil {
			return err
		}
		return problems
	}
	// newLoggedHandler validates the rest (all problems at once too);
	// exposure depends on the flags, so it is checked here.
	if err := cfg.checkExposure(); err != nil {
		return err
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
	if cfg.Terminology.Server != "" {
		go refreshTerminology(ctx, obs.term, cfg.Terminology, logger)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return listenError("the CDS Hooks listener", cfg.Addr, "addr", "--addr", "FRACTURECDS_ADDR", err)
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
			return listenError("the admin listener", cfg.AdminAddr, "admin_addr", "--admin-addr", "FRACTURECDS_ADMIN_ADDR", err)
		}
		adminSrv := &http.Server{
			Handler:           admin.NewHandler(withAnalytics(admin.Config{Metrics: obs.metricsHandler(), Unmapped: obs.unmappedHandler()}, st)),
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

// listenError explains a failed listen in the terms an operator can act
// on: the setting, its flag and environment variable. The default ports
// stay 8080 and 9090 (a contract: manifests, the image and scrape
// configurations use them), although a local HAPI FHIR server or
// Prometheus often holds them; this message names the way out.
func listenError(what, addr, key, flagName, env string, err error) error {
	how := fmt.Sprintf("choose another address with %s host:port, env %s or the configuration key %s", flagName, env, key)
	if key == "admin_addr" {
		how += " (off disables the admin listener)"
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s cannot listen on %s: the port is in use by another program (a local HAPI FHIR server often holds 8080, Prometheus 9090); %s: %w", what, addr, how, err)
	}
	return fmt.Errorf("%s cannot listen on %s; %s: %w", what, addr, how, err)
}

// runEval evaluates one request file through the same handler the server
// uses and prints the cards, for clinicians and integration engineers
// checking a case without an EHR: readable text on a terminal, the JSON
// response with --json or when stdout is not a terminal.
func runEval(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fracturecds eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	asOf := fs.String("as-of", "", "evaluation date (YYYY-MM-DD or RFC 3339)")
	lang := fs.String("lang", "", "card language nl or en")
	configPath := fs.String("config", "", "YAML configuration file")
	asJSON := fs.Bool("json", false, "print the JSON response")
	asText := fs.Bool("text", false, "print readable cards even when stdout is not a terminal")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return fmt.Errorf("eval needs exactly one request file, got %d", len(files))
	}
	if *asJSON && *asText {
		return errors.New("eval: --json and --text exclude each other")
	}
	body, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	when, source := time.Now(), "today"
	if t, ok, err := demo.AsOf(body); err != nil {
		return fmt.Errorf("eval: %s: %w", files[0], err)
	} else if ok {
		when, source = t, "from the request's extension "+demo.AsOfExtension
	}
	if *asOf != "" {
		t, err := parseAsOf(*asOf)
		if err != nil {
			return err
		}
		when, source = t, "--as-of"
	}
	cfg, err := loadConfig(*configPath, getenv)
	if err != nil {
		return err
	}
	if *lang != "" {
		cfg.Language = *lang
	}
	h, err := newHandler(cfg, zap.NewNop(), func() time.Time { return when }, nil)
	if err != nil {
		return err
	}
	res, err := demo.Evaluate(ctx, h, body, cfg.Language)
	if err != nil {
		return fmt.Errorf("eval: %s: %w", files[0], err)
	}
	tty := isTerminal(stdout)
	if *asText || (tty && !*asJSON) {
		err = demo.WriteText(stdout, res, demo.TextOptions{AsOf: when.Format(time.DateOnly), AsOfSource: source, Color: tty})
	} else {
		var pretty bytes.Buffer
		if json.Indent(&pretty, res.Body, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(res.Body)
		}
		pretty.WriteByte('\n')
		_, err = stdout.Write(pretty.Bytes())
	}
	if err != nil {
		return err
	}
	if res.Status != http.StatusOK {
		return fmt.Errorf("eval: the service answered %d", res.Status)
	}
	return nil
}

// parseInterleaved parses flags placed before, between and after the
// positional arguments (the flag package stops at the first of these),
// and returns the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// isTerminal reports whether w is a terminal rather than a pipe or a file
// (/dev/null, too, is a character device, but not a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

func parseAsOf(s string) (time.Time, error) {
	t, err := demo.ParseDate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--as-of: %w", err)
	}
	return t, nil
}
