package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
)

// TestFractureSitesGiveCaseFinding: the SNOMED CT fracture concepts that
// EHRs and Synthea send for a site (not the site's generic concept) give
// fracture case finding for a 76-year-old. The seed case S3a (a recent
// distal radius fracture) is rewritten to carry only the code under test
// (its ICD-10 coding removed); an unknown
// code must give no case finding, so the test can fail.
func TestFractureSitesGiveCaseFinding(t *testing.T) {
	var base fhirtest.Case
	for _, c := range fhirtest.LoadCases(t) {
		if c.ID == "S3a-pieterse-casefinding" {
			base = c
		}
	}
	if base.ID == "" {
		t.Fatal("seed case S3a not found")
	}
	request := base.Request(t)
	// 76 years old at the case's T (2024-03-01).
	request = bytes.Replace(request, []byte(`"birthDate": "1961-06-15"`), []byte(`"birthDate": "1948-01-10"`), 1)
	tests := []struct {
		name, code string
		want       bool
	}{
		{"rib (Synthea Broken_Rib)", "33737001", true},
		{"clavicle (Synthea Broken_Clavicle)", "58150001", true},
		{"wrist fracture-subluxation (Synthea Broken_Wrist)", "263102004", true},
		{"vertebral column without cord injury (Synthea)", "15724005", true},
		{"closed fracture of neck of femur, from VSAC", "359820003", true},
		{"closed transcervical fracture of femur, from VSAC lower body", "79484004", true},
		{"pathological femur fracture in neoplastic disease is excluded", "11309881000119104", false},
		{"a code no value set knows", "999999999", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := recodeCondition(t, request, "s3a-radius-fracture", tt.code)
			c := base
			c.AsOf = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
			body := runCase(t, c, req)
			got, err := hookstest.Topics(body)
			if err != nil {
				t.Fatal(err)
			}
			_, fired := got["fracture-case-finding"]
			if fired != tt.want {
				t.Errorf("fracture-case-finding fired = %v, want %v (cards: %v)", fired, tt.want, got)
			}
		})
	}
}

// recodeCondition replaces the codings of the Condition with id in a
// request by one SNOMED CT coding.
func recodeCondition(t *testing.T, request []byte, id, code string) []byte {
	t.Helper()
	var m any
	if err := json.Unmarshal(request, &m); err != nil {
		t.Fatal(err)
	}
	found := false
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["resourceType"] == "Condition" && v["id"] == id {
				v["code"] = map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": code}}}
				found = true
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(m)
	if !found {
		t.Fatalf("no Condition %s in the request", id)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
