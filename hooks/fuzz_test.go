package hooks

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
	"github.com/fracturecds/fracturecds/rules"
)

// FuzzServiceRequest posts arbitrary bodies through the whole HTTP path
// (decoding, validation, the real prefetch decoder, rules, cards): the
// service must never panic, must answer 200 or a 4xx, and every 200 must
// be a spec-exact response.
func FuzzServiceRequest(f *testing.F) {
	f.Add([]byte(validPatientView))
	f.Add([]byte(`{"hook":"order-sign","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p","draftOrders":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"MedicationRequest","id":"m","status":"draft","intent":"order","subject":{"reference":"Patient/p"},"medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]}}}]}},"prefetch":{"patient":null}}`))
	f.Add([]byte(`{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p"},"prefetch":{"patient":{"resourceType":"Patient","id":"p","birthDate":"1950"},"conditions":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"42157000"}]}}}]},"dxa":null,"labs":{"resourceType":"OperationOutcome"},"medicationStatements":null,"medicationRequests":null,"medicationAdministrations":null,"serviceRequests":null}}`))
	f.Add([]byte(`{"hook":1}`))
	f.Add([]byte(`null`))
	g := fhir.NewGatherer(fhir.Options{Terminology: fhir.DefaultTerminology()})
	h := NewHandler(Config{Facts: g, Thresholds: rules.DefaultThresholds(), Prefetch: g.Templates(), Now: func() time.Time { return testNow }})
	services := []string{"fracturecds-patient-view", "fracturecds-order-select", "fracturecds-order-sign"}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, id := range services {
			req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/cds-services/"+id, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch {
			case rec.Code == http.StatusOK:
				if p := hookstest.Problems(rec.Body.Bytes()); len(p) > 0 {
					t.Fatalf("200 response breaks the spec: %v\n%s", p, rec.Body)
				}
			case rec.Code >= 400 && rec.Code < 500:
			default:
				t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
			}
		}
	})
}
