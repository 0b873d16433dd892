package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func r07Draft(id string, classes ...DrugClass) MedicationRecord {
	return MedicationRecord{Source: Ref("MedicationRequest/" + id), Kind: KindDraftOrder, Status: "draft", Classes: classes, Name: id, Code: "code " + id}
}

var (
	r07Alendronate = r07Draft("alendronic acid", DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate)
	r07Zoledronic  = r07Draft("zoledronic acid", DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid)
)

func r07OrderFacts(h Hook, gender string, age int, labs []Lab, meds ...MedicationRecord) Facts {
	return Facts{AsOf: rkT, Hook: h, Patient: rkPatient(age, gender), Labs: labs, Medications: meds}
}

// r07Without drops the labs of the given analytes.
func r07Without(labs []Lab, drop ...Analyte) []Lab {
	var out []Lab
	for _, l := range labs {
		if !containsAnalyte(drop, l.Analyte) {
			out = append(out, l)
		}
	}
	return out
}

// r07Ordered returns the analytes of the lab-panel suggestion and whether
// the testosterone suggestion is present.
func r07Ordered(t *testing.T, f Facts) (panel []Analyte, testosterone bool) {
	t.Helper()
	for _, fd := range EvaluateRules([]Rule{PretreatmentLabWorkup}, f, DefaultThresholds()) {
		if fd.Topic != TopicPretreatmentLabWorkup {
			continue
		}
		rkInvariants(t, fd)
		for _, s := range fd.Suggestions {
			switch s.Key {
			case KeyOrderLabPanel:
				panel = s.Actions[0].Order.Analytes
			case KeyOrderTestosterone:
				testosterone = true
				if s.Recommended {
					t.Error("testosterone is optional: not recommended")
				}
			}
		}
	}
	return panel, testosterone
}

var r07AllCore = []Analyte{AnalyteCalcium, AnalyteAlbumin, AnalyteCreatinine, AnalyteEGFR, AnalyteTSH, AnalyteVitaminD, AnalyteALP}

func TestPretreatmentLabWorkupOrderHooksFire(t *testing.T) {
	renalAt := func(days int) []Lab {
		return append(r07Without(rkFullLabs(60), AnalyteEGFR), rkLab(AnalyteEGFR, 70, rkAgo(days)))
	}
	tests := []struct {
		name       string
		facts      Facts
		wantPanel  []Analyte
		wantTestos bool
	}{
		{"order-sign alendronate, no labs at all → whole core panel",
			r07OrderFacts(OrderSign, "female", 70, nil, r07Alendronate), r07AllCore, false},
		{"order-select alendronate, no labs → warning too",
			r07OrderFacts(OrderSelect, "female", 70, nil, r07Alendronate), r07AllCore, false},
		{"labs 181 days old (just too old) → whole core panel",
			r07OrderFacts(OrderSign, "female", 70, rkFullLabs(181), r07Alendronate), r07AllCore, false},
		{"only TSH missing → only TSH ordered",
			r07OrderFacts(OrderSign, "female", 70, r07Without(rkFullLabs(20), AnalyteTSH), r07Alendronate), []Analyte{AnalyteTSH}, false},
		{"vitamin D and ALP missing",
			r07OrderFacts(OrderSign, "female", 70, r07Without(rkFullLabs(20), AnalyteVitaminD, AnalyteALP), r07Alendronate), []Analyte{AnalyteVitaminD, AnalyteALP}, false},
		{"zoledronic acid, eGFR 31 days old (just too old) → renal function",
			r07OrderFacts(OrderSign, "female", 70, renalAt(31), r07Zoledronic), []Analyte{AnalyteCreatinine, AnalyteEGFR}, false},
		{"zoledronic acid, no renal function at all",
			r07OrderFacts(OrderSign, "female", 70, r07Without(rkFullLabs(10), AnalyteEGFR), r07Zoledronic), []Analyte{AnalyteCreatinine, AnalyteEGFR}, false},
		{"labs dated after T do not count",
			r07OrderFacts(OrderSign, "female", 70, rkFullLabs(-1), r07Alendronate), r07AllCore, false},
		{"denosumab draft", r07OrderFacts(OrderSign, "female", 70, nil, r07Draft("denosumab", DrugDenosumab)), r07AllCore, false},
		{"teriparatide draft", r07OrderFacts(OrderSign, "female", 70, nil, r07Draft("teriparatide", DrugTeriparatide)), r07AllCore, false},
		{"romosozumab draft", r07OrderFacts(OrderSign, "female", 70, nil, r07Draft("romosozumab", DrugRomosozumab)), r07AllCore, false},
		{"raloxifene draft", r07OrderFacts(OrderSign, "female", 70, nil, r07Draft("raloxifene", DrugSERM)), r07AllCore, false},
		{"man 69 (just under 70) → optional testosterone",
			r07OrderFacts(OrderSign, "male", 69, r07Without(rkFullLabs(20), AnalyteTSH), r07Alendronate), []Analyte{AnalyteTSH}, true},
		{"man 70 → no testosterone",
			r07OrderFacts(OrderSign, "male", 70, r07Without(rkFullLabs(20), AnalyteTSH), r07Alendronate), []Analyte{AnalyteTSH}, false},
		{"man 60 with a recent testosterone → no testosterone",
			r07OrderFacts(OrderSign, "male", 60, append(r07Without(rkFullLabs(20), AnalyteTSH), rkLab(AnalyteTestosterone, 15, rkAgo(30))), r07Alendronate), []Analyte{AnalyteTSH}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rkRun(tc.facts, PretreatmentLabWorkup)
			if len(got) != 1 || got[0].Indicator != Warning {
				t.Fatalf("want one warning, got %+v", got)
			}
			panel, testos := r07Ordered(t, tc.facts)
			if diff := cmp.Diff(tc.wantPanel, panel); diff != "" {
				t.Errorf("ordered analytes (-want +got):\n%s", diff)
			}
			if testos != tc.wantTestos {
				t.Errorf("testosterone suggested = %v, want %v", testos, tc.wantTestos)
			}
		})
	}
}

