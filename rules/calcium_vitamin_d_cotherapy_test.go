package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCalciumVitaminDCotherapy(t *testing.T) {
	T := rdDay("2024-04-15")
	calcium := MedicationRecord{Source: "MedicationStatement/ca", Kind: KindStatement, Classes: []DrugClass{DrugCalcium, DrugVitaminD}, Name: "calcium/colecalciferol", Status: "active", Start: rdDay("2020-01-01")}
	dmab := MedicationRecord{Source: "MedicationAdministration/dmab", Kind: KindAdministration, Classes: []DrugClass{DrugDenosumab}, Name: "denosumab", Status: "completed", Start: rdDay("2024-02-01"), SingleDose: true, StrengthMg: 60}
	xgeva := dmab
	xgeva.StrengthMg = 120
	info := []rdCard{{Topic: TopicCalciumVitaminDCotherapy, Indicator: Info, Keys: []string{keyOrderVitaminD}}}
	tests := []struct {
		name string
		f    Facts
		want []rdCard
	}{
		{"patient-view: alendronate without calcium/vitamin D -> silent (order time only)", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2023-01-01"))}}, nil},
		{"patient-view: denosumab dose 2.5 months ago, no supplement -> silent (order time only)", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{dmab}}, nil},
		{"order-select of alendronate without supplement -> info", Facts{AsOf: T, Hook: OrderSelect, Medications: []MedicationRecord{func() MedicationRecord { m := rdAlendronateDraft("d"); m.Selected = true; return m }()}}, info},
		{"order-sign of alendronate without supplement -> info", Facts{AsOf: T, Hook: OrderSign, Medications: []MedicationRecord{rdAlendronateDraft("d")}}, info},
		{"alendronate with calcium/colecalciferol -> silent", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2023-01-01")), calcium}}, nil},
		{"order-sign of alendronate together with a calcium/vitamin D draft -> silent", Facts{AsOf: T, Hook: OrderSign, Medications: []MedicationRecord{rdAlendronateDraft("d"),
			{Source: "MedicationRequest/ca-draft", Kind: KindDraftOrder, Classes: []DrugClass{DrugCalcium, DrugVitaminD}, Status: "draft"}}}, nil},
		{"denosumab 120 mg (oncology) -> silent", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{xgeva}}, nil},
		{"no bone drug -> silent", Facts{AsOf: T, Hook: PatientView}, nil},
		{"alendronate stopped -> silent", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{rdStoppedAlendronate("2015-01-01", "2020-01-01")}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rdCards(rdEval(tc.f, DefaultThresholds(), CalciumVitaminDCotherapy))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
		})
	}
	// With a low vitamin D as well, one vitamin D order is suggested (on the
	// R11 warning card), and R13 never escalates.
	f := Facts{AsOf: T, Hook: OrderSign, Medications: []MedicationRecord{rdAlendronateDraft("d")}, Labs: []Lab{rdLab(AnalyteVitaminD, 30, "2024-04-01")}}
	got := rdCards(rdEval(f, DefaultThresholds(), VitaminDDeficiency, CalciumVitaminDCotherapy))
	want := []rdCard{
		{Topic: TopicVitaminDDeficiency, Indicator: Warning, Keys: []string{keyOrderVitaminD}, Recommended: []string{keyOrderVitaminD}},
		{Topic: TopicCalciumVitaminDCotherapy, Indicator: Info},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("R11+R13 (-want +got):\n%s", diff)
	}
	for _, x := range rdEval(f, DefaultThresholds(), CalciumVitaminDCotherapy) {
		rdCheckText(t, x)
	}
}
