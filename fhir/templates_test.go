package fhir

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTemplatesFixedKeys(t *testing.T) {
	got := NewGatherer(Options{}).Templates()
	tpl := "{{context.patientId}}"
	want := map[string]string{
		KeyPatient:                   "Patient/" + tpl,
		KeyConditions:                "Condition?patient=" + tpl,
		KeyMedicationStatements:      "MedicationStatement?patient=" + tpl,
		KeyMedicationRequests:        "MedicationRequest?patient=" + tpl,
		KeyMedicationAdministrations: "MedicationAdministration?patient=" + tpl,
		KeyServiceRequests:           "ServiceRequest?patient=" + tpl,
		// The code lists come from the terminology; checked below.
		KeyDXA:  got[KeyDXA],
		KeyLabs: got[KeyLabs],
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("templates (-want +got):\n%s", diff)
	}
}

func TestTemplatesObservationCodeLists(t *testing.T) {
	term := DefaultTerminology()
	g := NewGatherer(Options{Terminology: term})
	for _, key := range []string{KeyDXA, KeyLabs} {
		t.Run(key, func(t *testing.T) {
			tpl := g.Templates()[key]
			if !strings.HasPrefix(tpl, "Observation?patient={{context.patientId}}&code=") {
				t.Fatalf("template %q is not a patient Observation search by code", tpl)
			}
			if strings.ContainsAny(tpl, "| ") {
				t.Errorf("template %q has characters that are not valid in a URL", tpl)
			}
			// Filled in, the template is a valid relative URL whose code
			// parameter is the terminology's own list.
			u, err := url.Parse(fillTemplate(tpl, "p 1/x"))
			if err != nil {
				t.Fatalf("filled template does not parse: %v", err)
			}
			q := u.Query()
			if q.Get("patient") != "p 1/x" {
				t.Errorf("patient = %q, want the id back", q.Get("patient"))
			}
			if diff := cmp.Diff(term.SearchCodes(key), strings.Split(q.Get("code"), ",")); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenListEscaping(t *testing.T) {
	tests := []struct {
		tokens []string
		want   string
	}{
		{[]string{"http://loinc.org|38267-8"}, "http://loinc.org%7C38267-8"},
		{[]string{"http://loinc.org|1-8", "urn:oid:1.2.3|A B"}, "http://loinc.org%7C1-8,urn:oid:1.2.3%7CA%20B"},
		// A comma or pipe inside a code is escaped for FHIR search first
		// (\, and \|), then for the URL.
		{[]string{"http://local|a,b|c"}, "http://local%7Ca%5C%2Cb%5C%7Cc"},
		{[]string{"&x=1"}, "%26x%3D1"},
	}
	for _, tc := range tests {
		if got := tokenList(tc.tokens); got != tc.want {
			t.Errorf("tokenList(%q) = %q, want %q", tc.tokens, got, tc.want)
		}
	}
}

func TestFillTemplateEscapesPatientID(t *testing.T) {
	got := []string{
		fillTemplate("Patient/{{context.patientId}}", "a/b?c"),
		fillTemplate("Condition?patient={{context.patientId}}", "a&b=c"),
	}
	want := []string{"Patient/a%2Fb%3Fc", "Condition?patient=a%26b%3Dc"}
	if !slices.Equal(got, want) {
		t.Errorf("fillTemplate = %q, want %q", got, want)
	}
}
