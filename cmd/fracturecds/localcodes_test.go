package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
)

// An integration engineer maps a practice's own lab code (an NHG Tabel 45
// code for 25-OH vitamin D) in the configuration file; the service must
// then read it exactly as the LOINC code, without a rebuild. SEED-GP
// Casus 1 (S3b) has vitamin D 31 nmol/L: with the LOINC code replaced by
// the local code, the deficiency card must come back only when mapped.
func TestLocalCodeMappingFromTheConfigurationFile(t *testing.T) {
	var s3b fhirtest.Case
	for _, c := range fhirtest.LoadCases(t) {
		if c.ID == "S3b-pieterse-results" {
			s3b = c
		}
	}
	if s3b.ID == "" {
		t.Fatal("seed case S3b not found")
	}
	const localSystem, localCode = "urn:oid:2.16.840.1.113883.2.4.4.30.45", "VITD-0031"
	req := recodeObservation(t, s3b.Request(t), "14635-7", localSystem, localCode)

	dir := t.TempDir()
	mapped := filepath.Join(dir, "mapped.yaml")
	unmapped := filepath.Join(dir, "unmapped.yaml")
	os.WriteFile(unmapped, []byte("language: en\n"), 0o644)
	os.WriteFile(mapped, []byte(`language: en
local_codes:
  - system: `+localSystem+`
    code: `+localCode+`
    analyte: 25-oh-vitamin-d
`), 0o644)
	if err := run(t.Context(), []string{"config", "check", mapped}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Fatalf("config check rejects the documented local-code shape: %v", err)
	}

	for _, tt := range []struct {
		config string
		want   bool
	}{{unmapped, false}, {mapped, true}} {
		cfg, err := loadConfig(tt.config, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		cfg.AdminAddr = "off"
		h, err := newHandler(cfg, zap.NewNop(), func() time.Time { return s3b.AsOf }, nil)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		hreq := httptest.NewRequest(http.MethodPost, "/cds-services/"+s3b.Service, bytes.NewReader(req))
		hreq.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, hreq)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d: %s", filepath.Base(tt.config), rec.Code, rec.Body)
		}
		topics, _ := hookstest.Topics(rec.Body.Bytes())
		_, got := topics["vitamin-d-deficiency"]
		if got != tt.want {
			t.Errorf("%s: vitamin-d-deficiency fired = %v, want %v (cards %v)", filepath.Base(tt.config), got, tt.want, topics)
		}
		if tt.want && !strings.Contains(rec.Body.String(), "31") {
			t.Errorf("the card does not show the locally coded value 31 nmol/L")
		}
	}
}

// recodeObservation replaces the coding with code `from` on every
// Observation of a request by a single local coding.
func recodeObservation(t *testing.T, request []byte, from, system, code string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(request, &m); err != nil {
		t.Fatal(err)
	}
	n := 0
	eachResource(m, func(r map[string]any) {
		if r["resourceType"] != "Observation" {
			return
		}
		cc, _ := r["code"].(map[string]any)
		codings, _ := cc["coding"].([]any)
		for _, c := range codings {
			if cm, _ := c.(map[string]any); cm != nil && cm["code"] == from {
				cc["coding"] = []any{map[string]any{"system": system, "code": code}}
				n++
				return
			}
		}
	})
	if n == 0 {
		t.Fatalf("no Observation with code %s", from)
	}
	out, _ := json.Marshal(m)
	return out
}
