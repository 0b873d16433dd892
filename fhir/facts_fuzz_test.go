package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/rules"
)

// FuzzExtractFacts feeds arbitrary JSON through the whole fact path with
// no FHIR server: the same bytes as every list prefetch key and as
// draftOrders, next to a valid Patient, then the rules. Hostile input may
// only ever yield facts or ErrInvalidInput / ErrDataUnavailable: never a
// panic, never another error.
func FuzzExtractFacts(f *testing.F) {
	for _, p := range []string{"facts/scenario.json", "facts/draft-orders.json", "client/conditions.json", "client/dxa.json", "client/draft-orders.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Observation","id":"o","status":"final","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},"valueQuantity":{"value":-1e308,"unit":"<script>"},"effectiveDateTime":"0000-00-00"}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"MedicationRequest","id":"m","status":"draft","intent":"order","subject":{"reference":"Patient/p1"},"medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"dosageInstruction":[{"timing":{"repeat":{"frequency":0,"period":0}}}]}}]}`))
	f.Add([]byte(`null`))
	g := NewGatherer(Options{})
	patient := json.RawMessage(`{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-01-01"}`)
	asOf := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		pre := map[string]json.RawMessage{}
		for _, key := range prefetchKeys {
			pre[key] = data
		}
		pre["patient"] = patient
		for _, hook := range []rules.Hook{rules.PatientView, rules.OrderSign} {
			in := Input{Hook: hook, PatientID: "p1", Prefetch: pre, AsOf: asOf}
			if hook == rules.OrderSign {
				in.DraftOrders = data
			}
			res, err := g.Facts(context.Background(), in)
			if err != nil {
				if !errors.Is(err, ErrInvalidInput) && !errors.Is(err, ErrDataUnavailable) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				continue
			}
			_ = rules.Evaluate(res.Facts, rules.DefaultThresholds())
		}
	})
}
