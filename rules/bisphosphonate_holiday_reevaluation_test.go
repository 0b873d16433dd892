package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func rdStoppedAlendronate(start, end string) MedicationRecord {
	m := rdAlendronate("aln", rdDay(start))
	m.Kind, m.Source, m.Status, m.End = KindStatement, "MedicationStatement/aln", "completed", rdDay(end)
	return m
}

func TestBisphosphonateHolidayReevaluation(t *testing.T) {
	holiday := func(asOf string, extra ...func(*Facts)) Facts {
		f := Facts{AsOf: rdDay(asOf), Hook: PatientView, Medications: []MedicationRecord{rdStoppedAlendronate("2015-01-01", "2020-01-01")}}
		for _, x := range extra {
			x(&f)
		}
		return f
	}
	wrist := func(onset string) func(*Facts) {
		return func(f *Facts) {
			f.Conditions = append(f.Conditions, Condition{Source: "Condition/wrist", Concepts: []Concept{ConceptFracture}, Code: "SNOMED 263199001", Onset: rdDay(onset)})
		}
	}
	info := []rdCard{{Topic: TopicBisphosphonateHolidayReevaluation, Indicator: Info, Keys: []string{KeyOrderDXA, KeyOrderLabPanel}, Recommended: []string{KeyOrderDXA, KeyOrderLabPanel}}}
	warn := []rdCard{{Topic: TopicBisphosphonateHolidayReevaluation, Indicator: Warning, Keys: []string{KeyOrderDXA, KeyOrderLabPanel}, Recommended: []string{KeyOrderDXA, KeyOrderLabPanel}}}
	tests := []struct {
		name string
		f    Facts
		want []rdCard
	}{
		{"holiday 1 day short of 3 y -> silent", holiday("2022-12-31"), nil},
		{"holiday exactly 3 y -> info", holiday("2023-01-01"), info},
		{"holiday 3 y + 1 day -> info", holiday("2023-01-02"), info},
		{"holiday 3 y, DXA done after the due date -> silent", holiday("2023-06-01", func(f *Facts) { f.DXA = []DXAMeasurement{rdHipT(-2.0, rdDay("2023-02-01"))} }), nil},
		{"new wrist fracture 1 y into the holiday -> warning", holiday("2021-03-01", wrist("2021-01-15")), warn},
		{"new fracture and holiday over -> one warning card", holiday("2023-03-01", wrist("2023-02-01")), warn},
		{"fracture during the holiday already evaluated by DXA -> silent", holiday("2021-03-01", wrist("2021-01-15"), func(f *Facts) { f.DXA = []DXAMeasurement{rdHipT(-2.0, rdDay("2021-02-01"))} }), nil},
		{"fracture before stopping is not a holiday fracture -> silent", holiday("2021-03-01", wrist("2019-06-01")), nil},
		{"zoledronic acid x3, last 2020-01-01: cover ends 2021-01-01, due 2024-01-01 -> info", Facts{AsOf: rdDay("2024-01-01"), Hook: PatientView,
			Medications: []MedicationRecord{rdZOL("z1", rdDay("2018-01-01")), rdZOL("z2", rdDay("2019-01-01")), rdZOL("z3", rdDay("2020-01-01"))}}, info},
		{"zoledronic acid x3, one day before due -> silent", Facts{AsOf: rdDay("2023-12-31"), Hook: PatientView,
			Medications: []MedicationRecord{rdZOL("z1", rdDay("2018-01-01")), rdZOL("z2", rdDay("2019-01-01")), rdZOL("z3", rdDay("2020-01-01"))}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rdCards(rdEval(tc.f, DefaultThresholds(), BisphosphonateHolidayReevaluation))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBisphosphonateHolidayReevaluationSilent(t *testing.T) {
	dmab := MedicationRecord{Source: "MedicationAdministration/dmab", Kind: KindAdministration, Classes: []DrugClass{DrugDenosumab}, Name: "denosumab",
		Status: "completed", Start: rdDay("2020-03-01"), SingleDose: true, StrengthMg: 60}
	xgeva := dmab
	xgeva.StrengthMg = 120
	tests := []struct {
		name string
		f    Facts
	}{
		{"never had a bisphosphonate", Facts{AsOf: rdDay("2025-01-01"), Hook: PatientView}},
		{"alendronate still active", Facts{AsOf: rdDay("2025-01-01"), Hook: PatientView, Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2015-01-01"))}}},
		{"switched to denosumab after stopping (no holiday for denosumab)", Facts{AsOf: rdDay("2025-01-01"), Hook: PatientView,
			Medications: []MedicationRecord{rdStoppedAlendronate("2015-01-01", "2020-01-01"), dmab}}},
		{"zoledronic acid infusion < 1 year ago (still covered)", Facts{AsOf: rdDay("2025-01-01"), Hook: PatientView,
			Medications: []MedicationRecord{rdZOL("z1", rdDay("2024-03-01"))}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rdTopics(rdEval(tc.f, DefaultThresholds(), BisphosphonateHolidayReevaluation)); len(got) != 0 {
				t.Errorf("want silence, got %v", got)
			}
		})
	}
	// Denosumab 120 mg (oncology) is no switch: the holiday card still fires.
	f := Facts{AsOf: rdDay("2025-01-01"), Hook: PatientView, Medications: []MedicationRecord{rdStoppedAlendronate("2015-01-01", "2020-01-01"), xgeva}}
	if got := rdTopics(rdEval(f, DefaultThresholds(), BisphosphonateHolidayReevaluation)); len(got) != 1 {
		t.Errorf("denosumab 120 mg after stopping: want the holiday card, got %v", got)
	}
}
