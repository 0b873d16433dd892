package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// One order is suggested once per response, on the most urgent card that
// proposes it; the kept order covers what every card asked for, and the
// other cards refer to it.
func TestDedupeKeepsOneOrderOnTheMostUrgentCard(t *testing.T) {
	reason := Text{NL: "r", EN: "r"}
	broad := Finding{Topic: "broad", Indicator: Warning, Summary: Text{NL: "Brede kaart", EN: "Broad card"},
		Suggestions: []Suggestion{SuggestDXA(false, reason), SuggestLabPanel([]Analyte{AnalyteCalcium, AnalyteTSH}, reason)}}
	labs := Finding{Topic: "labs", Indicator: Info, Summary: Text{NL: "Labkaart", EN: "Lab card"},
		Suggestions: []Suggestion{SuggestLabPanel([]Analyte{AnalyteTSH, AnalyteVitaminD}, reason)}}
	dxa := Finding{Topic: "dxa", Indicator: Info, Summary: Text{NL: "DXA-kaart", EN: "DXA card"},
		Suggestions: []Suggestion{SuggestDXA(true, reason)}}

	in := []Finding{broad, labs, dxa}
	for i := range in {
		in[i].Suggestions = append([]Suggestion(nil), in[i].Suggestions...)
	}
	got := writeReferences(dedupeSuggestions(in))

	keys := func(f Finding) []string {
		var k []string
		for _, s := range f.Suggestions {
			k = append(k, s.Key)
		}
		return k
	}
	if diff := cmp.Diff([]string{KeyOrderDXA, KeyOrderLabPanel}, keys(got[0])); diff != "" {
		t.Errorf("broad card (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), keys(got[1])); diff != "" {
		t.Errorf("lab card keeps suggestions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), keys(got[2])); diff != "" {
		t.Errorf("DXA card keeps suggestions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Analyte{AnalyteCalcium, AnalyteTSH, AnalyteVitaminD}, got[0].Suggestions[1].Actions[0].Order.Analytes); diff != "" {
		t.Errorf("lab panel is not the union (-want +got):\n%s", diff)
	}
	if !got[0].Suggestions[0].Actions[0].Order.WithVFA {
		t.Error("the kept DXA lost the VFA the DXA card asked for")
	}
	for i := 1; i <= 2; i++ {
		if !contains(got[i].Detail.EN, `see the card "Broad card"`) {
			t.Errorf("card %d does not point to the broad card: %s", i, got[i].Detail.EN)
		}
	}
	// The input suggestions are not mutated (findings are values).
	if broad.Suggestions[1].Actions[0].Order.Analytes[1] != AnalyteTSH || len(broad.Suggestions[1].Actions[0].Order.Analytes) != 2 || broad.Suggestions[0].Actions[0].Order.WithVFA {
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
