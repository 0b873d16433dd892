package hookstest

import (
	"encoding/json"
	"testing"
)

// TestTextProblemsFindsWhatAGPShouldNotDecode feeds one card per leftover
// the clinical review of issue 12 found, and a clean card.
func TestTextProblemsFindsWhatAGPShouldNotDecode(t *testing.T) {
	tests := []struct {
		name string
		card map[string]any
		want int
	}{
		{"clean Dutch card", map[string]any{"summary": "Denosumab te laat", "detail": "De laatste injectie was 8 maanden geleden, op 05-04-2025; 5 jaar en 2 maanden behandeld.",
			"links": []any{map[string]any{"label": "ISCD Official Positions", "url": "https://iscd.org/"}}}, 0},
		{"clean English card", map[string]any{"summary": "Denosumab overdue", "detail": "Last injection 5 Apr 2025 (8 months ago)."}, 0},
		{"ATC code", map[string]any{"summary": "s", "detail": "| Denosumab | denosumab 60 mg (ATC M05BX04) |"}, 1},
		{"bare ATC code", map[string]any{"summary": "s", "detail": "omeprazol A02BC01"}, 1},
		{"ISO date in a suggestion label", map[string]any{"summary": "s", "detail": "d", "suggestions": []any{map[string]any{"label": "Zoledroninezuur op 2025-07-07"}}}, 1},
		{"unverified link label", map[string]any{"summary": "s", "detail": "d", "links": []any{map[string]any{"label": "ISCD (unverified)"}}}, 1},
		{"niet geverifieerd", map[string]any{"summary": "s", "detail": "anti-epileptica (niet geverifieerd)"}, 1},
		{"sources differ", map[string]any{"summary": "s", "detail": "T ≤ −2,5 (bronnen verschillen: WHO ≤, casuïstiek <; toegepast: ≤)"}, 1},
		{"FHIR element path", map[string]any{"summary": "s", "detail": `datum (Condition.onset\[x\] of recordedDate ontbreekt)`}, 1},
		{"months with decimals", map[string]any{"summary": "s", "detail": "| Blootstelling | 49,05 maanden |"}, 1},
		{"days ago", map[string]any{"summary": "s", "detail": "De laatste injectie was 242 dagen geleden."}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{"cards": []any{tc.card}})
			if err != nil {
				t.Fatal(err)
			}
			if got := TextProblems(body); len(got) != tc.want {
				t.Errorf("got %d problems %q, want %d", len(got), got, tc.want)
			}
		})
	}
}
