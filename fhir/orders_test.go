package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

var orderNow = time.Date(2025, 3, 14, 9, 30, 0, 0, time.FixedZone("CET", 3600))

// emptyValues lists the JSON paths holding null, "", [] or {}, which FHIR
// JSON forbids.
func emptyValues(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	var bad []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case nil:
			bad = append(bad, path+"=null")
		case string:
			if x == "" {
				bad = append(bad, path+`=""`)
			}
		case []any:
			if len(x) == 0 {
				bad = append(bad, path+"=[]")
			}
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			if len(x) == 0 {
				bad = append(bad, path+"={}")
			}
			for k, e := range x {
				walk(path+"."+k, e)
			}
		}
	}
	walk("$", v)
	return bad
}

// codesOf lists "system|code" of a samply CodeableConcept.
func codesOf(cc *r4.CodeableConcept) []string {
	if cc == nil {
		return nil
	}
	var out []string
	for _, c := range cc.Coding {
		out = append(out, deref(c.System)+"|"+deref(c.Code))
	}
	return out
}

// srSummary is what the tests check of a ServiceRequest.
type srSummary struct {
	Status, Intent, Subject, AuthoredOn, Occurrence string
	Category, Code                                  []string
	CodeText, OrderDetail, PerformerType, Reason    string
}

func summariseSR(t *testing.T, raw json.RawMessage) srSummary {
	t.Helper()
	var hdr struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(raw, &hdr); err != nil || hdr.ResourceType != "ServiceRequest" {
		t.Fatalf("resourceType = %q (%v), want ServiceRequest", hdr.ResourceType, err)
	}
	sr, err := r4.UnmarshalServiceRequest(raw)
	if err != nil {
		t.Fatalf("UnmarshalServiceRequest: %v", err)
	}
	s := srSummary{
		Status: sr.Status.Code(), Intent: sr.Intent.Code(), Subject: deref(sr.Subject.Reference),
		AuthoredOn: deref(sr.AuthoredOn), Occurrence: deref(sr.OccurrenceDateTime),
		Code: codesOf(sr.Code),
	}
	if sr.Code != nil {
		s.CodeText = deref(sr.Code.Text)
	}
	for _, c := range sr.Category {
		s.Category = append(s.Category, codesOf(&c)...)
	}
	if len(sr.OrderDetail) > 0 {
		s.OrderDetail = deref(sr.OrderDetail[0].Text)
	}
	if sr.PerformerType != nil {
		s.PerformerType = deref(sr.PerformerType.Text)
	}
	if len(sr.ReasonCode) > 0 {
		s.Reason = deref(sr.ReasonCode[0].Text)
	}
	return s
}

