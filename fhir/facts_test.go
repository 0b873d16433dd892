package fhir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// loadFactsBundle decodes a hand-written collection Bundle from
// testdata/facts as the prefetch decoder does (samply, and the one-pass
// observation for Observations) into res.
func loadFactsBundle(t *testing.T, name string, res *resources, draft bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "facts", name))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := r4.UnmarshalBundle(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for i, e := range bundle.Entry {
		var hdr struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		}
		if err := json.Unmarshal(e.Resource, &hdr); err != nil {
			t.Fatalf("%s entry %d: %v", name, i, err)
		}
		var decodeErr error
		switch hdr.ResourceType {
		case "Patient":
			var doc patientDoc
			if decodeErr = unmarshal(e.Resource, &doc); decodeErr == nil {
				p, badGender, ok := doc.readPatient()
				if !ok || badGender {
					decodeErr = fmt.Errorf("unreadable Patient")
				}
				res.patient = &p
			}
		case "Condition":
			var c condition
			c, decodeErr = decodeAs[condition](e.Resource)
			res.conditions = append(res.conditions, &c)
		case "Observation":
			var o observation
			o, decodeErr = decodeAs[observation](e.Resource)
			res.observations = append(res.observations, &o)
		case "ServiceRequest":
			var sr serviceRequest
			sr, decodeErr = decodeAs[serviceRequest](e.Resource)
			if decodeErr == nil && !sr.valid() {
				decodeErr = fmt.Errorf("invalid status %s", sr.Status)
			}
			if draft {
				res.draftServiceRequests = append(res.draftServiceRequests, &sr)
			} else {
				res.serviceRequests = append(res.serviceRequests, &sr)
			}
		default:
			t.Fatalf("%s entry %d: unexpected %s", name, i, hdr.ResourceType)
		}
		if decodeErr != nil {
			t.Fatalf("%s entry %d: %v", name, i, decodeErr)
		}
	}
}

