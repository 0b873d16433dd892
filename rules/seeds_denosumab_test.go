package rules

import (
	"path"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Seed cases S5, S5b and S5c of rules.md §5.2 ([SEED-GP] Casus 3 variant:
// denosumab for 5 years because an oral bisphosphonate was not tolerated),
// evaluated with the denosumab and anabolic rules R18–R22 only.
//
// Patient and conditions as S4 (female, born 1955-01-15; hip fracture
// 2020-03-10; osteoporosis 2020-04). The intolerance for alendronic acid is
// not a fact yet (no AllergyIntolerance); the rules never suggest an oral
// bisphosphonate, which the invariant check in rbEval asserts.

// seedDenosumabRules are the rules of this file's scope.
var seedDenosumabRules = []Rule{DenosumabDoseOverdue, DenosumabNoStopWithoutFollowup, Denosumab5yReview, TeriparatideMax24Months, AnabolicFollowupAntiresorptive}

// seedS5Doses is 10 Prolia 60 mg injections, every 6 months from first.
func seedS5Doses(first string) []MedicationRecord {
	return dmabSeries(rbDay(first), 10, 6)
}

// seedS5 returns the facts of S5 at T = 2025-06-01 with the given injections.
func seedS5(hook Hook, injections []MedicationRecord, extra ...MedicationRecord) Facts {
	meds := append([]MedicationRecord(nil), injections...)
	meds = append(meds, MedicationRecord{
		Source: "MedicationStatement/calcium-vitd", Kind: KindStatement, Classes: []DrugClass{DrugCalcium, DrugVitaminD},
		Code: "ATC A12AX", Name: "calcium carbonate/colecalciferol", Status: "active", Start: rbDay("2020-07-05"), Route: "oral",
	})
	meds = append(meds, extra...)
	return Facts{
		AsOf:    rbDay("2025-06-01"),
		Hook:    hook,
		Patient: Patient{ID: "casus3-dmab", BirthDate: rbDay("1955-01-15"), Gender: "female"},
		Conditions: []Condition{
			{Source: "Condition/hip-fracture", Concepts: []Concept{ConceptFracture, ConceptHipFracture}, Code: "SNOMED CT 359817006", Onset: rbDay("2020-03-10"), Active: false},
			{Source: "Condition/osteoporosis", Concepts: []Concept{ConceptOsteoporosis}, Code: "SNOMED CT 64859006", Onset: rbDay("2020-04-01"), Active: true},
		},
		Labs: []Lab{ // S4 labs 2025-05-20 (seed: normal, good renal function, vitamin D > 50)
			{Source: "Observation/egfr", Analyte: AnalyteEGFR, Value: 78, Date: rbDay("2025-05-20")},
			{Source: "Observation/vitd", Analyte: AnalyteVitaminD, Value: 65, Date: rbDay("2025-05-20")},
			{Source: "Observation/calcium", Analyte: AnalyteCalcium, Value: 2.35, Date: rbDay("2025-05-20")},
		},
		Medications: meds,
	}
}

func TestSeedDenosumabCases(t *testing.T) {
	s5 := seedS5Doses("2020-07-05") // … 2025-01-05, T−147 d
	// S5b: "last dose 2024-10-02 (T−242d), nothing after it". The same 10
	// injections three months earlier (2020-04-02 … 2024-10-02), so that the
	// 5-year review still applies, as §5.2 expects.
	s5b := seedS5Doses("2020-04-02")
	tests := []struct {
		name    string
		facts   Facts
		must    []rbOutcome
		mustNot []string
	}{
		{
			name:  "S5: Prolia 10 injections, last 147 days ago -> 5-year review only; ZOL options on 2025-07-07",
			facts: seedS5(PatientView, s5),
			must: []rbOutcome{{Topic: TopicDenosumab5yReview, Indicator: Warning, Suggestions: map[string][]string{
				KeyOrderDenosumab60mg: {"create denosumab-60mg-sc 2025-07-07"},
				KeyDenosumabSwitchZol: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyDenosumabStopZol:   {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderLabPanel:      {"create lab-panel "}, // Casus 3: eGFR, Ca, 25-OH-D before ZOL
			}}},
			mustNot: []string{"bisphosphonate-5y-review", TopicDenosumabDoseOverdue, TopicDenosumabNoStopWithoutFollowup, "teriparatide-*"},
		},
		{
			name: "S5 with injections recorded as single-dose statements (GP system) -> same",
			facts: seedS5(PatientView, func() []MedicationRecord {
				var out []MedicationRecord
				for i, m := range s5 {
					out = append(out, dmabDoseStatement("st"+itoa(i), "completed", m.Start))
				}
				return out
			}()),
			must: []rbOutcome{{Topic: TopicDenosumab5yReview, Indicator: Warning, Suggestions: map[string][]string{
				KeyOrderDenosumab60mg: {"create denosumab-60mg-sc 2025-07-07"},
				KeyDenosumabSwitchZol: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyDenosumabStopZol:   {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderLabPanel:      {"create lab-panel "}, // Casus 3: eGFR, Ca, 25-OH-D before ZOL
			}}},
			mustNot: []string{TopicDenosumabDoseOverdue, TopicDenosumabNoStopWithoutFollowup},
		},
		{
			name:  "S5b: last Prolia dose 242 days ago -> overdue warning + 5-year review (denosumab order shown once)",
			facts: seedS5(PatientView, s5b),
			must: []rbOutcome{
				{Topic: TopicDenosumabDoseOverdue, Indicator: Warning, Suggestions: map[string][]string{
					KeyOrderDenosumab60mg: {"create denosumab-60mg-sc now"},
				}},
				{Topic: TopicDenosumab5yReview, Indicator: Warning, Suggestions: map[string][]string{
					KeyDenosumabSwitchZol: {"create zoledronic-acid-5mg-iv now"},
					KeyDenosumabStopZol:   {"create zoledronic-acid-5mg-iv now"},
					KeyOrderLabPanel:      {"create lab-panel "},
				}},
			},
			mustNot: []string{TopicDenosumabNoStopWithoutFollowup},
		},
		{
			name:  "S5c: order-sign of a draft denosumab request with status stopped, no ZOL -> critical, ZOL planned 2025-07-07",
			facts: seedS5(OrderSign, s5, dmabDraft("prolia-stop", "stopped")),
			must: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     {"delete MedicationRequest/prolia-stop", "create denosumab-60mg-sc 2025-07-07"},
				KeyOrderLabPanel:          {"create lab-panel "}, // Casus 3: eGFR, Ca, 25-OH-D before ZOL
			}}},
			mustNot: []string{TopicDenosumabDoseOverdue, TopicDenosumab5yReview},
		},
		{
			name:    "S5c resolved: the stop is signed with ZOL planned 2025-07-07 -> no card",
			facts:   seedS5(OrderSign, s5, dmabDraft("prolia-stop", "stopped"), zolRecord("zol", KindDraftOrder, "draft", rbDay("2025-06-01"), rbDay("2025-07-07"))),
			mustNot: []string{"denosumab-*"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, tc.facts, DefaultThresholds(), seedDenosumabRules...)
			if diff := cmp.Diff(tc.must, rbOutcomes(got)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, f := range got {
				for _, pat := range tc.mustNot {
					if ok, _ := path.Match(pat, f.Topic); ok {
						t.Errorf("must not fire: %s (%s)", f.Topic, f.Indicator)
					}
				}
			}
		})
	}
}
