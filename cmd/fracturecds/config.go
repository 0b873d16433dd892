package main

import (
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/rules"
)

// Config is the whole configuration: embedded defaults, then the YAML file
// given with --config, then environment variables, then flags. Keys are a
// contract with hospitals: never rename them.
type Config struct {
	// Addr is host:port to serve on (flag --addr, env FRACTURECDS_ADDR).
	Addr string `yaml:"addr"`
	// AdminAddr is host:port of the admin listener (metrics, analytics,
	// report); "off" disables it (flag --admin-addr, env
	// FRACTURECDS_ADMIN_ADDR). It is never the public CDS port.
	AdminAddr string `yaml:"admin_addr"`
	// Language is the card language, nl or en (env
	// FRACTURECDS_LANGUAGE). It wins over the request's Accept-Language
	// unless PreferRequestLanguage is set.
	Language string `yaml:"language"`
	// PreferRequestLanguage lets a request's Accept-Language (nl or en)
	// choose the card language instead of Language (env
	// FRACTURECDS_PREFER_REQUEST_LANGUAGE). Off by default: browser-based
	// EHRs send the browser's locale, which is not the clinician's choice
	// of card language.
	PreferRequestLanguage bool `yaml:"prefer_request_language"`
	// LogLevel is debug, info, warn or error (env FRACTURECDS_LOG_LEVEL).
	LogLevel string `yaml:"log_level"`
	// MaxBodyBytes caps request bodies.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxInFlight caps concurrent service calls (0 = 32 × CPUs); above it
	// the service answers 503 with Retry-After.
	MaxInFlight int `yaml:"max_in_flight"`
	// ShutdownTimeout bounds graceful shutdown on SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	FHIR            FHIRConfig    `yaml:"fhir"`
	// Thresholds overrides rule thresholds by key (rules.md §3 names, e.g.
	// CASEFIND_MIN_AGE: 50); see README "Thresholds".
	Thresholds map[string]any `yaml:"thresholds"`
	// LocalCodes maps local codes to the concepts the rules use.
	LocalCodes []fhir.LocalCode `yaml:"local_codes"`
	// Terminology configures an optional FHIR terminology server
	// (terminology.go).
	Terminology TerminologyConfig `yaml:"terminology"`
	// Tracing turns on OpenTelemetry tracing over OTLP/HTTP; off by
	// default (see observability.go).
	Tracing TracingConfig `yaml:"tracing"`
	// PublicBaseURL is the external base URL of the service (env
	// FRACTURECDS_PUBLIC_BASE_URL); a JWT's aud must be it + the path.
	PublicBaseURL string `yaml:"public_base_url"`
	// Auth lists the trusted CDS clients (security.go).
	Auth AuthConfig `yaml:"auth"`
	// InsecureNoAuth allows serving on a non-loopback address without
	// any issuer (flag --insecure-no-auth).
	InsecureNoAuth bool `yaml:"insecure_no_auth"`
	// TLSCertFile and TLSKeyFile serve HTTPS directly (flags --tls-cert,
	// --tls-key).
	TLSCertFile string     `yaml:"tls_cert_file"`
	TLSKeyFile  string     `yaml:"tls_key_file"`
	CORS        CORSConfig `yaml:"cors"`
	// DataDir holds the embedded SQLite database of issued cards and
	// feedback (env FRACTURECDS_DATA_DIR), relative to the working
	// directory; default data.
	DataDir string `yaml:"data_dir"`
	// Storage selects the feedback store (storage.go).
	Storage StorageConfig `yaml:"storage"`
	// BoneHealth turns on the bone-health SMART app (bonehealth.go).
	BoneHealth BoneHealthConfig `yaml:"bone_health"`
}

// FHIRConfig tunes the FHIR-server fallback.
type FHIRConfig struct {
	// Budget is the total time for all FHIR searches of one request; past
	// it the request gets 412 (env FRACTURECDS_FHIR_BUDGET).
	Budget           time.Duration `yaml:"budget"`
	MaxPages         int           `yaml:"max_pages"`
	MaxResponseBytes int64         `yaml:"max_response_bytes"`
	// Proxy is "environment" (default: HTTPS_PROXY, HTTP_PROXY and
	// NO_PROXY apply to FHIR calls, which carry the EHR's access token) or
	// "off" (FHIR servers are always called directly) (env
	// FRACTURECDS_FHIR_PROXY). README "Proxies".
	Proxy string `yaml:"proxy"`
}

func defaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		AdminAddr:       "127.0.0.1:9090",
		Language:        "nl",
		LogLevel:        "info",
		MaxBodyBytes:    4 << 20,
		ShutdownTimeout: 10 * time.Second,
		DataDir:         defaultDataDir,
		Storage:         defaultStorageConfig(),
		FHIR: FHIRConfig{
			Budget:           2 * time.Second,
			MaxPages:         20,
			MaxResponseBytes: 8 << 20,
			Proxy:            proxyEnvironment,
		},
		Terminology: defaultTerminologyConfig(),
	}
}

