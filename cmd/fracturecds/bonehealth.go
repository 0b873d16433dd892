package main

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks/bonehealth"
	"github.com/fracturecds/fracturecds/rules"
)

// BoneHealthConfig turns on the bone-health SMART app (README "Bone-health
// view"). Its launch and redirect URLs derive from public_base_url.
type BoneHealthConfig struct {
	// Enabled serves /bone-health/ and puts smart links on the cards that
	// weigh a history.
	Enabled bool `yaml:"enabled"`
	// ClientID is the app's client id at the EHR's authorization server
	// (default fracturecds-bone-health).
	ClientID string `yaml:"client_id"`
}

func (b BoneHealthConfig) problems(publicBaseURL string) []string {
	if !b.Enabled {
		return nil
	}
	u, err := url.Parse(publicBaseURL)
	if publicBaseURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return []string{fmt.Sprintf("bone_health.enabled needs public_base_url as an absolute http(s) URL (the redirect URI derives from it), not %q", publicBaseURL)}
	}
	return nil
}

// boneHealthApp wires the app, or returns nil when it is off. It reads the
// record with the CDS path's Gatherer and FHIR allow-list.
func boneHealthApp(cfg Config, logger *zap.Logger, g *fhir.Gatherer, th rules.Thresholds, allow func(string) bool, now func() time.Time) *bonehealth.App {
	if !cfg.BoneHealth.Enabled {
		return nil
	}
	return bonehealth.New(bonehealth.Config{
		Logger:      logger,
		Facts:       g,
		Thresholds:  th,
		PublicURL:   cfg.PublicBaseURL,
		ClientID:    cfg.BoneHealth.ClientID,
		AllowServer: allow,
		Now:         now,
	})
}

// demoBoneHealth is the bone-health view for fracturecds demo: the view of
// a demo request's own prefetch, read by a Gatherer like the service's
// (no FHIR server, no SMART launch, so no allow-list to pass).
func demoBoneHealth(logger *zap.Logger, th rules.Thresholds, term *fhir.Terminology) func(http.ResponseWriter, []byte, time.Time, string) {
	app := bonehealth.New(bonehealth.Config{
		Logger:      logger,
		Facts:       fhir.NewGatherer(fhir.Options{Terminology: term, AllowServer: func(string) bool { return false }}),
		Thresholds:  th,
		AllowServer: func(string) bool { return false },
	})
	return app.ServeRequest
}
