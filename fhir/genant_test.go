package fhir

import "testing"

// A VFA-found deformity of Genant grade 1 must not count as a vertebral
// fracture by default (rules.md §7.5), so the grade has to reach the facts.
func TestGenantGradeIsReadFromConditionStage(t *testing.T) {
	tests := []struct {
		name, stage string
		want        int
	}{
		{"grade 1", `[{"summary":{"coding":[{"system":"` + GenantGradeSystem + `","code":"1"}]}}]`, 1},
		{"grade 2", `[{"summary":{"coding":[{"system":"` + GenantGradeSystem + `","code":"2"}]}}]`, 2},
		{"grade 3 after an unrelated stage", `[{"summary":{"text":"x"}},{"summary":{"coding":[{"system":"` + GenantGradeSystem + `","code":"3"}]}}]`, 3},
		{"another system is not a grade", `[{"summary":{"coding":[{"system":"http://example.org/stage","code":"1"}]}}]`, 0},
		{"unknown code", `[{"summary":{"coding":[{"system":"` + GenantGradeSystem + `","code":"4"}]}}]`, 0},
		{"no stage", `[]`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"resourceType":"Condition","id":"v1","subject":{"reference":"Patient/p"},` +
				`"code":{"coding":[{"system":"http://snomed.info/sct","code":"240198002"}]},"stage":` + tt.stage + `}`
			fact, ok := conditionFacts(decodeCondition(t, raw), DefaultTerminology())
			if !ok {
				t.Fatal("vertebral collapse not recognised")
			}
			if fact.GenantGrade != tt.want {
				t.Errorf("GenantGrade = %d, want %d", fact.GenantGrade, tt.want)
			}
		})
	}
}
