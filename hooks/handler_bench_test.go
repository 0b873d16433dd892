package hooks

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// benchAsOf is the evaluation moment of the generated benchmark patients.
var benchAsOf = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

// benchProfiles are the request sizes of the handler benchmarks (see
// fhir/decode_bench_test.go).
var benchProfiles = []fhirtest.Profile{
	fhirtest.Typical, fhirtest.Heavy,
	fhirtest.Sized(30), fhirtest.Sized(300), fhirtest.Sized(3000), fhirtest.Sized(30000),
}

// benchHandler is the production handler (real Gatherer, every rule) with
// a fixed clock and a body cap large enough for the 30,000-resource body.
func benchHandler() http.Handler {
	g := fhir.NewGatherer(fhir.Options{})
	return NewHandler(Config{
		Facts:        g,
		Thresholds:   rules.DefaultThresholds(),
		Prefetch:     g.Templates(),
		MaxBodyBytes: 1 << 30,
		Now:          func() time.Time { return benchAsOf },
	})
}

// BenchmarkHandler measures one whole patient-view call through the HTTP
// handler: request decode and validation, prefetch decoding, fact
// extraction, all rules, card building and response encoding. Compare it
// with BenchmarkDecodeSmallStructs on the same body: the target is at most
// 3x.
func BenchmarkHandler(b *testing.B) {
	h := benchHandler()
	for _, p := range benchProfiles {
		b.Run(p.Name, func(b *testing.B) {
			skipLargeInShort(b, p.Resources())
			body := fhirtest.Generate(p, 1, benchAsOf)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/cds-services/fracturecds-patient-view", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(p.Resources()), "ns/resource")
		})
	}
}

// The small structs below hold only what the rules read: the floor for
// any handler that must at least parse the request once.
type (
	smallCoding struct {
		System string `json:"system"`
		Code   string `json:"code"`
	}
	smallConcept struct {
		Coding []smallCoding `json:"coding"`
	}
	smallQuantity struct {
		Value *float64 `json:"value"`
		Unit  string   `json:"unit"`
		Code  string   `json:"code"`
	}
	smallResource struct {
		ResourceType       string                     `json:"resourceType"`
		ID                 string                     `json:"id"`
		Status             string                     `json:"status"`
		Gender             string                     `json:"gender"`
		BirthDate          string                     `json:"birthDate"`
		Code               smallConcept               `json:"code"`
		ClinicalStatus     smallConcept               `json:"clinicalStatus"`
		VerificationStatus smallConcept               `json:"verificationStatus"`
		BodySite           smallConcept               `json:"bodySite"`
		Subject            struct{ Reference string } `json:"subject"`
		Effective          string                     `json:"effectiveDateTime"`
		Onset              string                     `json:"onsetDateTime"`
		AuthoredOn         string                     `json:"authoredOn"`
		Value              smallQuantity              `json:"valueQuantity"`
		Medication         smallConcept               `json:"medicationCodeableConcept"`
		Period             struct {
			Start string `json:"start"`
			End   string `json:"end"`
		} `json:"effectivePeriod"`
		Dosage smallDosages `json:"dosage"`
	}
	smallDosage struct {
		Route       smallConcept  `json:"route"`
		Dose        smallQuantity `json:"dose"`
		DoseAndRate []struct {
			Dose smallQuantity `json:"doseQuantity"`
		} `json:"doseAndRate"`
	}
	smallRequest struct {
		Hook         string `json:"hook"`
		HookInstance string `json:"hookInstance"`
		Context      struct {
			UserID    string `json:"userId"`
			PatientID string `json:"patientId"`
		} `json:"context"`
		Prefetch map[string]struct {
			smallResource
			Entry []struct {
				Resource smallResource `json:"resource"`
			} `json:"entry"`
		} `json:"prefetch"`
	}
)

// smallDosages is MedicationStatement.dosage (an array) or
// MedicationAdministration.dosage (one object).
type smallDosages []smallDosage

// UnmarshalJSON accepts an array or a single object.
func (d *smallDosages) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		*d = make(smallDosages, 1)
		return json.Unmarshal(b, &(*d)[0])
	}
	return json.Unmarshal(b, (*[]smallDosage)(d))
}

// BenchmarkDecodeSmallStructs decodes the same bodies as BenchmarkHandler,
// in one pass with encoding/json, into structs holding only the fields the
// rules read (ecosystem.md §3 "small hand-made structs"). It is the
// baseline of the "handler CPU within 3x of decoding" target.
func BenchmarkDecodeSmallStructs(b *testing.B) {
	for _, p := range benchProfiles {
		b.Run(p.Name, func(b *testing.B) {
			skipLargeInShort(b, p.Resources())
			body := fhirtest.Generate(p, 1, benchAsOf)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				var r smallRequest
				if err := json.Unmarshal(body, &r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(p.Resources()), "ns/resource")
		})
	}
}

// skipLargeInShort skips sizes above 3,000 resources under -short, so the
// scripts/test.sh smoke run (-benchtime=1x -short) stays fast.
func skipLargeInShort(b *testing.B, n int) {
	if testing.Short() && n > 3000 {
		b.Skip("-short: sizes above 3,000 resources skipped")
	}
}
