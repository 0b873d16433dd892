package fhir

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// coding builds an r4.Coding for tests.
func coding(system, code string) r4.Coding {
	return r4.Coding{System: &system, Code: &code}
}

// concept builds an r4.CodeableConcept from system/code pairs.
func concept(pairs ...string) *r4.CodeableConcept {
	cc := &r4.CodeableConcept{}
	for i := 0; i+1 < len(pairs); i += 2 {
		cc.Coding = append(cc.Coding, coding(pairs[i], pairs[i+1]))
	}
	return cc
}

func testTerminology(t *testing.T) *Terminology {
	t.Helper()
	term, err := NewTerminology([]LocalCode{
		{System: "urn:oid:2.16.840.1.113883.2.4.4.30.45", Code: "VITD0001", Analyte: rules.AnalyteVitaminD},
		{System: "urn:local:dxa", Code: "NECK-T", Site: rules.SiteFemoralNeck, Measure: rules.TScore},
		{System: "urn:local:problems", Code: "VFA2", Concepts: []rules.Concept{rules.ConceptFracture, rules.ConceptVertebralFracture}},
	})
	if err != nil {
		t.Fatalf("NewTerminology: %v", err)
	}
	return term
}

func TestSearchCodes(t *testing.T) {
	term := testTerminology(t)
	tests := []struct {
		name      string
		group     string
		mustHave  []string
		mustNot   []string
		wantCount int
	}{
		{
			name:      "dxa holds every T, Z and BMD code plus the local DXA code",
			group:     SearchGroupDXA,
			mustHave:  []string{"http://loinc.org|38267-1", "http://loinc.org|80945-9", "http://loinc.org|80934-3", "http://loinc.org|46383-6", "http://loinc.org|85393-7", "urn:local:dxa|NECK-T"},
			mustNot:   []string{"http://loinc.org|38268-9", "http://loinc.org|98979-8", "urn:oid:2.16.840.1.113883.2.4.4.30.45|VITD0001"},
			wantCount: len(loincDXA) + 1,
		},
		{
			name:      "labs holds eGFR incl. CrCl, testosterone and the local lab code",
			group:     SearchGroupLabs,
			mustHave:  []string{"http://loinc.org|98979-8", "http://loinc.org|35591-7", "http://loinc.org|2986-8", "http://loinc.org|29265-6", "http://loinc.org|14635-7", "urn:oid:2.16.840.1.113883.2.4.4.30.45|VITD0001"},
			mustNot:   []string{"http://loinc.org|38267-1", "urn:local:dxa|NECK-T", "urn:local:problems|VFA2", "http://loinc.org|1995-0"},
			wantCount: len(loincLabs) + 1,
		},
		{name: "unknown group is empty", group: "vitals", wantCount: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := term.SearchCodes(tc.group)
			if len(got) != tc.wantCount {
				t.Errorf("SearchCodes(%q) returned %d tokens, want %d", tc.group, len(got), tc.wantCount)
			}
			set := map[string]bool{}
			for _, tok := range got {
				if set[tok] {
					t.Errorf("duplicate token %q", tok)
				}
				set[tok] = true
			}
			for _, tok := range tc.mustHave {
				if !set[tok] {
					t.Errorf("missing %q", tok)
				}
			}
			for _, tok := range tc.mustNot {
				if set[tok] {
					t.Errorf("unexpected %q", tok)
				}
			}
			if diff := cmp.Diff(got, term.SearchCodes(tc.group)); diff != "" {
				t.Errorf("order not deterministic (-first +second):\n%s", diff)
			}
		})
	}
}
