package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// One order is suggested once per response, on the most specific card, and
// the kept order covers what every card asked for.
func TestDedupeKeepsOneOrderOnTheMostSpecificCard(t *testing.T) {
	reason := Text{NL: "r", EN: "r"}
	broad := Finding{Topic: "broad", Indicator: Warning, Summary: Text{NL: "Brede kaart", EN: "Broad card"},
		Suggestions: []Suggestion{SuggestDXA(true, reason), SuggestLabPanel([]Analyte{AnalyteCalcium, AnalyteTSH}, reason)}}
	labs := Finding{Topic: "labs", Indicator: Info, Summary: Text{NL: "Labkaart", EN: "Lab card"},
		Suggestions: []Suggestion{SuggestLabPanel([]Analyte{AnalyteTSH, AnalyteVitaminD}, reason)}}
	dxa := Finding{Topic: "dxa", Indicator: Info, Summary: Text{NL: "DXA-kaart", EN: "DXA card"},
		Suggestions: []Suggestion{SuggestDXA(false, reason)}}

	got := dedupeSuggestions([]Finding{broad, labs, dxa})

	keys := func(f Finding) []string {
		var k []string
		for _, s := range f.Suggestions {
			k = append(k, s.Key)
		}
		return k
	}
	if diff := cmp.Diff([]string(nil), keys(got[0])); diff != "" {
		t.Errorf("broad card keeps suggestions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{KeyOrderLabPanel}, keys(got[1])); diff != "" {
		t.Errorf("lab card (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{KeyOrderDXA}, keys(got[2])); diff != "" {
		t.Errorf("DXA card (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Analyte{AnalyteTSH, AnalyteVitaminD, AnalyteCalcium}, got[1].Suggestions[0].Actions[0].Order.Analytes); diff != "" {
		t.Errorf("lab panel is not the union (-want +got):\n%s", diff)
	}
	if !got[2].Suggestions[0].Actions[0].Order.WithVFA {
		t.Error("the kept DXA lost the VFA the broad card asked for")
	}
	if got[2].Suggestions[0].Label.EN != SuggestDXA(true, reason).Label.EN {
		t.Errorf("kept DXA label %q does not mention VFA", got[2].Suggestions[0].Label.EN)
	}
	for _, want := range []string{"Lab card", "DXA card"} {
		if !contains(got[0].Detail.EN, want) {
			t.Errorf("broad card does not point to %q: %s", want, got[0].Detail.EN)
		}
	}
	// The input suggestions are not mutated (findings are values).
	if broad.Suggestions[1].Actions[0].Order.Analytes[0] != AnalyteCalcium || dxa.Suggestions[0].Actions[0].Order.WithVFA {
		t.Error("dedupe mutated the input orders")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
