package fhir

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// benchAsOf is the evaluation moment of every generated benchmark patient.
var benchAsOf = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

// benchProfiles are the sizes every benchmark runs at: the two request
// profiles of the performance targets and the 30..30,000 ladder that shows
// whether the cost per resource stays flat.
var benchProfiles = []fhirtest.Profile{
	fhirtest.Typical, fhirtest.Heavy,
	fhirtest.Sized(30), fhirtest.Sized(300), fhirtest.Sized(3000), fhirtest.Sized(30000),
}

// benchInput returns the fhir.Input of a generated patient-view request.
func benchInput(b *testing.B, p fhirtest.Profile) (Input, int) {
	b.Helper()
	body := fhirtest.Generate(p, 1, benchAsOf)
	return inputOf(b, body, benchAsOf), len(body)
}

// inputOf returns the fhir.Input of a CDS Hooks request body, as the hooks
// package builds it (patient id without "Patient/").
func inputOf(tb testing.TB, body []byte, asOf time.Time) Input {
	tb.Helper()
	var req struct {
		Context struct {
			PatientID   string          `json:"patientId"`
			DraftOrders json.RawMessage `json:"draftOrders"`
		} `json:"context"`
		Prefetch map[string]json.RawMessage `json:"prefetch"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		tb.Fatal(err)
	}
	return Input{
		Hook:        rules.PatientView,
		PatientID:   strings.TrimPrefix(req.Context.PatientID, "Patient/"),
		Prefetch:    req.Prefetch,
		DraftOrders: req.Context.DraftOrders,
		AsOf:        asOf,
	}
}

// perResource reports the time per resource, the number that must stay
// flat from 30 to 30,000 resources.
func perResource(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/resource")
}

// BenchmarkDecodePrefetch measures decoding the eight prefetch values
// (classify, Bundle walk, typed resource decoding, merge) without fact
// extraction.
func BenchmarkDecodePrefetch(b *testing.B) {
	for _, p := range benchProfiles {
		b.Run(p.Name, func(b *testing.B) {
			skipLargeInShort(b, p.Resources())
			in, size := benchInput(b, p)
			g := NewGatherer(Options{})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.gather(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			perResource(b, p.Resources())
		})
	}
}

// BenchmarkExtractFacts measures turning decoded resources into
// rules.Facts.
func BenchmarkExtractFacts(b *testing.B) {
	for _, p := range benchProfiles {
		b.Run(p.Name, func(b *testing.B) {
			skipLargeInShort(b, p.Resources())
			in, _ := benchInput(b, p)
			g := NewGatherer(Options{})
			res, err := g.gather(context.Background(), in)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				extract(res, in, g.terminology)
			}
			perResource(b, p.Resources())
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

// BenchmarkFetchAllKeys gathers every key from an in-process FHIR server
// (no prefetch) whose searches take 20 ms each and 40 ms for the slowest.
// The searches run in parallel, so a call takes about the slowest search;
// "ms-over-slowest" is what the service adds on top (target: < 2 ms).
func BenchmarkFetchAllKeys(b *testing.B) {
	const slowest = 40 * time.Millisecond
	g := NewGatherer(Options{})
	f := newFakeFHIR(b, g)
	for _, key := range prefetchKeys {
		f.delay[key] = 20 * time.Millisecond
	}
	f.delay[KeyLabs] = slowest
	in := f.input(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.gather(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	perCall := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perCall-slowest)/float64(time.Millisecond), "ms-over-slowest")
}
