package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// configCheckProblems runs `fracturecds config check` and returns the
// problem lines of its error.
func configCheckProblems(t *testing.T, path string, env map[string]string) (header string, problems []string) {
	t.Helper()
	var out strings.Builder
	err := run(context.Background(), []string{"config", "check", path}, func(k string) string { return env[k] }, &out, io.Discard)
	if err == nil {
		t.Fatalf("config check passed: %s", out.String())
	}
	lines := strings.Split(err.Error(), "\n")
	for _, l := range lines[1:] {
		problems = append(problems, strings.TrimPrefix(l, "  - "))
	}
	return lines[0], problems
}

// TestConfigCheckReportsEveryProblemAtOnce: typos, values of the wrong
// kind, invalid values and environment variables are all reported in one
// run, in configuration-key terms with line numbers, never with Go type
// names.
func TestConfigCheckReportsEveryProblemAtOnce(t *testing.T) {
	path := writeConfig(t, `addr: 127.0.0.1:8080
adress: 127.0.0.1:8081
budget: 3s
language: de
fhir:
  budget: soon
  max_pagess: 3
  max_response_bytes: lots
auth:
  clock_skew: [1]
tracing: on
cors:
  allowed_origins: https://ehr.example
storage:
  driver: mysql
insecure_no_auth: maybe
thresholds:
  CASEFIND_MIN_AGE: [50]
`)
	header, got := configCheckProblems(t, path, map[string]string{"FRACTURECDS_RETENTION": "forever"})
	want := []string{
		"line 2: unknown key adress",
		"line 3: unknown key budget (did you mean fhir.budget?)",
		"line 6: fhir.budget: want a duration such as 2s, 500ms or 1h30m",
		"line 7: unknown key fhir.max_pagess (did you mean fhir.max_pages?)",
		"line 8: fhir.max_response_bytes: want a whole number",
		"line 10: auth.clock_skew: want a duration such as 2s, 500ms or 1h30m",
		"line 11: tracing: want a mapping of key: value lines",
		`line 13: cors.allowed_origins: want a list (one "- value" per line, or [a, b])`,
		"line 16: insecure_no_auth: want true or false",
		"FRACTURECDS_RETENTION (storage.retention): want a duration such as 2160h",
		`language "de": want nl or en`,
		`storage.driver "mysql": want sqlite or postgres`,
		"threshold CASEFIND_MIN_AGE: want a whole number, got a list",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if header != path+": 13 problems:" {
		t.Errorf("header %q", header)
	}
	for _, p := range got {
		for _, goName := range []string{"main.", "time.Duration", "int64", "[]string", "[]interface", "!!str", "unmarshal"} {
			if strings.Contains(p, goName) {
				t.Errorf("problem %q speaks Go (%s), not configuration keys", p, goName)
			}
		}
	}
}

// TestConfigCheckFailsWhereTheServiceWouldRefuseToStart: a non-loopback
// addr without auth.issuers passes every per-key check, but the service
// refuses to start with it, so config check must fail too, and say how
// to fix it.
func TestConfigCheckFailsWhereTheServiceWouldRefuseToStart(t *testing.T) {
	exposed := writeConfig(t, "addr: 0.0.0.0:8080\n")
	_, got := configCheckProblems(t, exposed, nil)
	if len(got) != 1 || !strings.Contains(got[0], "auth.issuers is empty") || !strings.Contains(got[0], "insecure_no_auth: true") {
		t.Errorf("problems %q, want one naming auth.issuers and insecure_no_auth", got)
	}
	// The same address from the environment, as in a container.
	_, got = configCheckProblems(t, writeConfig(t, ""), map[string]string{"FRACTURECDS_ADDR": "0.0.0.0:8080"})
	if len(got) != 1 || !strings.Contains(got[0], "0.0.0.0:8080") {
		t.Errorf("problems %q, want the exposed address", got)
	}
	// The start-up refusal is the same check.
	err := run(context.Background(), []string{"--config", exposed}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "auth.issuers is empty") {
		t.Errorf("serving refused with %v", err)
	}
	// Accepting the risk explicitly passes.
	var out strings.Builder
	if err := run(context.Background(), []string{"config", "check", writeConfig(t, "addr: 0.0.0.0:8080\ninsecure_no_auth: true\n")}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Errorf("insecure_no_auth: true still fails: %v", err)
	}
}

// TestBindErrorNamesTheSettingFlagAndEnvironment: a port already taken
// (HAPI FHIR and Prometheus use the defaults 8080 and 9090) stops the
// service with a message naming the flag, environment variable and key.
func TestBindErrorNamesTheSettingFlagAndEnvironment(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"CDS listener", []string{"--addr", taken.Addr().String(), "--admin-addr", "off"},
			[]string{"the CDS Hooks listener cannot listen on " + taken.Addr().String(), "port is in use", "--addr", "FRACTURECDS_ADDR", "addr"}},
		{"admin listener", []string{"--addr", freeAddr(t), "--admin-addr", taken.Addr().String()},
			[]string{"the admin listener cannot listen on " + taken.Addr().String(), "port is in use", "--admin-addr", "FRACTURECDS_ADMIN_ADDR", "admin_addr", "off disables"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"FRACTURECDS_DATA_DIR": t.TempDir()}
			err := run(context.Background(), tt.args, func(k string) string { return env[k] }, io.Discard, io.Discard)
			if err == nil {
				t.Fatal("started on a port in use")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestCardLanguageSetting: the configured language wins over a browser's
// Accept-Language unless prefer_request_language (or its environment
// variable) says otherwise.
func TestCardLanguageSetting(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "..", "examples", "patient-view.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, config string
		env          map[string]string
		want         string
	}{
		{"default: configured nl wins", "", nil, "nl"},
		{"configured en wins", "language: en\n", map[string]string{}, "en"},
		{"request preferred", "prefer_request_language: true\n", nil, "en"},
		{"request preferred by env", "", map[string]string{"FRACTURECDS_PREFER_REQUEST_LANGUAGE": "true"}, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(writeConfig(t, tt.config), func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			h, err := newHandler(cfg, zap.NewNop(), time.Now, nil)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, "/cds-services/fracturecds-patient-view", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			// An English-locale browser.
			req.Header.Set("Accept-Language", "en-US,en;q=0.9")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Content-Language"); got != tt.want {
				t.Errorf("Content-Language %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := loadConfig("", func(k string) string {
		return map[string]string{"FRACTURECDS_PREFER_REQUEST_LANGUAGE": "sometimes"}[k]
	}); err == nil || !strings.Contains(err.Error(), "prefer_request_language") {
		t.Errorf("a bad FRACTURECDS_PREFER_REQUEST_LANGUAGE gave %v", err)
	}
}

// TestStartReportsEveryConfigurationProblem: the service, like config
// check, names every problem of its configuration when it refuses to
// start, not the first one.
func TestStartReportsEveryConfigurationProblem(t *testing.T) {
	path := writeConfig(t, "addr: 0.0.0.0:8080\nlog_level: loud\nfhir:\n  budgt: 1s\n")
	err := run(context.Background(), []string{"--config", path}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("started")
	}
	for _, want := range []string{"unknown key fhir.budgt (did you mean fhir.budget?)", `log_level "loud"`, "auth.issuers is empty"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
