package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/auth/authtest"
	"github.com/fracturecds/fracturecds/hooks/store/storetest"
)

// TestTwoReplicasOnOnePostgresRefuseAReplayedToken starts two service
// processes (two run instances, each with its own connection pool) behind
// one public base URL on one PostgreSQL database, as the Kubernetes
// deployment runs them. A token accepted by one replica is refused by the
// other, in both directions; a fresh token is accepted by either.
func TestTwoReplicasOnOnePostgresRefuseAReplayedToken(t *testing.T) {
	pg := storetest.PostgresURL(t)
	key := authtest.NewSigner(t, "ehr-2026", jwa.ES256())
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ehr.jwks.json"), authtest.JWKS(t, key), 0o600); err != nil {
		t.Fatal(err)
	}
	const base = "https://cds.hospital.example"
	const iss = "https://ehr.hospital.example"
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte("public_base_url: "+base+"\nauth:\n  issuers:\n    - iss: "+iss+"\n      jwks_file: ehr.jwks.json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FRACTURECDS_CONFIG": config, "FRACTURECDS_STORAGE_DRIVER": "postgres", "FRACTURECDS_POSTGRES_URL": pg}
	a, b := startService(t, env), startService(t, env)

	token := func() string {
		now := time.Now()
		return key.Sign(t, map[string]any{"iss": iss, "aud": base + "/cds-services", "iat": now.Unix(),
			"exp": now.Add(5 * time.Minute).Unix(), "jti": uuid.NewString()}, nil)
	}
	discover := func(s *service, tok string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.base+"/cds-services", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, order := range []struct {
		name         string
		first, other *service
	}{{"a then b", a, b}, {"b then a", b, a}} {
		tok := token()
		if got := discover(order.first, tok); got != http.StatusOK {
			t.Fatalf("%s: first use: %d, want 200\n%s", order.name, got, order.first.logs)
		}
		if got := discover(order.other, tok); got != http.StatusUnauthorized {
			t.Errorf("%s: replay at the other replica: %d, want 401", order.name, got)
		}
		if got := discover(order.first, tok); got != http.StatusUnauthorized {
			t.Errorf("%s: replay at the same replica: %d, want 401", order.name, got)
		}
	}
	if got := discover(b, token()); got != http.StatusOK {
		t.Errorf("a fresh token: %d, want 200", got)
	}
}

// TestConfigCheckNamesDroppedJWKSKeys: a jwks_file with a good key and an
// old RSA-1024 key is a valid configuration, and config check names the
// key the service will ignore.
func TestConfigCheckNamesDroppedJWKSKeys(t *testing.T) {
	good := authtest.NewSigner(t, "current", jwa.ES256())
	weak := authtest.NewRSASigner(t, "legacy-2015", jwa.RS256(), 1024)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ehr.jwks.json"), authtest.JWKS(t, weak, good), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte("public_base_url: https://cds.hospital.example\nauth:\n  issuers:\n    - iss: https://ehr.hospital.example\n      jwks_file: ehr.jwks.json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"config", "check", config}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("config check: %v", err)
	}
	want := config + `: warning: auth.issuers[0].jwks_file: key 0 (kid "legacy-2015"): RSA key of 1024 bits (at least 2048 required) dropped` + "\n" +
		config + ": configuration is valid\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("config check output (-want +got):\n%s", diff)
	}
}

// TestDeletingTheDataDirectoryWhileRunningIsNeverAnswered200: the service
// runs on SQLite; its data directory is deleted. /readyz turns 503 (the
// load balancer stops sending calls), and feedback is answered 503 with
// Retry-After instead of 200, because it can no longer be stored.
func TestDeletingTheDataDirectoryWhileRunningIsNeverAnswered200(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	svc := startService(t, map[string]string{"FRACTURECDS_DATA_DIR": dataDir})
	feedback := []byte(`{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2026-01-05T10:00:00Z"}]}`)
	post := func() *http.Response {
		t.Helper()
		resp, err := http.Post(svc.base+"/cds-services/"+hooks.ServicePatientView+"/feedback", "application/json", bytes.NewReader(feedback))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	ready := func() int {
		t.Helper()
		resp, err := http.Get(svc.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := ready(); got != http.StatusOK {
		t.Fatalf("/readyz before: %d", got)
	}
	if resp := post(); resp.StatusCode != http.StatusOK {
		t.Fatalf("feedback before: %d", resp.StatusCode)
	}
	if err := os.RemoveAll(dataDir); err != nil {
		t.Fatal(err)
	}
	if got := ready(); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the data directory gone: %d, want 503", got)
	}
	resp := post()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("feedback with the data directory gone: %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(svc.logs.String(), "removed or replaced") {
		t.Errorf("the log does not say why:\n%s", svc.logs)
	}
}

// TestFHIRProxySetting: fhir.proxy off gives FHIR calls a transport that
// never consults the proxy environment; the default keeps it; the
// environment variable overrides the file; anything else is refused.
func TestFHIRProxySetting(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	off := write("off.yaml", "fhir:\n  proxy: off\n")
	def := write("default.yaml", "language: en\n")
	bad := write("bad.yaml", "fhir:\n  proxy: http://proxy.hospital.example:3128\n")
	for _, tt := range []struct {
		name      string
		path      string
		env       map[string]string
		wantProxy bool
	}{
		{"default", def, nil, true},
		{"off in the file", off, nil, false},
		{"off in the environment", def, map[string]string{"FRACTURECDS_FHIR_PROXY": "off"}, false},
		{"environment overrides the file", off, map[string]string{"FRACTURECDS_FHIR_PROXY": "environment"}, true},
	} {
		cfg, err := loadConfig(tt.path, func(k string) string { return tt.env[k] })
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if _, _, err := cfg.validate(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := fhirTransport(cfg.FHIR.Proxy).Proxy != nil; got != tt.wantProxy {
			t.Errorf("%s: FHIR transport consults the proxy environment = %v, want %v", tt.name, got, tt.wantProxy)
		}
	}
	var out strings.Builder
	err := run(context.Background(), []string{"config", "check", bad}, func(string) string { return "" }, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "fhir.proxy") {
		t.Errorf("config check of fhir.proxy with a URL: %v, want a fhir.proxy problem", err)
	}
}

// TestOversizedTokensAreRefused: a 20 KB bearer token is a 401 from the
// verifier; a 100 KB one never reaches it: the HTTP server answers 431,
// as the README states.
func TestOversizedTokensAreRefused(t *testing.T) {
	key := authtest.NewSigner(t, "k", jwa.ES256())
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keys.json"), authtest.JWKS(t, key), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte("public_base_url: https://cds.hospital.example\nauth:\n  issuers:\n    - iss: https://ehr.hospital.example\n      jwks_file: keys.json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := startService(t, map[string]string{"FRACTURECDS_CONFIG": config, "FRACTURECDS_DATA_DIR": filepath.Join(dir, "data")})
	for _, tt := range []struct {
		size int
		want int
	}{{20 << 10, http.StatusUnauthorized}, {100 << 10, http.StatusRequestHeaderFieldsTooLarge}} {
		req, _ := http.NewRequest(http.MethodGet, svc.base+"/cds-services", nil)
		req.Header.Set("Authorization", "Bearer "+strings.Repeat("a", tt.size/2)+"."+strings.Repeat("b", tt.size/2)+".c")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%d-byte token: %d, want %d", tt.size, resp.StatusCode, tt.want)
		}
	}
}