func TestOrderResourcesServiceRequests(t *testing.T) {
	reason := rules.Text{NL: "Recente fractuur", EN: "Recent fracture"}
	sr := func(s srSummary) srSummary {
		s.Status, s.Intent, s.Subject, s.AuthoredOn = "draft", "order", "Patient/p1", "2025-03-14T09:30:00+01:00"
		return s
	}
	lab := func(code, text string) srSummary {
		return sr(srSummary{Category: []string{SystemSNOMED + "|108252007"}, Code: []string{SystemLOINC + "|" + code}, CodeText: text})
	}
	tests := []struct {
		name  string
		order rules.Order
		want  []srSummary
	}{
		{"DXA with VFA and a bilingual reason", rules.Order{Kind: rules.OrderDXA, WithVFA: true, Reason: reason},
			[]srSummary{sr(srSummary{
				Category: []string{SystemSNOMED + "|363679005"}, Code: []string{SystemLOINC + "|38268-9"}, CodeText: "DXA-scan (DXA scan)",
				OrderDetail: "met VFA (with vertebral fracture assessment)", Reason: "Recente fractuur (Recent fracture)",
			})}},
		{"DXA without VFA at a planned date", rules.Order{Kind: rules.OrderDXA, Date: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)},
			[]srSummary{sr(srSummary{
				Category: []string{SystemSNOMED + "|363679005"}, Code: []string{SystemLOINC + "|38268-9"}, CodeText: "DXA-scan (DXA scan)",
				Occurrence: "2026-01-05",
			})}},
		{"lab panel gives one request per analyte, duplicates once",
			rules.Order{Kind: rules.OrderLabPanel, Analytes: []rules.Analyte{rules.AnalyteEGFR, rules.AnalyteVitaminD, rules.AnalyteEGFR, rules.AnalyteESR}},
			[]srSummary{lab("98979-8", "eGFR"), lab("14635-7", "25-OH-vitamine D (25-OH vitamin D)"), lab("4537-7", "BSE (ESR)")}},
		{"lab panel covers every analyte code of the brief",
			rules.Order{Kind: rules.OrderLabPanel, Analytes: []rules.Analyte{
				rules.AnalyteCreatinine, rules.AnalyteALP, rules.AnalyteCalcium, rules.AnalyteAlbumin, rules.AnalytePhosphate,
				rules.AnalyteTSH, rules.AnalyteFT4, rules.AnalyteTestosterone}},
			[]srSummary{lab("14682-9", "creatinine"), lab("6768-6", "alkalische fosfatase (alkaline phosphatase)"), lab("2000-8", "calcium"),
				lab("1751-7", "albumine (albumin)"), lab("14879-1", "fosfaat (phosphate)"), lab("3016-3", "TSH"), lab("14920-3", "vrij T4 (free T4)"),
				lab("2986-8", "testosteron (testosterone)")}},
		{"M-protein has no verified LOINC and is ordered by text",
			rules.Order{Kind: rules.OrderLabPanel, Analytes: []rules.Analyte{rules.AnalyteMProtein}},
			[]srSummary{sr(srSummary{Category: []string{SystemSNOMED + "|108252007"},
				CodeText: "eiwitspectrum (M-proteïne) (serum protein electrophoresis (M-protein))"})}},
		{"referral to internal medicine", rules.Order{Kind: rules.OrderReferral, Specialty: rules.Text{NL: "interne geneeskunde", EN: "internal medicine"}},
			[]srSummary{sr(srSummary{
				Code: []string{SystemSNOMED + "|3457005"}, CodeText: "Verwijzing interne geneeskunde (referral to internal medicine)",
				PerformerType: "interne geneeskunde (internal medicine)",
			})}},
		{"follow-up at a date", rules.Order{Kind: rules.OrderFollowUp, Date: time.Date(2028, 3, 14, 0, 0, 0, 0, time.UTC), Reason: rules.Text{EN: "bisphosphonate holiday"}},
			[]srSummary{sr(srSummary{
				CodeText: "Herbeoordeling fractuurrisico (fracture risk re-evaluation)", Occurrence: "2028-03-14", Reason: "bisphosphonate holiday",
			})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raws, err := OrderResources(tt.order, "p1", orderNow)
			if err != nil {
				t.Fatalf("OrderResources: %v", err)
			}
			var got []srSummary
			for _, raw := range raws {
				if bad := emptyValues(t, raw); len(bad) > 0 {
					t.Errorf("empty or null values: %v in %s", bad, raw)
				}
				if bytes.Contains(raw, []byte(`"id"`)) {
					t.Errorf("resource has an id; the EHR assigns it: %s", raw)
				}
				got = append(got, summariseSR(t, raw))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ServiceRequests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// mrSummary is what the tests check of a MedicationRequest.
type mrSummary struct {
	Status, Intent, Subject, AuthoredOn string
	Codes                               []string
	Route                               []string
	Dose                                string
	Event                               []string
	Repeat                              string
}

func TestOrderResourcesMedicationRequests(t *testing.T) {
	planned := time.Date(2025, 9, 13, 0, 0, 0, 0, time.UTC)
	oral := []string{SystemSNOMED + "|26643006"}
	tests := []struct {
		name  string
		order rules.Order
		want  mrSummary
	}{
		{"zoledronic acid 5 mg IV once at the planned date",
			rules.Order{Kind: rules.OrderMedication, Drug: rules.DrugOrderZoledronicAcid5mg, Date: planned},
			mrSummary{Codes: []string{SystemATC + "|M05BA08", SystemRxNorm + "|77655"}, Route: []string{SystemSNOMED + "|47625008"},
				Dose: "5 mg", Event: []string{"2025-09-13"}, Repeat: "count=1"}},
		{"denosumab 60 mg s.c. once now",
			rules.Order{Kind: rules.OrderMedication, Drug: rules.DrugOrderDenosumab60mg},
			mrSummary{Codes: []string{SystemATC + "|M05BX04"}, Route: []string{SystemSNOMED + "|34206005"}, Dose: "60 mg", Repeat: "count=1"}},
		{"alendronic acid 70 mg oral weekly",
			rules.Order{Kind: rules.OrderMedication, Drug: rules.DrugOrderAlendronate70mg},
			mrSummary{Codes: []string{SystemATC + "|M05BA04", SystemRxNorm + "|46041"}, Route: oral, Dose: "70 mg", Repeat: "1/1wk"}},
		{"risedronic acid 35 mg oral weekly",
			rules.Order{Kind: rules.OrderMedication, Drug: rules.DrugOrderRisedronate35mg},
			mrSummary{Codes: []string{SystemATC + "|M05BA07"}, Route: oral, Dose: "35 mg", Repeat: "1/1wk"}},
		{"colecalciferol 800 IU oral daily from a start date",
			rules.Order{Kind: rules.OrderMedication, Drug: rules.DrugOrderColecalciferol, Date: planned},
			mrSummary{Codes: []string{SystemATC + "|A11CC05"}, Route: oral, Dose: "800 [iU]", Repeat: "1/1d from 2025-09-13"}},
		{"calcium/colecalciferol one tablet daily",
			rules.Order{Kind: rules.OrderMedication, Drug: rules.DrugOrderCalciumVitD},
			mrSummary{Codes: []string{SystemATC + "|A12AX"}, Route: oral, Dose: "1 {tbl}", Repeat: "1/1d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raws, err := OrderResources(tt.order, "p1", orderNow)
			if err != nil {
				t.Fatalf("OrderResources: %v", err)
			}
			if len(raws) != 1 {
				t.Fatalf("got %d resources, want 1", len(raws))
			}
			raw := raws[0]
			if bad := emptyValues(t, raw); len(bad) > 0 {
				t.Errorf("empty or null values: %v in %s", bad, raw)
			}
			// samply marshals both medication[x] variants; ours must carry
			// only the concept.
			if bytes.Contains(raw, []byte("medicationReference")) {
				t.Errorf("resource carries medicationReference: %s", raw)
			}
			mr, err := r4.UnmarshalMedicationRequest(raw)
			if err != nil {
				t.Fatalf("UnmarshalMedicationRequest: %v", err)
			}
			got := mrSummary{
				Status: mr.Status, Intent: mr.Intent, Subject: deref(mr.Subject.Reference), AuthoredOn: deref(mr.AuthoredOn),
				Codes: codesOf(&mr.MedicationCodeableConcept),
			}
			if len(mr.DosageInstruction) != 1 {
				t.Fatalf("dosageInstruction has %d entries, want 1", len(mr.DosageInstruction))
			}
			d := mr.DosageInstruction[0]
			if deref(d.Text) == "" {
				t.Error("dosage text missing")
			}
			got.Route = codesOf(d.Route)
			if len(d.DoseAndRate) == 1 && d.DoseAndRate[0].DoseQuantity != nil {
				q := d.DoseAndRate[0].DoseQuantity
				got.Dose = q.Value.String() + " " + deref(q.Code)
			}
			if d.Timing != nil {
				got.Event = d.Timing.Event
				if r := d.Timing.Repeat; r != nil {
					switch {
					case r.Count != nil:
						got.Repeat = fmt.Sprintf("count=%d", *r.Count)
					case r.Frequency != nil && r.Period != nil && r.PeriodUnit != nil:
						got.Repeat = fmt.Sprintf("%d/%s%s", *r.Frequency, r.Period.String(), *r.PeriodUnit)
					}
					if r.BoundsPeriod != nil {
						got.Repeat += " from " + deref(r.BoundsPeriod.Start)
					}
				}
			}
			want := tt.want
			want.Status, want.Intent, want.Subject, want.AuthoredOn = "draft", "order", "Patient/p1", "2025-03-14T09:30:00+01:00"
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("MedicationRequest mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrderResourcesEveryDrugIsOrderable(t *testing.T) {
	for _, d := range []rules.Drug{
		rules.DrugOrderZoledronicAcid5mg, rules.DrugOrderDenosumab60mg, rules.DrugOrderAlendronate70mg,
		rules.DrugOrderRisedronate35mg, rules.DrugOrderColecalciferol, rules.DrugOrderCalciumVitD,
	} {
		if _, ok := drugOrders[d]; !ok {
			t.Errorf("drug %q has no order definition", d)
		}
	}
	for _, a := range append(rules.CoreLabPanel, rules.AnalyteTestosterone, rules.AnalyteCalciumCorrected, rules.AnalyteCrClCockcroftGault, rules.AnalyteMProtein) {
		if _, ok := labOrders[a]; !ok {
			t.Errorf("analyte %q has no order code", a)
		}
	}
}

func TestOrderResourcesRejectsBadOrders(t *testing.T) {
	tests := []struct {
		name      string
		order     rules.Order
		patientID string
		now       time.Time
	}{
		{"stop-medication is an update, not a new resource", rules.Order{Kind: rules.OrderStopMedication}, "p1", orderNow},
		{"unknown kind", rules.Order{Kind: "x-ray"}, "p1", orderNow},
		{"unknown drug", rules.Order{Kind: rules.OrderMedication, Drug: "aspirin"}, "p1", orderNow},
		{"empty lab panel", rules.Order{Kind: rules.OrderLabPanel}, "p1", orderNow},
		{"unknown analyte", rules.Order{Kind: rules.OrderLabPanel, Analytes: []rules.Analyte{"ctx"}}, "p1", orderNow},
		{"no patient", rules.Order{Kind: rules.OrderDXA}, "", orderNow},
		{"no authoring time", rules.Order{Kind: rules.OrderDXA}, "p1", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OrderResources(tt.order, tt.patientID, tt.now)
			if !errors.Is(err, errOrder) {
				t.Errorf("OrderResources = %s, %v; want errOrder", got, err)
			}
		})
	}
}

func TestStopResource(t *testing.T) {
	in := json.RawMessage(`{"resourceType":"MedicationRequest","id":"mr1","meta":{"versionId":"3"},
		"status":"active","intent":"order",
		"medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},
		"subject":{"reference":"Patient/p1"},"authoredOn":"2024-01-01",
		"extension":[{"url":"http://example.org/x","valueDecimal":2.50}],
		"_authoredOn":{"extension":[{"url":"http://example.org/y","valueString":"a<b"}]},
		"futureR5Field":{"anything":[1,null,"two"]},
		"note":null}`)
	out, err := StopResource(in, orderNow)
	if err != nil {
		t.Fatalf("StopResource: %v", err)
	}
	var got, want map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	dec = json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	want["status"] = "stopped"
	delete(want, "note") // null members are invalid FHIR and dropped
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("StopResource mismatch (-want +got):\n%s", diff)
	}
	if !bytes.Contains(out, []byte(`2.50`)) {
		t.Errorf("decimal 2.50 not kept verbatim: %s", out)
	}
	if !bytes.Contains(out, []byte(`a<b`)) {
		t.Errorf("text was HTML-escaped: %s", out)
	}
	if _, err := r4.UnmarshalMedicationRequest(out); err != nil {
		t.Errorf("output does not decode as MedicationRequest: %v", err)
	}
}

func TestStopResourceRejects(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"not JSON", `{`},
		{"null", `null`},
		{"another resource type", `{"resourceType":"ServiceRequest","id":"s1","status":"active"}`},
		{"no id to update", `{"resourceType":"MedicationRequest","status":"active"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := StopResource(json.RawMessage(tt.raw), orderNow); err == nil {
				t.Errorf("StopResource = %s, want an error", out)
			}
		})
	}
}

// A MedicationRequest as some EHRs store it (empty extension array, empty
// strings, a narrative saying "active") must become a clean, spec-valid
// update resource: no empty values, no stale narrative.
func TestStopResourcePrunesEmptyValuesAndStaleNarrative(t *testing.T) {
	raw := []byte(`{"resourceType":"MedicationRequest","id":"m1","status":"active","intent":"order",
		"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">active alendronate</div>"},
		"extension":[],"note":[{"text":""}],"meta":{},"category":[{"coding":[]}],
		"subject":{"reference":"Patient/p"},"medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},
		"dosageInstruction":[{"text":"70 mg weekly","timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"wk"}}}],
		"_status":{"extension":[{"url":"http://example.org/x","valueString":"kept"}]}}`)
	out, err := StopResource(raw, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, bad := range []string{`"extension":[]`, `"text":{`, `"meta"`, `"note"`, `"category"`, `""`, `null`} {
		if strings.Contains(s, bad) {
			t.Errorf("stopped resource still has %s: %s", bad, s)
		}
	}
	for _, want := range []string{`"status":"stopped"`, `"70 mg weekly"`, `"valueString":"kept"`, `"id":"m1"`} {
		if !strings.Contains(s, want) {
			t.Errorf("stopped resource lost %s: %s", want, s)
		}
	}
}