func TestExtractScenario(t *testing.T) {
	term := testTerminology(t)
	res := &resources{gaps: []rules.Gap{{Source: "MedicationStatement/bad", What: rules.Text{NL: "medicatie (onbekende status)", EN: "medication (unknown status)"}}}}
	res.raw = map[rules.Ref]json.RawMessage{"MedicationRequest/mr-kept": json.RawMessage(`{"id":"mr-kept"}`)}
	loadFactsBundle(t, "scenario.json", res, false)
	loadFactsBundle(t, "draft-orders.json", res, true)
	asOf := time.Date(2024, 4, 1, 10, 0, 0, 0, time.UTC)
	in := Input{Hook: rules.OrderSelect, PatientID: "p1", AsOf: asOf}

	got := extract(res, in, term)

	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	f := func(v float64) *float64 { return &v }
	want := rules.Facts{
		AsOf:    asOf,
		Hook:    rules.OrderSelect,
		Patient: rules.Patient{ID: "p1", BirthDate: d(1948, 6, 1), Gender: "female"},
		Conditions: []rules.Condition{
			// The display is the code, never the EHR's free text.
			{Source: "Condition/c-tibia", Concepts: []rules.Concept{rules.ConceptFracture, rules.ConceptMTXTypicalSite}, Code: "SNOMED CT 31978002", Onset: d(2024, 2, 10), Active: true, Display: "scheenbeenbreuk links na val van fiets"},
			// L76 is vertebral here only because of the SNOMED coding.
			{Source: "Condition/c-vertebra", Concepts: []rules.Concept{rules.ConceptFracture, rules.ConceptVertebralFracture}, Code: "ICPC-1-NL L76", Onset: d(2019, 5, 1), Active: false},
			// No clinicalStatus counts as active; no onset falls back to
			// recordedDate, flagged as only the recording date.
			{Source: "Condition/c-hand", Concepts: []rules.Concept{rules.ConceptFracture}, Code: "ICPC-1-NL L74", Onset: d(2024, 1, 5), RecordedOnly: true, Active: true, LowConfidence: true},
		},
		Labs: []rules.Lab{
			{Source: "Observation/o-egfr", Analyte: rules.AnalyteEGFR, Value: 60, Comparator: rules.MoreThan, Date: time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC), Code: "LOINC 98979-8", OriginalValue: 60, OriginalUnit: "mL/min/{1.73_m2}"},
			{Source: "Observation/o-vitd", Analyte: rules.AnalyteVitaminD, Value: 29.952, Date: d(2024, 3, 1), Code: "NHG-45 VITD0001", RefLow: f(49.92), RefHigh: f(249.6), OriginalValue: 12, OriginalUnit: "ng/mL"},
			{Source: "Observation/o-calcium", Analyte: rules.AnalyteCalcium, Value: 2.0459, Date: time.Date(2024, 3, 3, 12, 0, 0, 0, time.UTC), Code: "LOINC 17861-6", OriginalValue: 8.2, OriginalUnit: "mg/dL"},
			// A missing status is usable.
			{Source: "Observation/o-phosphate-nostatus", Analyte: rules.AnalytePhosphate, Value: 1.1, Date: d(2024, 3, 1), Code: "LOINC 14879-1", OriginalValue: 1.1, OriginalUnit: "mmol/L"},
		},
		DXA: []rules.DXAMeasurement{
			{Source: "Observation/o-dxa-spine", Site: rules.SiteLumbarSpine, Measure: rules.TScore, Value: -2.7, Date: d(2024, 3, 15), Code: "LOINC 38267-1"},
			{Source: "Observation/o-dxa-neck", Site: rules.SiteFemoralNeck, Measure: rules.TScore, Value: -2.9, Date: d(2024, 3, 15), Code: "LOINC 38263-0"},
			{Source: "Observation/o-dxa-panel", Site: rules.SiteLumbarSpine, Measure: rules.BMD, Value: 0.812, Date: d(2024, 3, 15), Code: "LOINC 24966-4"},
			{Source: "Observation/o-dxa-panel", Site: rules.SiteTotalHip, Measure: rules.TScore, Value: -1.5, Date: d(2024, 3, 15), Code: "LOINC 80945-9", Laterality: "right"},
		},
		ServiceOrder: []rules.ServiceOrder{
			{Source: "ServiceRequest/sr-dxa", Kind: rules.ServiceDXA, Status: "active", Date: d(2024, 3, 2)},
			{Source: "ServiceRequest/draft-dxa", Kind: rules.ServiceDXA, Status: "draft", Date: d(2024, 4, 15), Draft: true},
		},
		Gaps: []rules.Gap{
			{Source: "Observation/o-alp-badunit", What: rules.Text{NL: "alkalische fosfatase (eenheid U/mL)", EN: "alkaline phosphatase (unit U/mL)"}},
			{Source: "Observation/o-tsh-nounit", What: rules.Text{NL: "TSH (geen eenheid)", EN: "TSH (no unit)"}},
			{Source: "Observation/o-dxa-femur-nosite", What: rules.Text{NL: "DXA T-score (LOINC 38263-0) zonder meetlocatie", EN: "DXA T-score (LOINC 38263-0) without measurement site"}},
			{Source: "MedicationStatement/bad", What: rules.Text{NL: "medicatie (onbekende status)", EN: "medication (unknown status)"}},
		},
	}
	// The scenario holds no medication resources; medication records are
	// built by medications.go and tested there.
	if diff := cmp.Diff(want, got.Facts); diff != "" {
		t.Errorf("extract (-want +got):\n%s", diff)
	}
	if b, ok := got.Resource("MedicationRequest/mr-kept"); !ok || string(b) != `{"id":"mr-kept"}` {
		t.Errorf("Result lost the raw resources: %s, %v", b, ok)
	}
}

