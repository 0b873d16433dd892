package hooks

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
	"github.com/fracturecds/fracturecds/rules"
)

// TestSeedCasesKeepTheWholeResponseInvariants runs every seed case
// (testdata/seeds) through the real FHIR fact gathering and the handler, in
// Dutch and English, at the case's T, and checks the invariants of issue
// 12: those of the rendered response (hookstest.PlanProblems: at most 4
// cards, details of at most 1,500 characters, references only to cards
// present, an action on every critical card, sources once) and those that
// need the record (rules.PlanViolations: no suggestion a finding forbids, no
// order already active or measured in the last 30 days).
func TestSeedCasesKeepTheWholeResponseInvariants(t *testing.T) {
	// The seed's alcohol record has a local code; a practice maps it by
	// configuration, as here, so the lifestyle advice is checked too.
	term, err := fhir.NewTerminology([]fhir.LocalCode{{System: "urn:fracturecds:seed:local", Code: "alcohol-units-per-day", Lifestyle: rules.LifestyleAlcohol}})
	if err != nil {
		t.Fatal(err)
	}
	g := fhir.NewGatherer(fhir.Options{Terminology: term})
	th := rules.DefaultThresholds()
	n := 0
	for _, c := range fhirtest.LoadCases(t) {
		if len(c.Config) > 0 {
			continue
		}
		body, err := os.ReadFile(filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds", c.File))
		if err != nil {
			t.Fatal(err)
		}
		var facts rules.Facts
		capture := FactSourceFunc(func(ctx context.Context, in fhir.Input) (fhir.Result, error) {
			r, err := g.Facts(ctx, in)
			facts = r.Facts
			return r, err
		})
		asOf := c.AsOf
		h := NewHandler(Config{Facts: capture, Thresholds: th, Prefetch: g.Templates(), Now: func() time.Time { return asOf }, NewUUID: seqUUID()})
		for _, lang := range []string{"nl", "en"} {
			req := httptest.NewRequest(http.MethodPost, "/cds-services/"+c.Service, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", lang)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: status %d: %s", c.ID, rec.Code, rec.Body)
			}
			for _, p := range hookstest.PlanProblems(rec.Body.Bytes()) {
				t.Errorf("%s (%s): %s", c.ID, lang, p)
			}
			if c.ID == "S3c-pieterse-consultation" && lang == "nl" && !bytes.Contains(rec.Body.Bytes(), []byte("alcohol 5 eenheden per dag")) {
				t.Errorf("S3c: the 5 units of alcohol a day on record are not used:\n%s", rec.Body)
			}
			n++
		}
		for _, p := range rules.PlanViolations(facts, th, rules.Evaluate(facts, th)) {
			t.Errorf("%s: %s", c.ID, p)
		}
	}
	if n < 20 {
		t.Fatalf("only %d responses checked", n)
	}
}

// The README's examples keep the same invariants, at a T after all their
// data (before the example's fracture there is, rightly, no card).
func TestExamplesKeepTheWholeResponseInvariants(t *testing.T) {
	g := fhir.NewGatherer(fhir.Options{})
	th := rules.DefaultThresholds()
	exampleT := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, ex := range []struct{ file, service string }{
		{"patient-view.json", "fracturecds-patient-view"},
		{"order-sign-denosumab-stop.json", "fracturecds-order-sign"},
	} {
		body, err := os.ReadFile(filepath.Join(fhirtest.RepoRoot(t), "examples", ex.file))
		if err != nil {
			t.Fatal(err)
		}
		var facts rules.Facts
		capture := FactSourceFunc(func(ctx context.Context, in fhir.Input) (fhir.Result, error) {
			r, err := g.Facts(ctx, in)
			facts = r.Facts
			return r, err
		})
		h := NewHandler(Config{Facts: capture, Thresholds: th, Prefetch: g.Templates(), Now: func() time.Time { return exampleT }, NewUUID: seqUUID()})
		for _, lang := range []string{"nl", "en"} {
			req := httptest.NewRequest(http.MethodPost, "/cds-services/"+ex.service, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", lang)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: status %d: %s", ex.file, rec.Code, rec.Body)
			}
			if !bytes.Contains(rec.Body.Bytes(), []byte(`"summary"`)) {
				t.Errorf("%s (%s): no card", ex.file, lang)
			}
			for _, p := range hookstest.PlanProblems(rec.Body.Bytes()) {
				t.Errorf("%s (%s): %s", ex.file, lang, p)
			}
		}
		for _, p := range rules.PlanViolations(facts, th, rules.Evaluate(facts, th)) {
			t.Errorf("%s: %s", ex.file, p)
		}
	}
}
