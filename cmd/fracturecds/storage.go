package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/admin"
	"github.com/fracturecds/fracturecds/hooks/store"
)

// StorageConfig selects where issued cards and feedback are kept (README
// "Feedback storage").
type StorageConfig struct {
	// Driver is sqlite (default: a file in data_dir, no setup) or
	// postgres (several replicas share it) (env
	// FRACTURECDS_STORAGE_DRIVER).
	Driver string `yaml:"driver"`
	// PostgresURL is the connection URL when Driver is postgres (env
	// FRACTURECDS_POSTGRES_URL, preferred: it may hold a password). It is
	// never logged or echoed in an error.
	PostgresURL string `yaml:"postgres_url"`
	// Retention is how long cards and feedback are kept, e.g. 2160h; 0
	// keeps them forever (env FRACTURECDS_RETENTION).
	Retention time.Duration `yaml:"retention"`
}

// defaultDataDir is relative to the working directory, so that the
// README's `go run ./cmd/fracturecds` works with no setup (.gitignore
// has /data/).
const defaultDataDir = "data"

func defaultStorageConfig() StorageConfig {
	return StorageConfig{Driver: store.SQLite, Retention: 90 * 24 * time.Hour}
}

// applyStorageEnv applies the storage environment overrides and returns
// the problems of unusable values.
func applyStorageEnv(cfg *Config, getenv func(string) string) []string {
	var problems []string
	if v := getenv("FRACTURECDS_DATA_DIR"); v != "" {
		cfg.DataDir = v
	}
	if v := getenv("FRACTURECDS_STORAGE_DRIVER"); v != "" {
		cfg.Storage.Driver = v
	}
	if v := getenv("FRACTURECDS_POSTGRES_URL"); v != "" {
		cfg.Storage.PostgresURL = v
	}
	if v := getenv("FRACTURECDS_RETENTION"); v != "" {
		if d, err := time.ParseDuration(v); err != nil {
			problems = append(problems, "FRACTURECDS_RETENTION (storage.retention): want a duration such as 2160h")
		} else {
			cfg.Storage.Retention = d
		}
	}
	return problems
}

// storageProblems lists what is wrong with the storage settings, never
// quoting the PostgreSQL URL.
func (cfg Config) storageProblems() []string {
	var problems []string
	switch cfg.Storage.Driver {
	case store.SQLite:
		if cfg.DataDir == "" {
			problems = append(problems, "data_dir is required with storage.driver sqlite")
		}
	case store.Postgres:
		if cfg.Storage.PostgresURL == "" {
			problems = append(problems, "storage.postgres_url (or FRACTURECDS_POSTGRES_URL) is required with storage.driver postgres")
		} else if u, err := url.Parse(cfg.Storage.PostgresURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			problems = append(problems, "storage.postgres_url: want postgres://user:password@host:port/database (value not shown)")
		}
	default:
		problems = append(problems, fmt.Sprintf("storage.driver %q: want sqlite or postgres", cfg.Storage.Driver))
	}
	if cfg.Storage.Retention < 0 {
		problems = append(problems, "storage.retention must not be negative (0 keeps everything)")
	}
	return problems
}

// openStore opens the configured store and runs its migrations.
func openStore(ctx context.Context, cfg Config, logger *zap.Logger) (*store.Store, error) {
	if p := cfg.storageProblems(); len(p) > 0 {
		return nil, fmt.Errorf("invalid configuration:\n  - %s", strings.Join(p, "\n  - "))
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	st, err := store.Open(ctx, store.Config{
		Driver:      cfg.Storage.Driver,
		DataDir:     cfg.DataDir,
		PostgresURL: cfg.Storage.PostgresURL,
		Retention:   cfg.Storage.Retention,
		Logger:      logger,
	})
	if err != nil {
		return nil, err
	}
	fields := []zap.Field{zap.String("driver", st.Driver()), zap.String("retention", cfg.Storage.Retention.String())}
	if st.Driver() == store.SQLite {
		fields = append(fields, zap.String("data_dir", cfg.DataDir))
	}
	logger.Info("feedback store open", fields...)
	return st, nil
}

// adminAnalytics returns the /analytics and /report handlers over st;
// both nil without a store.
func adminAnalytics(st *store.Store) (analytics, report http.Handler) {
	if st == nil {
		return nil, nil
	}
	return admin.AnalyticsHandler(st, time.Now), admin.ReportHandler(st, time.Now)
}

// cardLog and feedbackStore return st as the hooks interfaces, or nil
// interfaces without a store (a nil *Store in an interface is not nil).
func cardLog(st *store.Store) hooks.CardLog {
	if st == nil {
		return nil
	}
	return st
}

func feedbackStore(st *store.Store) hooks.FeedbackStore {
	if st == nil {
		return nil
	}
	return st
}

// withAnalytics adds /analytics and /report over st to an admin
// configuration.
func withAnalytics(cfg admin.Config, st *store.Store) admin.Config {
	cfg.Analytics, cfg.Report = adminAnalytics(st)
	return cfg
}

func storageCheck(st *store.Store) hooks.StorageCheck {
	if st == nil {
		return nil
	}
	return st
}