func TestExtractWithoutPatientResource(t *testing.T) {
	asOf := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	got := extract(&resources{}, Input{Hook: rules.PatientView, PatientID: "p9", AsOf: asOf}, DefaultTerminology())
	want := rules.Facts{AsOf: asOf, Hook: rules.PatientView, Patient: rules.Patient{ID: "p9"}}
	if diff := cmp.Diff(want, got.Facts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestObservationFactsEdgeCases(t *testing.T) {
	term := testTerminology(t)
	// obs builds a final Observation; value and date are JSON members.
	obs := func(id, system, code, members string) *observation {
		return decodeObservation(t, `{"resourceType":"Observation","id":"`+id+`","status":"final","code":{"coding":[{"system":"`+system+`","code":"`+code+`"}]}`+members+`}`)
	}
	const date = `,"effectiveDateTime":"2024-03-01"`
	tests := []struct {
		name     string
		obs      *observation
		wantLabs int
		wantDXA  int
		wantGaps []rules.Gap
	}{
		{"eGFR as valueString is a gap, never normal", obs("o-str", SystemLOINC, "98979-8", `,"valueString":">60"`+date), 0, 0, []rules.Gap{{Source: "Observation/o-str", What: rules.Text{NL: "eGFR (geen numerieke waarde)", EN: "eGFR (no numeric value)"}}}},
		{"implausible TSH with a valid UCUM unit is a value gap, not a unit gap", obs("o-tsh", SystemLOINC, "3016-3", `,"valueQuantity":{"value":5e7,"unit":"mIU/L","system":"http://unitsofmeasure.org","code":"m[IU]/L"}`+date), 0, 0, []rules.Gap{{Source: "Observation/o-tsh", What: rules.Text{NL: "TSH (onmogelijke waarde)", EN: "TSH (implausible value)"}}}},
		{"negative TSH is a value gap", obs("o-tsh-neg", SystemLOINC, "3016-3", `,"valueQuantity":{"value":-1,"code":"m[IU]/L"}`+date), 0, 0, []rules.Gap{{Source: "Observation/o-tsh-neg", What: rules.Text{NL: "TSH (onmogelijke waarde)", EN: "TSH (implausible value)"}}}},
		{"undated lab is a gap", obs("o-nodate", SystemLOINC, "14635-7", `,"valueQuantity":{"value":50,"code":"nmol/L"}`), 0, 0, []rules.Gap{{Source: "Observation/o-nodate", What: rules.Text{NL: "25-OH-vitamine D (datum onbekend)", EN: "25-OH vitamin D (date unknown)"}}}},
		{"BMD without unit is a gap", obs("o-bmd", SystemLOINC, "24966-4", `,"valueQuantity":{"value":0.8}`+date), 0, 0, []rules.Gap{{Source: "Observation/o-bmd", What: rules.Text{NL: "DXA BMD (LOINC 24966-4) (geen eenheid)", EN: "DXA BMD (LOINC 24966-4) (no unit)"}}}},
		{"local DXA code maps to femoral neck", obs("o-local", "urn:local:dxa", "NECK-T", `,"valueQuantity":{"value":-2.6}`+date), 0, 1, nil},
		{"T-score as valueInteger", obs("o-int", SystemLOINC, "38267-1", `,"valueInteger":-3`+date), 0, 1, nil},
		{"unrelated code is ignored", obs("o-bp", SystemLOINC, "8480-6", `,"valueQuantity":{"value":120,"code":"mm[Hg]"}`+date), 0, 0, nil},
		{"registered has no result to read", obs("o-reg", SystemLOINC, "14635-7", `,"valueQuantity":{"value":50,"code":"nmol/L"}`+date+`,"status":"registered"`), 0, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f rules.Facts
			observationFacts(tc.obs, term, &f)
			labs, dxa, gaps := f.Labs, f.DXA, f.Gaps
			if len(labs) != tc.wantLabs || len(dxa) != tc.wantDXA {
				t.Errorf("got %d labs, %d DXA; want %d, %d", len(labs), len(dxa), tc.wantLabs, tc.wantDXA)
			}
			if diff := cmp.Diff(tc.wantGaps, gaps); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
		})
	}
}