func TestPretreatmentLabWorkupOrderHooksSilent(t *testing.T) {
	stopped := r07Draft("denosumab", DrugDenosumab)
	stopped.Status = "stopped"
	dnp := r07Alendronate
	dnp.DoNotPerform = true
	creatinineOnly := append(r07Without(rkFullLabs(20), AnalyteEGFR), rkLab(AnalyteCreatinine, 80, rkAgo(20)))
	correctedCa := append(r07Without(rkFullLabs(20), AnalyteCalcium), rkLab(AnalyteCalciumCorrected, 2.3, rkAgo(20)))
	tests := []struct {
		name  string
		facts Facts
	}{
		{"all core labs exactly 180 days old (still fresh)", r07OrderFacts(OrderSign, "female", 70, rkFullLabs(180), r07Alendronate)},
		{"all core labs fresh", r07OrderFacts(OrderSelect, "female", 70, rkFullLabs(10), r07Alendronate)},
		{"creatinine stands in for eGFR", r07OrderFacts(OrderSign, "female", 70, creatinineOnly, r07Alendronate)},
		{"corrected calcium stands in for calcium", r07OrderFacts(OrderSign, "female", 70, correctedCa, r07Alendronate)},
		{"zoledronic acid with eGFR exactly 30 days old", r07OrderFacts(OrderSign, "female", 70,
			append(r07Without(rkFullLabs(100), AnalyteEGFR), rkLab(AnalyteEGFR, 70, rkAgo(30))), r07Zoledronic)},
		{"no draft order", r07OrderFacts(OrderSign, "female", 70, nil)},
		{"active alendronate statement, no draft", r07OrderFacts(OrderSign, "female", 70, nil, rkAlendronate())},
		{"draft for calcium/vitamin D only", r07OrderFacts(OrderSign, "female", 70, nil, r07Draft("calcium", DrugCalcium, DrugVitaminD))},
		{"denosumab stop order (status stopped)", r07OrderFacts(OrderSign, "female", 70, nil, stopped)},
		{"doNotPerform bisphosphonate order", r07OrderFacts(OrderSign, "female", 70, nil, dnp)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rkRun(tc.facts, PretreatmentLabWorkup); len(got) != 0 {
				t.Errorf("want silence, got %+v", got)
			}
		})
	}
}

func r07ViewFacts(age int, gender string, dxa []DXAMeasurement, conds []Condition, labs []Lab, meds ...MedicationRecord) Facts {
	return Facts{AsOf: rkT, Hook: PatientView, Patient: rkPatient(age, gender), DXA: dxa, Conditions: conds, Labs: labs, Medications: meds}
}

