package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
)

func TestTerminologyConfigProblems(t *testing.T) {
	tests := []struct {
		name string
		c    TerminologyConfig
		want []string
	}{
		{"default: no server", defaultTerminologyConfig(), nil},
		{"a server", TerminologyConfig{Server: "https://tx.example.org/fhir", Refresh: time.Hour, Timeout: time.Second}, nil},
		{"not a URL", TerminologyConfig{Server: "tx.example.org", Refresh: time.Hour, Timeout: time.Second},
			[]string{`terminology.server "tx.example.org": want an http(s) FHIR base URL`}},
		{"refresh too often, no timeout", TerminologyConfig{Refresh: time.Second},
			[]string{"terminology.refresh must be at least 1m", "terminology.timeout must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.c.problems()
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("problems = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTerminologyServerExpandsAtStartUp runs the service with
// terminology.server pointing at an in-process FHIR terminology server
// whose expansion of the fracture value set has a SNOMED CT descendant the
// embedded expansion lacks: once the start-up expansion is in, a patient
// with a recent fracture coded so gets case finding.
func TestTerminologyServerExpandsAtStartUp(t *testing.T) {
	const descendant = "704236005"
	var calls atomic.Int32
	tx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		u := r.URL.Query().Get("url")
		if r.URL.Path != "/fhir/ValueSet/$expand" || u != "https://fracturecds.org/fhir/ValueSet/condition-fracture" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		fmt.Fprintf(w, `{"resourceType":"ValueSet","url":%q,"version":"1","expansion":{"timestamp":"2026-12-01T00:00:00Z","contains":[{"system":"http://snomed.info/sct","code":%q}]}}`, u, descendant)
	}))
	defer tx.Close()

	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte("terminology:\n  server: "+tx.URL+"/fhir\n  refresh: 1h\n  timeout: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--admin-addr", "off", "--config", cfgPath}, func(string) string { return "" }, io.Discard, io.Discard)
	}()
	defer func() { cancel(); <-done }()
	waitHealthy(t, "http://"+addr+"/healthz")

	var base fhirtest.Case
	for _, c := range fhirtest.LoadCases(t) {
		if c.ID == "S3a-pieterse-casefinding" {
			base = c
		}
	}
	req := recodeCondition(t, base.Request(t), "s3a-radius-fracture", descendant)
	// run uses the wall clock: the fracture is two months old today.
	recent := time.Now().AddDate(0, -2, 0).Format("2006-01-02")
	if req = bytes.Replace(req, []byte(`"2023-12-01"`), []byte(`"`+recent+`"`), -1); !bytes.Contains(req, []byte(recent)) {
		t.Fatal("onset not rewritten")
	}
	fired := false
	for deadline := time.Now().Add(10 * time.Second); !fired && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Post("http://"+addr+"/cds-services/fracturecds-patient-view", "application/json", bytes.NewReader(req))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		topics, err := hookstest.Topics(body)
		if err != nil {
			t.Fatal(err)
		}
		_, fired = topics["fracture-case-finding"]
	}
	if !fired {
		t.Fatalf("no case finding for the server's descendant (%d $expand calls)", calls.Load())
	}
}
