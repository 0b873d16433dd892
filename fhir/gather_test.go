package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/rules"
)

func TestNewGathererDefaults(t *testing.T) {
	caller := &http.Client{Timeout: time.Minute}
	g := NewGatherer(Options{HTTPClient: caller})
	got := []any{g.opts.Budget, g.opts.MaxPages, g.opts.MaxResponseBytes, g.terminology != nil}
	want := []any{DefaultBudget, DefaultMaxPages, DefaultMaxResponseBytes, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	// The caller's client keeps its own redirect policy; ours refuses
	// redirects so the token cannot follow one off fhirServer.
	if caller.CheckRedirect != nil {
		t.Error("NewGatherer changed the caller's http.Client")
	}
	if g.opts.HTTPClient.CheckRedirect == nil || g.opts.HTTPClient.Timeout != time.Minute {
		t.Error("the Gatherer's client should be a copy of the caller's without redirects")
	}
}

func TestFactsFromFullPrefetch(t *testing.T) {
	in := Input{PatientID: testPatient, Prefetch: allPrefetched(t), DraftOrders: readTestdata(t, "draft-orders.json")}
	res, err := NewGatherer(Options{}).Facts(context.Background(), in)
	if err != nil {
		t.Fatalf("Facts: %v", err)
	}
	if res.Facts.Patient.ID != testPatient {
		t.Errorf("Patient.ID = %q, want %q", res.Facts.Patient.ID, testPatient)
	}
	// A card that stops an order sends the order back whole, so its JSON
	// must survive gathering.
	for _, ref := range []rules.Ref{"MedicationRequest/mr-1", "MedicationRequest/draft-mr-1"} {
		raw, ok := res.Resource(ref)
		if !ok || !json.Valid(raw) {
			t.Errorf("Resource(%s) = %s, %v; want its JSON", ref, raw, ok)
		}
	}
}

func TestFactsReturnsErrorsUnchanged(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want error
	}{
		{name: "no patient id", in: Input{Prefetch: nullPrefetch()}, want: ErrInvalidInput},
		{name: "absent key and no server", in: Input{PatientID: testPatient}, want: ErrDataUnavailable},
		{name: "draftOrders not a Bundle", in: Input{PatientID: testPatient, Prefetch: nullPrefetch(), DraftOrders: json.RawMessage(`{"resourceType":"Patient"}`)}, want: ErrInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewGatherer(Options{}).Facts(context.Background(), tc.in); !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestGatherSelectionsAndDraftsTogether(t *testing.T) {
	in := Input{
		PatientID:   testPatient,
		Prefetch:    nullPrefetch(KeyMedicationRequests),
		DraftOrders: readTestdata(t, "draft-orders.json"),
		Selections:  []string{"MedicationRequest/draft-mr-1"},
	}
	in.Prefetch[KeyMedicationRequests] = readTestdata(t, "medicationRequests.json")
	res, err := NewGatherer(Options{}).gather(context.Background(), in)
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	want := summary{
		MedicationRequests:      []string{"mr-1"},
		DraftMedicationRequests: []string{"draft-mr-1"},
		DraftServiceRequests:    []string{"draft-sr-1"},
		Raw:                     []string{"MedicationRequest/draft-mr-1", "MedicationRequest/mr-1"},
		Selections:              []string{"MedicationRequest/draft-mr-1"},
	}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
}