func TestPretreatmentLabWorkupPatientView(t *testing.T) {
	wrist := []Condition{rkFracture("wrist", rkAgo(100))}
	tScore := func(v float64) []DXAMeasurement {
		return []DXAMeasurement{rkDXA(SiteFemoralNeck, TScore, v, rkAgo(40))}
	}
	info := []rkOutcome{{Topic: TopicPretreatmentLabWorkup, Indicator: Info, Suggestions: []string{KeyOrderLabPanel}}}
	tests := []struct {
		name  string
		facts Facts
		want  []rkOutcome
	}{
		{"NIV: age 51, wrist fracture 100 days ago, T −1.0 (at the boundary) → info",
			r07ViewFacts(51, "female", tScore(-1.0), wrist, nil), info},
		{"NIV: T −0.9 (just above) → silent",
			r07ViewFacts(51, "female", tScore(-0.9), wrist, nil), nil},
		{"NIV: age 50 is not older than 50 → silent",
			r07ViewFacts(50, "female", tScore(-2.0), wrist, nil), nil},
		{"NIV: fracture 25 months ago is not recent → silent",
			r07ViewFacts(70, "female", tScore(-2.0), []Condition{rkFracture("wrist", rkT.AddDate(0, -25, 0))}, nil), nil},
		{"NIV: old vertebral fracture counts at any time",
			r07ViewFacts(70, "female", tScore(-1.5), []Condition{rkVertebral("l3", rkT.AddDate(-6, 0, 0), 0)}, nil),
			// the vertebral fracture also gives a treatment indication (R06)
			info},
		{"NIV: all core labs fresh → silent",
			r07ViewFacts(70, "female", tScore(-2.0), wrist, rkFullLabs(30)), nil},
		{"NIV: man 65 → testosterone offered",
			r07ViewFacts(65, "male", tScore(-2.0), wrist, nil),
			[]rkOutcome{{Topic: TopicPretreatmentLabWorkup, Indicator: Info, Suggestions: []string{KeyOrderLabPanel, KeyOrderTestosterone}}}},
		{"after R06: T −2.6 without fracture → info",
			r07ViewFacts(60, "female", tScore(-2.6), nil, r07Without(rkFullLabs(30), AnalyteVitaminD)), info},
		{"after R01: recent fracture at 60 without DXA → info",
			r07ViewFacts(60, "female", nil, wrist, nil), info},
		{"osteopenia without fracture or drug indication → silent",
			r07ViewFacts(70, "female", tScore(-2.0), nil, nil), nil},
		{"age 48 with fracture and osteopenia (S2b-like) → silent",
			r07ViewFacts(48, "male", tScore(-1.9), []Condition{rkFracture("mc5", rkAgo(50))}, nil), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, rkRun(tc.facts, PretreatmentLabWorkup)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPretreatmentLabWorkupCardContent(t *testing.T) {
	f := rkOne(t, PretreatmentLabWorkup, r07ViewFacts(70, "female",
		[]DXAMeasurement{rkDXA(SiteFemoralNeck, TScore, -2.0, rkAgo(40))},
		[]Condition{rkFracture("wrist", rkAgo(100))},
		[]Lab{rkLab(AnalyteCalcium, 2.3, rkAgo(10)), rkLab(AnalyteTSH, 1.1, rkAgo(400))}))
	rkContains(t, "summary", f.Summary.EN, "albumin, creat/eGFR, TSH, 25-OH-D, ALP")
	rkNotContains(t, "summary", f.Summary.EN, "Ca,")
	rkContains(t, "detail", f.Detail.EN, "NIV", "Alkaline phosphatase rises after a recent fracture")
	byLabel := map[string]Evidence{}
	for _, e := range f.Evidence {
		byLabel[e.Label.EN] = e
	}
	if e := byLabel["Calcium"]; e.Value != "2.3" || e.Unit != "mmol/L" || e.Source != "Observation/lab-calcium" {
		t.Errorf("fresh calcium evidence = %+v", e)
	}
	if e := byLabel["TSH (too old, > 180 d)"]; e.Value != "1.1" || !e.Date.Equal(rkAgo(400)) {
		t.Errorf("stale TSH evidence = %+v", e)
	}
	if e := byLabel["Albumin"]; e.ValueIn("en") == "" {
		t.Errorf("missing albumin should be shown as none, got %+v", e)
	}
	for _, label := range []string{"Age", "Fracture", "T-score femoral neck"} {
		if _, ok := byLabel[label]; !ok {
			t.Errorf("evidence %q missing", label)
		}
	}

	z := rkOne(t, PretreatmentLabWorkup, r07OrderFacts(OrderSign, "female", 70, nil, r07Zoledronic))
	rkContains(t, "zoledronic detail", z.Detail.EN, "before each infusion")
	rkContains(t, "zoledronic thresholds", z.Thresholds[len(z.Thresholds)-1].EN, "30 days")
	if z.Citations[len(z.Citations)-1] != CiteAclastaSmPC {
		t.Errorf("zoledronic card cites %v", z.Citations)
	}
}
