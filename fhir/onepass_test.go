package fhir

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// The one-pass path is an optimisation: on every generated patient and
// every seed case it must give exactly the facts of the entry-by-entry
// path.
func TestOnePassReadsWhatEntryByEntryReads(t *testing.T) {
	asOf := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	bodies := map[string][]byte{
		"typical": fhirtest.Generate(fhirtest.Typical, 1, asOf),
		"heavy":   fhirtest.Generate(fhirtest.Heavy, 2, asOf),
		"n3000":   fhirtest.Generate(fhirtest.Sized(3000), 3, asOf),
	}
	for _, c := range fhirtest.LoadCases(t) {
		b, err := os.ReadFile(filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds", c.File))
		if err != nil {
			t.Fatal(err)
		}
		bodies[c.ID] = b
	}
	g := NewGatherer(Options{})
	facts := func(t *testing.T, body []byte) rules.Facts {
		t.Helper()
		var req struct {
			Context struct {
				PatientID   string          `json:"patientId"`
				DraftOrders json.RawMessage `json:"draftOrders"`
			} `json:"context"`
			Prefetch map[string]json.RawMessage `json:"prefetch"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		res, err := g.Facts(context.Background(), Input{Hook: rules.PatientView, PatientID: strings.TrimPrefix(req.Context.PatientID, "Patient/"), Prefetch: req.Prefetch, DraftOrders: req.Context.DraftOrders, AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		return res.Facts
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			onePass := facts(t, body)
			entryByEntryOnly = true
			defer func() { entryByEntryOnly = false }()
			entryByEntry := facts(t, body)
			if len(onePass.Labs)+len(onePass.DXA)+len(onePass.Conditions) == 0 {
				t.Fatalf("no labs, DXA or conditions: nothing compared")
			}
			if diff := cmp.Diff(entryByEntry, onePass); diff != "" {
				t.Errorf("one pass differs from entry by entry (-entry +one):\n%s", diff)
			}
		})
	}
}
