package fhir

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// readOutcome is what one resource turned into: how many facts of each
// kind, the gaps (their English text) and the names logged for resources
// set aside.
type readOutcome struct {
	Labs, DXA, Conditions, Medications, ServiceOrders int
	Gaps                                              []string
	Unreadable                                        []string
}

// readOne decodes resource as the one entry of key's Bundle (key
// "draftOrders": as context.draftOrders) and extracts its facts.
func readOne(t *testing.T, key, resource string) (readOutcome, error) {
	t.Helper()
	body := `{"resourceType":"Bundle","entry":[{"resource":` + resource + `}]}`
	res := &resources{}
	var err error
	if key == "draftOrders" {
		err = decodeDraftOrders(json.RawMessage(body), "p1", res)
	} else {
		_, err = decodeValue(key, []byte(body), "p1", res)
	}
	if err != nil {
		return readOutcome{}, err
	}
	asOf := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	r := extract(res, Input{Hook: rules.OrderSign, PatientID: "p1", AsOf: asOf}, DefaultTerminology())
	o := readOutcome{Labs: len(r.Facts.Labs), DXA: len(r.Facts.DXA), Conditions: len(r.Facts.Conditions),
		Medications: len(r.Facts.Medications), ServiceOrders: len(r.Facts.ServiceOrder), Unreadable: r.Unreadable}
	for _, g := range r.Facts.Gaps {
		o.Gaps = append(o.Gaps, g.What.EN)
	}
	return o, nil
}

// Members of the resources used below, in R4's own shape.
const (
	toleranceSubject = `"subject":{"reference":"Patient/p1"}`
	eGFRCode         = `"code":{"coding":[{"system":"http://loinc.org","code":"62238-1"}]}`
	eGFRValue        = `"valueQuantity":{"value":25,"unit":"mL/min/1.73m2","system":"http://unitsofmeasure.org","code":"mL/min/{1.73_m2}"}`
	alendronate      = `"medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]}`
	femurFracture    = `"code":{"coding":[{"system":"http://snomed.info/sct","code":"71620000"}]}`
)

func observationWith(members ...string) string {
	return `{"resourceType":"Observation","id":"o1","status":"final",` + toleranceSubject + `,"effectiveDateTime":"2025-05-01",` + strings.Join(members, ",") + `}`
}

func conditionWith(members ...string) string {
	return `{"resourceType":"Condition","id":"c1",` + toleranceSubject + `,` + strings.Join(members, ",") + `}`
}

func requestWith(members ...string) string {
	return `{"resourceType":"MedicationRequest","id":"mr1","status":"draft","intent":"order",` + toleranceSubject + `,"authoredOn":"2025-05-30",` + strings.Join(members, ",") + `}`
}

func statementWith(members ...string) string {
	return `{"resourceType":"MedicationStatement","id":"ms1","status":"active",` + toleranceSubject + `,"effectivePeriod":{"start":"2024-01-01"},` + strings.Join(members, ",") + `}`
}