// loadConfigFile merges a YAML file over cfg. Unknown keys are errors so
// that a typo never silently falls back to a default. Every problem of
// the file is reported at once (a configProblems error); cfg then holds
// whatever could be read, so that config check can go on to validate it.
func loadConfigFile(cfg *Config, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return configProblems{fmt.Sprintf("%s is not valid YAML: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	if len(root.Content) == 0 {
		return nil // an empty file is an empty configuration
	}
	doc := root.Content[0]
	problems := configProblems(checkKeys(doc, reflect.TypeFor[Config](), ""))
	// Decoding goes on past a value of the wrong kind (checkKeys named
	// it) and ignores unknown keys (checkKeys named them too).
	if err := doc.Decode(cfg); err != nil && len(problems) == 0 {
		problems = append(problems, fmt.Sprintf("%s: %v", path, err))
	}
	cfg.Auth.resolvePaths(filepath.Dir(path))
	if len(problems) > 0 {
		return problems
	}
	return nil
}

// applyEnv applies environment overrides; unusable values are
// configProblems, all of them.
func applyEnv(cfg *Config, getenv func(string) string) error {
	var problems configProblems
	if v := getenv("FRACTURECDS_ADDR"); v != "" {
		cfg.Addr = v
	}
	if v := getenv("FRACTURECDS_ADMIN_ADDR"); v != "" {
		cfg.AdminAddr = v
	}
	if v := getenv("FRACTURECDS_PUBLIC_BASE_URL"); v != "" {
		cfg.PublicBaseURL = v
	}
	if v := getenv("FRACTURECDS_LANGUAGE"); v != "" {
		cfg.Language = v
	}
	if v := getenv("FRACTURECDS_PREFER_REQUEST_LANGUAGE"); v != "" {
		if b, err := strconv.ParseBool(v); err != nil {
			problems = append(problems, "FRACTURECDS_PREFER_REQUEST_LANGUAGE (prefer_request_language): want true or false")
		} else {
			cfg.PreferRequestLanguage = b
		}
	}
	if v := getenv("FRACTURECDS_LOG_LEVEL"); v != "" {
		cfg.LogLevel = v
	}
	if v := getenv("FRACTURECDS_FHIR_BUDGET"); v != "" {
		if d, err := time.ParseDuration(v); err != nil {
			problems = append(problems, "FRACTURECDS_FHIR_BUDGET (fhir.budget): want a duration such as 2s")
		} else {
			cfg.FHIR.Budget = d
		}
	}
	if v := getenv("FRACTURECDS_FHIR_PROXY"); v != "" {
		cfg.FHIR.Proxy = v
	}
	if v := getenv("FRACTURECDS_TRACING_ENDPOINT"); v != "" {
		cfg.Tracing.Endpoint = v
	}
	problems = append(problems, applyStorageEnv(cfg, getenv)...)
	if len(problems) > 0 {
		return problems
	}
	return nil
}

// validate checks the configuration once, at start-up, and returns the
// thresholds and terminology it implies; the error is a configProblems
// listing every problem.
func (cfg Config) validate() (rules.Thresholds, *fhir.Terminology, error) {
	var problems configProblems
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		problems = append(problems, fmt.Sprintf("addr %q: want host:port", cfg.Addr))
	}
	if cfg.AdminAddr != "off" {
		if _, _, err := net.SplitHostPort(cfg.AdminAddr); err != nil {
			problems = append(problems, fmt.Sprintf("admin_addr %q: want host:port or off", cfg.AdminAddr))
		} else if cfg.AdminAddr == cfg.Addr {
			problems = append(problems, "admin_addr must differ from addr: the admin endpoints never share the public CDS port")
		}
	}
	if cfg.Language != "nl" && cfg.Language != "en" {
		problems = append(problems, fmt.Sprintf("language %q: want nl or en", cfg.Language))
	}
	switch cfg.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("log_level %q: want debug, info, warn or error", cfg.LogLevel))
	}
	if cfg.FHIR.Budget <= 0 {
		problems = append(problems, "fhir.budget must be positive")
	}
	if cfg.FHIR.MaxPages <= 0 {
		problems = append(problems, "fhir.max_pages must be positive")
	}
	if cfg.FHIR.MaxResponseBytes <= 0 {
		problems = append(problems, "fhir.max_response_bytes must be positive")
	}
	problems = append(problems, cfg.Tracing.problems()...)
	problems = append(problems, cfg.Terminology.problems()...)
	if cfg.MaxInFlight < 0 {
		problems = append(problems, "max_in_flight must be 0 (automatic) or positive")
	}
	if cfg.MaxBodyBytes <= 0 {
		problems = append(problems, "max_body_bytes must be positive")
	}
	problems = append(problems, cfg.securityProblems()...)
	problems = append(problems, cfg.storageProblems()...)
	problems = append(problems, cfg.BoneHealth.problems(cfg.PublicBaseURL)...)
	th := rules.DefaultThresholds()
	// In key order, so that config check says the same every run.
	for _, k := range slices.Sorted(maps.Keys(cfg.Thresholds)) {
		if err := th.Set(k, cfg.Thresholds[k]); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if err := th.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	term, err := fhir.NewTerminology(cfg.LocalCodes)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return th, nil, problems
	}
	return th, term, nil
}
