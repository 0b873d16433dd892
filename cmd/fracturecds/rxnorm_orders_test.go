package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
)

// TestRxNormBisphosphonateOrderAtLowEGFR: a bisphosphonate order coded
// only as an RxNorm product, as US EHRs and the CDS Hooks Sandbox send it,
// gets the eGFR contraindication card at eGFR 24 on order-select and
// order-sign, and not at eGFR 60. Built on seed case S6 (an oral
// bisphosphonate being selected), with the draft order recoded and an
// eGFR added.
func TestRxNormBisphosphonateOrderAtLowEGFR(t *testing.T) {
	var base fhirtest.Case
	for _, c := range fhirtest.LoadCases(t) {
		if c.ID == "S6-order-select-oral-bp" {
			base = c
		}
	}
	if base.ID == "" {
		t.Fatal("seed case S6-order-select-oral-bp not found")
	}
	products := []struct{ code, display string }{
		{"904431", "Alendronic acid 70 MG Oral Tablet"},
		{"905024", "risedronate sodium 35 MG Oral Tablet"},
		{"904492", "Alendronic acid 70 MG / Cholecalciferol 2800 UNT Oral Tablet"},
	}
	for _, p := range products {
		for _, hook := range []string{"order-select", "order-sign"} {
			for _, egfr := range []float64{24, 60} {
				t.Run(fmt.Sprintf("%s/%s/eGFR %v", p.code, hook, egfr), func(t *testing.T) {
					c := base
					c.Service = "fracturecds-" + hook
					req := orderRequest(t, base.Request(t), hook, p.code, p.display, egfr)
					got, err := hookstest.Topics(runCase(t, c, req))
					if err != nil {
						t.Fatal(err)
					}
					_, fired := got["bisphosphonate-egfr-contraindication"]
					if want := egfr < 30; fired != want {
						t.Errorf("bisphosphonate-egfr-contraindication fired = %v, want %v (cards %v)", fired, want, got)
					}
				})
			}
		}
	}
}

// orderRequest rewrites the S6 request: the draft order coded only as the
// RxNorm product, an eGFR result two weeks before T, and the hook.
func orderRequest(t *testing.T, request []byte, hook, code, display string, egfr float64) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(request, &m); err != nil {
		t.Fatal(err)
	}
	m["hook"] = hook
	ctx := m["context"].(map[string]any)
	if hook == "order-sign" {
		delete(ctx, "selections")
	}
	draft := ctx["draftOrders"].(map[string]any)["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
	draft["medicationCodeableConcept"] = map[string]any{"coding": []any{map[string]any{
		"system": fhir.SystemRxNorm, "code": code, "display": display,
	}}}
	labs := m["prefetch"].(map[string]any)["labs"].(map[string]any)
	labs["entry"] = append(labs["entry"].([]any), map[string]any{
		"fullUrl": "https://ehr.example.org/fhir/Observation/s6-egfr",
		"resource": map[string]any{
			"resourceType": "Observation", "id": "s6-egfr", "status": "final",
			"code":              map[string]any{"coding": []any{map[string]any{"system": fhir.SystemLOINC, "code": "62238-1"}}},
			"subject":           map[string]any{"reference": "Patient/s6-pat"},
			"effectiveDateTime": "2025-09-01",
			"valueQuantity":     map[string]any{"value": egfr, "unit": "mL/min/1.73m2", "system": "http://unitsofmeasure.org", "code": "mL/min/{1.73_m2}"},
		},
	})
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