// Each shape real senders use where R4 says otherwise is read: the same
// facts as the R4 shape, no gap. An element no decision needs is not read
// at all, whatever its shape.
func TestToleratedShapesAreRead(t *testing.T) {
	lab := readOutcome{Labs: 1}
	tests := []struct {
		name, key, resource string
		want                readOutcome
	}{
		{"R4 shape (the reference)", KeyLabs, observationWith(eGFRCode, eGFRValue), lab},
		{"code.coding as one object", KeyLabs, observationWith(`"code":{"coding":{"system":"http://loinc.org","code":"62238-1"}}`, eGFRValue), lab},
		{"valueQuantity as a list of one", KeyLabs, observationWith(eGFRCode, `"valueQuantity":[{"value":25,"code":"mL/min/{1.73_m2}"}]`), lab},
		{"referenceRange as one object", KeyLabs, observationWith(eGFRCode, eGFRValue, `"referenceRange":{"low":{"value":60}}`), lab},
		{"category as one object (not read)", KeyLabs, observationWith(eGFRCode, eGFRValue, `"category":{"coding":[{"code":"laboratory"}]}`), lab},
		{"an element no rule reads in any shape", KeyLabs, observationWith(eGFRCode, eGFRValue, `"performer":"dr. X"`, `"note":7`, `"interpretation":[[1]]`), lab},
		{"Condition code.coding as one object", KeyConditions, conditionWith(`"code":{"coding":{"system":"http://snomed.info/sct","code":"71620000"}}`, `"onsetDateTime":"2025-01-01"`), readOutcome{Conditions: 1}},
		{"Condition stage as one object", KeyConditions, conditionWith(femurFracture, `"onsetDateTime":"2025-01-01"`, `"stage":{"summary":{"text":"x"}}`), readOutcome{Conditions: 1}},
		{"Condition clinicalStatus as a list of one", KeyConditions, conditionWith(femurFracture, `"onsetDateTime":"2025-01-01"`, `"clinicalStatus":[{"coding":[{"code":"active"}]}]`), readOutcome{Conditions: 1}},
		{"MedicationStatement dosage as one object", KeyMedicationStatements, statementWith(alendronate, `"dosage":{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}}`), readOutcome{Medications: 1}},
		{"MedicationStatement medication coding as one object", KeyMedicationStatements, statementWith(`"medicationCodeableConcept":{"coding":{"system":"http://www.whocc.no/atc","code":"M05BA04"}}`), readOutcome{Medications: 1}},
		{"timing.repeat.when as a lone code", KeyMedicationStatements, statementWith(alendronate, `"dosage":[{"timing":{"repeat":{"when":"MORN"}}}]`), readOutcome{Medications: 1}},
		{"draft MedicationRequest with category as one object (the CDS Hooks Sandbox)", "draftOrders", requestWith(alendronate, `"category":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/medicationrequest-category","code":"outpatient"}]}`), readOutcome{Medications: 1}},
		{"prefetched MedicationRequest with category as one object", KeyMedicationRequests, requestWith(alendronate, `"category":{"text":"outpatient"}`), readOutcome{Medications: 1}},
		{"MedicationRequest dosageInstruction as one object", "draftOrders", requestWith(alendronate, `"dosageInstruction":{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}}`), readOutcome{Medications: 1}},
		{"ServiceRequest code.coding as one object", KeyServiceRequests, `{"resourceType":"ServiceRequest","id":"sr1","status":"active","intent":"order",` + toleranceSubject + `,"authoredOn":"2025-05-01","code":{"coding":{"system":"http://loinc.org","code":"38268-9"}}}`, readOutcome{ServiceOrders: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, whole := range []bool{true, false} {
				entryByEntryOnly = !whole
				got, err := readOne(t, tt.key, tt.resource)
				entryByEntryOnly = false
				if err != nil {
					t.Fatalf("whole Bundle %v: %v", whole, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("whole Bundle %v (-want +got):\n%s", whole, diff)
				}
			}
		})
	}
}

// A resource is set aside only when an element a decision needs cannot be
// read, and then its gap names that element, as does the name logged
// (type and element, never a value). What protects the patient stays
// strict: another patient's data fails the request, whatever the shape.
func TestUnusableElementsAreNamed(t *testing.T) {
	setAside := func(what string) readOutcome {
		return readOutcome{Gaps: []string{what + " could not be read"}, Unreadable: []string{what}}
	}
	tests := []struct {
		name, key, resource string
		want                readOutcome
		wantErr             string
	}{
		{"a value that is not a number", KeyLabs, observationWith(eGFRCode, `"valueQuantity":{"value":"low","code":"mL/min/{1.73_m2}"}`), setAside("Observation.valueQuantity"), ""},
		{"two values where R4 allows one: a guess would be unsafe", KeyLabs, observationWith(eGFRCode, `"valueQuantity":[{"value":25},{"value":70}]`), setAside("Observation.valueQuantity"), ""},
		{"a status that is not a string", KeyLabs, observationWith(eGFRCode, eGFRValue, `"status":{"code":"final"}`), setAside("Observation.status"), ""},
		{"an unknown status code", KeyLabs, observationWith(eGFRCode, eGFRValue, `"status":"done"`), setAside("Observation"), ""},
		{"a fracture date that is a number", KeyConditions, conditionWith(femurFracture, `"onsetDateTime":20250101`), setAside("Condition.onsetDateTime"), ""},
		{"a draft order's dose frequency that is text", "draftOrders", requestWith(alendronate, `"dosageInstruction":[{"timing":{"repeat":{"frequency":"weekly"}}}]`), setAside("draft MedicationRequest.dosageInstruction.timing.repeat.frequency"), ""},
		{"another patient's data in an odd shape", KeyLabs, observationWith(eGFRCode, eGFRValue, `"category":{"text":"lab"}`, `"subject":{"reference":"Patient/p2"}`), readOutcome{}, "another patient"},
		{"another patient's data in a resource that cannot be read", KeyLabs, observationWith(eGFRCode, `"valueQuantity":{"value":"low"}`, `"subject":{"reference":"Patient/p2"}`), readOutcome{}, "another patient"},
		{"another patient in a draft order with a category object", "draftOrders", requestWith(alendronate, `"category":{"text":"x"}`, `"subject":{"reference":"Patient/p2"}`), readOutcome{}, "another patient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readOne(t, tt.key, tt.resource)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A fracture with no date at all cannot be judged recent or not; it must
// be named on the insufficient-data card, not vanish. A dated fracture and
// a condition that is no fracture need no date.
func TestUndatedFractures(t *testing.T) {
	const undated = "date of the fracture is missing"
	tests := []struct {
		name, resource string
		want           readOutcome
	}{
		{"fracture without any date", conditionWith(femurFracture), readOutcome{Conditions: 1, Gaps: []string{undated}}},
		{"fracture whose only date is empty", conditionWith(femurFracture, `"onsetDateTime":""`), readOutcome{Conditions: 1, Gaps: []string{undated}}},
		{"fracture whose onset is an age (not read)", conditionWith(femurFracture, `"onsetAge":{"value":70,"unit":"a"}`), readOutcome{Conditions: 1, Gaps: []string{undated}}},
		{"vertebral fracture without a date", conditionWith(`"code":{"coding":[{"system":"http://snomed.info/sct","code":"42157000"}]}`), readOutcome{Conditions: 1, Gaps: []string{undated}}},
		{"fracture dated by onsetDateTime", conditionWith(femurFracture, `"onsetDateTime":"2025-01-01"`), readOutcome{Conditions: 1}},
		{"fracture dated by onsetPeriod", conditionWith(femurFracture, `"onsetPeriod":{"start":"2025-01-01"}`), readOutcome{Conditions: 1}},
		{"fracture dated by recordedDate only", conditionWith(femurFracture, `"recordedDate":"2025-01-01"`), readOutcome{Conditions: 1}},
		{"undated fracture entered in error is not a fracture", conditionWith(femurFracture, `"verificationStatus":{"coding":[{"code":"entered-in-error"}]}`), readOutcome{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readOne(t, KeyConditions, tt.resource)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// sandboxShapes rewrites a request the way the CDS Hooks Sandbox and other
// lenient senders shape it: every MedicationRequest gets category as one
// object, and every coding, dosage and dosageInstruction list of one
// becomes that one object. It returns how many members it changed.
func sandboxShapes(doc any) int {
	changed := 0
	switch v := doc.(type) {
	case []any:
		for _, x := range v {
			changed += sandboxShapes(x)
		}
	case map[string]any:
		if v["resourceType"] == "MedicationRequest" {
			v["category"] = map[string]any{"coding": []any{map[string]any{
				"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category", "code": "community"}}}
			changed++
		}
		for name, x := range v {
			changed += sandboxShapes(x)
			if a, ok := x.([]any); ok && len(a) == 1 && (name == "coding" || name == "dosage" || name == "dosageInstruction") {
				if _, isObject := a[0].(map[string]any); isObject {
					v[name] = a[0]
					changed++
				}
			}
		}
	}
	return changed
}

// Every seed case gives exactly the same facts (and so the same cards)
// when its resources come in the sandbox's shapes as in R4's.
func TestSeedCasesReadTheSameInSandboxShapes(t *testing.T) {
	g := NewGatherer(Options{})
	for _, c := range fhirtest.LoadCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds", c.File))
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			if sandboxShapes(doc) == 0 {
				t.Skip("nothing to reshape") // no codings or orders at all
			}
			shaped, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			want, err := g.Facts(t.Context(), inputOf(t, body, c.AsOf))
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.Facts(t.Context(), inputOf(t, shaped, c.AsOf))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Facts, got.Facts); diff != "" {
				t.Errorf("facts differ in the sandbox's shapes (-R4 +sandbox):\n%s", diff)
			}
			if len(got.Unreadable) != 0 {
				t.Errorf("set aside: %v", got.Unreadable)
			}
		})
	}
}
