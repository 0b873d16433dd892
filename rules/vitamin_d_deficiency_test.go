package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rdWorkup is a patient in a fracture-prevention work-up (recent wrist
// fracture, osteopenic DXA) with the given labs, at T = 2024-04-15.
func rdWorkup(labs ...Lab) Facts {
	return Facts{AsOf: rdDay("2024-04-15"), Hook: PatientView, Patient: Patient{BirthDate: rdDay("1961-06-15"), Gender: "female"},
		Conditions: []Condition{rdFracture("wrist", "2023-12-01")},
		DXA:        []DXAMeasurement{rdHipT(-2.4, rdDay("2024-04-05"))},
		Labs:       labs}
}

func rdLab(a Analyte, v float64, date string) Lab {
	return Lab{Source: Ref("Observation/" + string(a)), Analyte: a, Value: v, Date: rdDay(date)}
}

func TestVitaminDDeficiency(t *testing.T) {
	postponeZol := []rdCard{{Topic: TopicVitaminDDeficiency, Indicator: Warning, Keys: []string{keyOrderVitaminD, "delete-MedicationRequest/zol-draft"}, Recommended: []string{keyOrderVitaminD}}}
	warnColecalciferol := []rdCard{{Topic: TopicVitaminDDeficiency, Indicator: Warning, Keys: []string{keyOrderVitaminD}, Recommended: []string{keyOrderVitaminD}}}
	zolDraft := MedicationRecord{Source: "MedicationRequest/zol-draft", Kind: KindDraftOrder, Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid}, Name: "zoledronic acid", Status: "draft", StrengthMg: 5}
	onSupplement := rdWorkup(rdLab(AnalyteVitaminD, 31, "2024-04-10"))
	onSupplement.Medications = []MedicationRecord{{Source: "MedicationStatement/d3", Kind: KindStatement, Classes: []DrugClass{DrugVitaminD}, Name: "colecalciferol", Status: "active", Start: rdDay("2024-01-01")}}
	tests := []struct {
		name string
		f    Facts
		want []rdCard
	}{
		{"25-OH-D 49.9 nmol/L -> warning", rdWorkup(rdLab(AnalyteVitaminD, 49.9, "2024-04-10")), warnColecalciferol},
		{"25-OH-D 50 nmol/L (at threshold) -> silent", rdWorkup(rdLab(AnalyteVitaminD, 50, "2024-04-10")), nil},
		{"25-OH-D 50.1 nmol/L -> silent", rdWorkup(rdLab(AnalyteVitaminD, 50.1, "2024-04-10")), nil},
		{"reported as <25 -> warning", rdWorkup(Lab{Analyte: AnalyteVitaminD, Value: 25, Comparator: LessThan, Date: rdDay("2024-04-10")}), warnColecalciferol},
		{"old low value, newer normal value -> silent", rdWorkup(rdLab(AnalyteVitaminD, 20, "2024-01-10"), rdLab(AnalyteVitaminD, 70, "2024-04-10")), nil},
		{"low value older than 180 days -> silent", rdWorkup(rdLab(AnalyteVitaminD, 20, "2023-10-01")), nil},
		{"already on vitamin D -> warning without order", onSupplement, []rdCard{{Topic: TopicVitaminDDeficiency, Indicator: Warning}}},
		{"order-sign zoledronic acid with 25-OH-D 40 -> warning, calcium/vitamin D order, postpone the infusion (Aclasta SmPC)", Facts{AsOf: rdDay("2024-04-15"), Hook: OrderSign,
			Medications: []MedicationRecord{zolDraft}, Labs: []Lab{rdLab(AnalyteVitaminD, 40, "2024-04-10")}}, postponeZol},
		{"order-select of zoledronic acid -> warning, postpone the infusion", Facts{AsOf: rdDay("2024-04-15"), Hook: OrderSelect,
			Medications: []MedicationRecord{zolDraft}, Labs: []Lab{rdLab(AnalyteVitaminD, 40, "2024-04-10")}}, postponeZol},
		{"order-sign without a bone drug -> silent", Facts{AsOf: rdDay("2024-04-15"), Hook: OrderSign, Labs: []Lab{rdLab(AnalyteVitaminD, 40, "2024-04-10")}}, nil},
		{"patient-view outside a fracture-prevention context -> silent", Facts{AsOf: rdDay("2024-04-15"), Hook: PatientView, Labs: []Lab{rdLab(AnalyteVitaminD, 20, "2024-04-10")}}, nil},
		{"no vitamin D result -> silent (missing is not low)", rdWorkup(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rdCards(rdEval(tc.f, DefaultThresholds(), VitaminDDeficiency))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
		})
	}
	// Which product: colecalciferol alone without a bone drug; the calcium
	// combination when a bone drug is being ordered and no calcium is taken.
	drug := func(f Facts) Drug {
		return rdEval(f, DefaultThresholds(), VitaminDDeficiency)[0].Suggestions[0].Actions[0].Order.Drug
	}
	if got := drug(rdWorkup(rdLab(AnalyteVitaminD, 31, "2024-04-10"))); got != DrugOrderColecalciferol {
		t.Errorf("work-up without bone drug: got %v, want colecalciferol", got)
	}
	if got := drug(Facts{AsOf: rdDay("2024-04-15"), Hook: OrderSign, Medications: []MedicationRecord{zolDraft}, Labs: []Lab{rdLab(AnalyteVitaminD, 40, "2024-04-10")}}); got != DrugOrderCalciumVitD {
		t.Errorf("zoledronic acid order: got %v, want calcium/colecalciferol", got)
	}
	for _, f := range rdEval(rdWorkup(rdLab(AnalyteVitaminD, 31, "2024-04-10")), DefaultThresholds(), VitaminDDeficiency) {
		rdCheckText(t, f)
	}
}
