package main

import (
	"encoding/json"
	"testing"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
)

// rxnormProducts are the RxNorm products (SCD, SBD) a US EHR or the CDS
// Hooks Sandbox orders for the ATC codes of the seed cases. Codes and
// names as in the sandbox's medication list (an RxNorm extract; used by
// tests only). Denosumab, the calcium/vitamin D combination and the
// biologicals have no product in that list and keep their codes.
var rxnormProducts = map[string]struct{ code, display string }{
	"M05BA04": {"904431", "Alendronic acid 70 MG Oral Tablet"},
	"M05BA07": {"905024", "risedronate sodium 35 MG Oral Tablet"},
	"L04AX03": {"105585", "Methotrexate 2.5 MG Oral Tablet"},
	"H02AB06": {"198142", "prednisolone 5 MG Oral Tablet"},
	"A02BC01": {"207212", "Omeprazole 20 MG Delayed Release Oral Capsule [Prilosec]"},
}

// recodeAsRxNorm replaces the coding of every medication concept that has
// an ATC code in rxnormProducts with only the RxNorm product, as a US EHR
// sends it (no ATC, no ingredient code). It returns the request and the
// number of concepts recoded.
func recodeAsRxNorm(t *testing.T, request []byte) ([]byte, int) {
	t.Helper()
	var m any
	if err := json.Unmarshal(request, &m); err != nil {
		t.Fatal(err)
	}
	n := 0
	recode := func(cc any) {
		obj, ok := cc.(map[string]any)
		if !ok {
			return
		}
		codings, _ := obj["coding"].([]any)
		for _, c := range codings {
			coding, _ := c.(map[string]any)
			if coding["system"] != fhir.SystemATC {
				continue
			}
			code, _ := coding["code"].(string)
			if p, ok := rxnormProducts[code]; ok {
				obj["coding"] = []any{map[string]any{"system": fhir.SystemRxNorm, "code": p.code, "display": p.display}}
				n++
				return
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if cc, ok := v["medicationCodeableConcept"]; ok {
				recode(cc)
			}
			if v["resourceType"] == "Medication" {
				recode(v["code"])
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
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out, n
}

// TestSeedCasesWithRxNormProducts runs every seed case with its
// medications coded as RxNorm products instead of ATC + RxNorm ingredient:
// each case must give exactly the cards it gives with the original codes.
func TestSeedCasesWithRxNormProducts(t *testing.T) {
	total := 0
	for _, c := range fhirtest.LoadCases(t) {
		request, n := recodeAsRxNorm(t, c.Request(t))
		total += n
		t.Run(c.ID, func(t *testing.T) {
			checkCase(t, c, runCase(t, c, request))
		})
	}
	// Guard against a rewrite that silently recodes nothing.
	if total < 10 {
		t.Errorf("only %d medication concepts recoded across the seed cases", total)
	}
}
