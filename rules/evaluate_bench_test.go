package rules_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// BenchmarkEvaluate measures all 28 rules on the facts of generated
// patients. The facts come from the real extraction (package fhir), so the
// rules see the observation and medication-episode counts a real request
// produces; a rule quadratic in either shows as a growing ns/resource.
func BenchmarkEvaluate(b *testing.B) {
	asOf := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	th := rules.DefaultThresholds()
	g := fhir.NewGatherer(fhir.Options{})
	for _, p := range []fhirtest.Profile{
		fhirtest.Typical, fhirtest.Heavy,
		fhirtest.Sized(30), fhirtest.Sized(300), fhirtest.Sized(3000), fhirtest.Sized(30000),
	} {
		b.Run(p.Name, func(b *testing.B) {
			skipLargeInShort(b, p.Resources())
			var req struct {
				Context struct {
					PatientID string `json:"patientId"`
				} `json:"context"`
				Prefetch map[string]json.RawMessage `json:"prefetch"`
			}
			if err := json.Unmarshal(fhirtest.Generate(p, 1, asOf), &req); err != nil {
				b.Fatal(err)
			}
			res, err := g.Facts(context.Background(), fhir.Input{
				Hook: rules.PatientView, PatientID: req.Context.PatientID, Prefetch: req.Prefetch, AsOf: asOf,
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var findings int
			for b.Loop() {
				findings = len(rules.Evaluate(res.Facts, th))
			}
			if findings == 0 {
				b.Fatalf("%s: no findings; the generated patient should trigger cards", p.Name)
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
