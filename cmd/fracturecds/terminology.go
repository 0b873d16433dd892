package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds/fhir"
)

// TerminologyConfig is the optional FHIR R4 terminology server (config
// key terminology). Without a server the embedded expansions are used.
type TerminologyConfig struct {
	// Server is the FHIR R4 base URL of a terminology server holding the
	// service's value sets (fhir/terminology/source/fracturecds); empty
	// means none.
	Server string `yaml:"server"`
	// Refresh is how often the value sets are expanded again; the first
	// expansion runs at start-up, in the background.
	Refresh time.Duration `yaml:"refresh"`
	// Timeout bounds one refresh of all value sets.
	Timeout time.Duration `yaml:"timeout"`
}

func defaultTerminologyConfig() TerminologyConfig {
	return TerminologyConfig{Refresh: 24 * time.Hour, Timeout: 30 * time.Second}
}

// problems lists what is wrong with c, for Config.validate.
func (c TerminologyConfig) problems() []string {
	var p []string
	if c.Server != "" {
		u, err := url.Parse(c.Server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p = append(p, fmt.Sprintf("terminology.server %q: want an http(s) FHIR base URL", c.Server))
		}
	}
	if c.Refresh < time.Minute {
		p = append(p, "terminology.refresh must be at least 1m")
	}
	if c.Timeout <= 0 {
		p = append(p, "terminology.timeout must be positive")
	}
	return p
}

// refreshTerminology expands the value sets on the terminology server now
// and then every c.Refresh until ctx ends. A failed refresh keeps what is
// in use (the embedded expansions, or the last good server expansion)
// and is logged; the log names value sets and HTTP statuses, never
// patient data.
func refreshTerminology(ctx context.Context, term *fhir.Terminology, c TerminologyConfig, logger *zap.Logger) {
	client := &http.Client{Timeout: c.Timeout}
	once := func() {
		rctx, cancel := context.WithTimeout(ctx, c.Timeout)
		defer cancel()
		res, err := term.Refresh(rctx, client, c.Server)
		if err != nil {
			logger.Warn("terminology server: using the embedded expansions", zap.String("server", c.Server), zap.Error(err))
			return
		}
		logger.Info("terminology server: value sets expanded", zap.String("server", c.Server),
			zap.Int("expanded", res.Expanded), zap.Int("embedded_only", res.Fallback), zap.Int("codes_added", res.Added))
	}
	once()
	t := time.NewTicker(c.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			once()
		}
	}
}
