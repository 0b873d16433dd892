package main

import (
	"encoding/json"
	"testing"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
)

// codeSystemVariant recodes a seed request so that one kind of resource
// carries codes from one code system only: the seed cases must give the
// same cards whichever system the EHR uses (Dutch GPs send ICPC-1-NL and
// ATC, hospitals SNOMED CT or ICD-10 and ATC, US EHRs ICD-10-CM and RxNorm).
type codeSystemVariant struct {
	name string
	// resourceTypes are the resources whose codes are recoded.
	resourceTypes map[string]bool
	// keep are the systems kept; a resource with no coding in them keeps
	// its codes unchanged (not every fixture resource has every system).
	keep map[string]bool
	// as, when set, rewrites the kept codings to this system (the same
	// ICD-10 and ICPC codes are valid in the sibling systems).
	as string
}

var (
	conditionTypes  = map[string]bool{"Condition": true}
	medicationTypes = map[string]bool{"MedicationStatement": true, "MedicationRequest": true, "MedicationAdministration": true}
	icd10Systems    = map[string]bool{fhir.SystemICD10: true, fhir.SystemICD10CM: true}
	icpcSystems     = map[string]bool{fhir.SystemICPC2: true, fhir.SystemICPC1NL: true}
)

var codeSystemVariants = []codeSystemVariant{
	{"conditions-snomed-ct", conditionTypes, map[string]bool{fhir.SystemSNOMED: true}, ""},
	{"conditions-icd-10-who", conditionTypes, icd10Systems, fhir.SystemICD10},
	{"conditions-icd-10-cm", conditionTypes, icd10Systems, fhir.SystemICD10CM},
	{"conditions-icpc-2", conditionTypes, icpcSystems, fhir.SystemICPC2},
	{"conditions-icpc-1-nl", conditionTypes, icpcSystems, fhir.SystemICPC1NL},
	{"medications-atc", medicationTypes, map[string]bool{fhir.SystemATC: true}, ""},
	{"medications-rxnorm", medicationTypes, map[string]bool{fhir.SystemRxNorm: true}, ""},
}

// TestSeedCasesInEveryCodeSystem runs every seed case once per code-system
// variant, over HTTP with prefetch, and expects the case's must / must-not
// topics each time.
func TestSeedCasesInEveryCodeSystem(t *testing.T) {
	for _, c := range fhirtest.LoadCases(t) {
		for _, v := range codeSystemVariants {
			t.Run(c.ID+"/"+v.name, func(t *testing.T) {
				req, changed := v.apply(t, c.Request(t))
				if changed == 0 {
					t.Skipf("no %s resource with a coding to recode", v.name)
				}
				checkCase(t, c, runCase(t, c, req))
			})
		}
	}
}

// apply recodes every matching resource in the prefetch and draft orders;
// it returns the new request and how many resources it changed.
func (v codeSystemVariant) apply(t *testing.T, request []byte) ([]byte, int) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(request, &m); err != nil {
		t.Fatal(err)
	}
	changed := 0
	recode := func(res map[string]any) {
		if !v.resourceTypes[asString(res["resourceType"])] {
			return
		}
		for _, field := range []string{"code", "medicationCodeableConcept"} {
			cc, ok := res[field].(map[string]any)
			if !ok {
				continue
			}
			codings, _ := cc["coding"].([]any)
			var kept []any
			for _, c := range codings {
				coding, _ := c.(map[string]any)
				if coding != nil && v.keep[asString(coding["system"])] {
					if v.as != "" {
						coding["system"] = v.as
					}
					kept = append(kept, coding)
				}
			}
			if len(kept) > 0 && (len(kept) != len(codings) || v.as != "") {
				cc["coding"] = kept
				changed++
			}
		}
	}
	eachResource(m, recode)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out, changed
}

// eachResource calls f on every resource in a request's prefetch values and
// context.draftOrders.
func eachResource(req map[string]any, f func(map[string]any)) {
	visitBundle := func(v any) {
		b, _ := v.(map[string]any)
		if b == nil {
			return
		}
		if asString(b["resourceType"]) != "Bundle" {
			f(b)
			return
		}
		entries, _ := b["entry"].([]any)
		for _, e := range entries {
			em, _ := e.(map[string]any)
			if r, ok := em["resource"].(map[string]any); ok {
				f(r)
			}
		}
	}
	if pf, ok := req["prefetch"].(map[string]any); ok {
		for _, v := range pf {
			visitBundle(v)
		}
	}
	if ctx, ok := req["context"].(map[string]any); ok {
		visitBundle(ctx["draftOrders"])
	}
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
