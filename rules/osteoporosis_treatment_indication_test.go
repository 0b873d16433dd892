package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func r06Facts(age int, dxa []DXAMeasurement, conds []Condition, meds ...MedicationRecord) Facts {
	return Facts{AsOf: rkT, Hook: PatientView, Patient: rkPatient(age, "female"), DXA: dxa, Conditions: conds, Medications: meds}
}

func r06Spine(v float64) []DXAMeasurement {
	return []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, v, rkAgo(14)), rkDXA(SiteTotalHip, TScore, -1.0, rkAgo(14))}
}

var r06Fires = []rkOutcome{{Topic: TopicOsteoporosisTreatmentIndication, Indicator: Warning, Suggestions: []string{KeyOrderAlendronate70mg, KeyOrderRisedronate35mg}}}

func TestOsteoporosisTreatmentIndicationFires(t *testing.T) {
	tests := []struct {
		name  string
		facts Facts
	}{
		{"woman 65, spine T −2.5 (at the boundary)", r06Facts(65, r06Spine(-2.5), nil)},
		{"woman 65, spine T −2.6 (just below)", r06Facts(65, r06Spine(-2.6), nil)},
		{"age 50 (at the boundary), T −2.5", r06Facts(50, r06Spine(-2.5), nil)},
		{"femoral neck T −2.7, spine normal", r06Facts(70, []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -0.5, rkAgo(30)), rkDXA(SiteFemoralNeck, TScore, -2.7, rkAgo(30))}, nil)},
		{"vertebral fracture with osteopenia (T −1.8)", r06Facts(72, r06Spine(-1.8), []Condition{rkVertebral("l2", rkAgo(100), 0)})},
		{"vertebral fracture without any DXA", r06Facts(72, nil, []Condition{rkVertebral("th12", rkAgo(3000), 2)})},
		{"old DXA with T −2.8 and no treatment since", r06Facts(72, []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.8, rkAgo(900))}, nil)},
		{"bisphosphonate stopped a year ago (drug holiday over)", r06Facts(72, r06Spine(-2.6), nil,
			rkMed("alendronic acid", KindStatement, "stopped", rkAgo(2200), rkAgo(365), DrugBisphosphonate, DrugAlendronate))},
		{"denosumab 120 mg (oncology) does not count as treatment", r06Facts(72, r06Spine(-2.6), nil,
			func() MedicationRecord {
				m := rkMed("denosumab", KindStatement, "active", rkAgo(100), rkAgo(100), DrugDenosumab)
				m.StrengthMg = 120
				return m
			}())},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Fresh safety labs: without them the card orders the labs
			// first (TestOsteoporosisTreatmentIndicationBisphosphonateSafety).
			f := tc.facts
			if f.Labs == nil {
				f.Labs = bsLabs()
			}
			if diff := cmp.Diff(r06Fires, rkRun(f, OsteoporosisTreatmentIndication)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOsteoporosisTreatmentIndicationSilent(t *testing.T) {
	tests := []struct {
		name  string
		facts Facts
	}{
		{"T −2.4 (just above) and no vertebral fracture", r06Facts(65, r06Spine(-2.4), nil)},
		{"age 49 (just below) with T −3.0", r06Facts(49, r06Spine(-3.0), nil)},
		{"already on alendronate", r06Facts(70, r06Spine(-3.0), nil, rkAlendronate())},
		{"already on denosumab 60 mg", r06Facts(70, r06Spine(-3.0), nil, rkMed("denosumab", KindStatement, "active", rkAgo(100), rkAgo(100), DrugDenosumab))},
		{"forearm-only T −3.0 (R06 names spine and hip only)", r06Facts(70, []DXAMeasurement{rkDXA(SiteForearm, TScore, -3.0, rkAgo(10))}, nil)},
		{"newest DXA −2.0 after an older −2.8", r06Facts(70, []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.8, rkAgo(1500)), rkDXA(SiteLumbarSpine, TScore, -2.0, rkAgo(20))}, nil)},
		{"Genant grade 1 deformity only (not counted by default)", r06Facts(70, r06Spine(-2.0), []Condition{rkVertebral("th7", rkAgo(20), 1)})},
		{"non-vertebral fracture with osteopenia", r06Facts(70, r06Spine(-2.0), []Condition{rkFracture("wrist", rkAgo(60))})},
		{"birth date unknown", Facts{AsOf: rkT, Hook: PatientView, DXA: r06Spine(-3.0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rkRun(tc.facts, OsteoporosisTreatmentIndication); len(got) != 0 {
				t.Errorf("want silence, got %+v", got)
			}
		})
	}
}

func TestOsteoporosisTreatmentIndicationGrade1Configurable(t *testing.T) {
	th := DefaultThresholds()
	th.VFAGrade1Counts = true
	f := r06Facts(70, r06Spine(-2.0), []Condition{rkVertebral("th7", rkAgo(20), 1)})
	f.Labs = bsLabs()
	if diff := cmp.Diff(r06Fires, rkRunWith(f, th, OsteoporosisTreatmentIndication)); diff != "" {
		t.Errorf("VFA_GRADE1_COUNTS=true (-want +got):\n%s", diff)
	}
}

func TestOsteoporosisTreatmentIndicationCardContent(t *testing.T) {
	facts := r06Facts(72, r06Spine(-2.6), []Condition{rkVertebral("l1", rkAgo(50), 0)})
	facts.Labs = rkFullLabs(30) // safety labs fresh: alendronate may be recommended
	f := rkOne(t, OsteoporosisTreatmentIndication, facts)
	if f.SelectionAny {
		t.Error("two bisphosphonates are alternatives: selectionBehavior must be at-most-one")
	}
	if !f.Suggestions[0].Recommended || f.Suggestions[1].Recommended {
		t.Error("alendronate is the recommended first choice, risedronate the alternative")
	}
	if got := f.Suggestions[0].Actions[0].Order; got.Kind != OrderMedication || got.Drug != DrugOrderAlendronate70mg {
		t.Errorf("first suggestion orders %+v", got)
	}
	if got := f.Suggestions[1].Actions[0].Order.Drug; got != DrugOrderRisedronate35mg {
		t.Errorf("second suggestion orders %v", got)
	}
	rkContains(t, "summary", f.Summary.EN, "T-score ≤ -2.5 and vertebral fracture")
	rkContains(t, "detail", f.Detail.EN, "laboratory work-up first", "with calcium/vitamin D")
	rkContains(t, "thresholds", f.Thresholds[1].EN, "≤ -2.5", "vertebral fracture")
	wantEv := []string{"Age", "T-score lumbar spine", "Vertebral fracture", "Active osteoporosis drug"}
	var gotEv []string
	for _, e := range f.Evidence {
		gotEv = append(gotEv, e.Label.EN)
	}
	if diff := cmp.Diff(wantEv, gotEv); diff != "" {
		t.Errorf("evidence labels (-want +got):\n%s", diff)
	}
}
