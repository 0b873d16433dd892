package hooks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
	"github.com/fracturecds/fracturecds/rules"
)

// Text an EHR sends (a free-text lab unit, a resource id) must never reach
// a card as markup, and an id must never become an action on another
// resource: some EHRs render raw HTML inside card Markdown.
func TestRequestTextCannotInjectMarkupOrActions(t *testing.T) {
	const body = `{
  "hook": "order-sign",
  "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
  "context": {"userId": "Practitioner/1", "patientId": "p1", "draftOrders": {"resourceType": "Bundle", "entry": [
    {"resource": {"resourceType": "MedicationRequest", "id": "../Patient/x y", "status": "draft", "intent": "order",
      "subject": {"reference": "Patient/p1"}, "authoredOn": "2024-03-01",
      "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "M05BA04"}]}}}]}},
  "prefetch": {
    "patient": {"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01", "gender": "female"},
    "labs": {"resourceType": "Bundle", "type": "searchset", "entry": [
      {"resource": {"resourceType": "Observation", "id": "egfr-1", "status": "final", "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "62238-1"}]}, "effectiveDateTime": "2024-02-01",
        "valueQuantity": {"value": 25, "unit": "<img src=x onerror=alert(1)>[x](https://evil.example)"}}},
      {"resource": {"resourceType": "Observation", "id": "egfr-2", "status": "final", "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "62238-1"}]}, "effectiveDateTime": "2024-02-15",
        "valueQuantity": {"value": 1e17, "unit": "mL/min/1.73m2"}}}]},
    "conditions": null, "dxa": null, "medicationStatements": null, "medicationRequests": null,
    "medicationAdministrations": null, "serviceRequests": null
  }
}`
	g := fhir.NewGatherer(fhir.Options{Terminology: fhir.DefaultTerminology()})
	h := NewHandler(Config{Facts: g, Thresholds: rules.DefaultThresholds(), Prefetch: g.Templates(),
		Now: func() time.Time { return testNow }, NewUUID: seqUUID()})
	rec := post(t, h, "/cds-services/fracturecds-order-sign", body, map[string]string{"Accept-Language": "en"})
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if p := hookstest.Problems(rec.Body.Bytes()); len(p) > 0 {
		t.Errorf("spec problems: %v", p)
	}
	var resp Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	for _, c := range resp.Cards {
		for _, bad := range []string{"<img", "](https://evil", "onerror=alert(1)>"} {
			if strings.Contains(c.Summary, bad) || strings.Contains(c.Detail, bad) {
				t.Errorf("card %s carries request markup %q:\n%s", c.Source.Topic.Code, bad, c.Detail)
			}
		}
		for _, s := range c.Suggestions {
			for _, a := range s.Actions {
				if strings.Contains(a.ResourceID, "..") || strings.Contains(a.ResourceID, " ") {
					t.Errorf("action on a forged reference %q", a.ResourceID)
				}
			}
		}
		// An absurd eGFR (1e17) is a data error, never "eGFR < 30".
		if c.Source.Topic.Code == "bisphosphonate-egfr-contraindication" {
			t.Errorf("a forged or absurd eGFR drove a contraindication card:\n%s", c.Detail)
		}
	}
	var gaps string
	for _, c := range resp.Cards {
		if c.Source.Topic.Code == rules.TopicInsufficientData {
			gaps = c.Detail
		}
	}
	if !strings.Contains(gaps, "eGFR") {
		t.Errorf("the unusable eGFR results are not named on the insufficient-data card:\n%s", gaps)
	}
}
