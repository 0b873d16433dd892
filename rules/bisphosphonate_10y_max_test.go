package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBisphosphonate10yMax(t *testing.T) {
	T := rdDay("2025-06-01")
	maxCard := []rdCard{{Topic: TopicBisphosphonate10yMax, Indicator: Warning, Keys: []string{keyBPStopMax}, Recommended: []string{keyBPStopMax}}}
	withDraft := Facts{AsOf: T, Hook: OrderSign, Medications: []MedicationRecord{rdActiveForDays(T, 3700), rdAlendronateDraft("renew")}}
	tests := []struct {
		name string
		f    Facts
		want []rdCard
	}{
		{"alendronate 3651 days -> no maximum card", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{rdActiveForDays(T, 3651)}}, nil},
		{"alendronate 3652 days (10 y) -> maximum", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{rdActiveForDays(T, 3652)}}, maxCard},
		{"alendronate 3653 days -> maximum", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{rdActiveForDays(T, 3653)}}, maxCard},
		{"order-sign of a renewal after 10 y -> maximum", withDraft, maxCard},
		{"order-sign without bisphosphonate draft -> silent", Facts{AsOf: T, Hook: OrderSign, Medications: []MedicationRecord{rdActiveForDays(T, 3700)}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rdCards(rdEval(tc.f, DefaultThresholds(), Bisphosphonate10yMax))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
		})
	}
	fs := rdEval(withDraft, DefaultThresholds(), Bisphosphonate10yMax)
	var types []ActionType
	for _, a := range fs[0].Suggestions[0].Actions {
		types = append(types, a.Type)
	}
	if diff := cmp.Diff([]ActionType{Update, Delete, Create}, types); diff != "" {
		t.Errorf("stop actions (-want +got):\n%s", diff)
	}
}
