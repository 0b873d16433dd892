package bonehealth_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/bonehealth"
	"github.com/fracturecds/fracturecds/rules"
)

// The demo's way in: the view of a seed request's prefetch, no FHIR
// server, in both languages, with a text alternative for every chart.
func TestServeRequestDrawsTheSeedCases(t *testing.T) {
	app := bonehealth.New(bonehealth.Config{Facts: fhir.NewGatherer(fhir.Options{}), Thresholds: rules.DefaultThresholds()})
	dir := filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds")
	want := map[string][]string{
		"S4-casus3-alendronate-5y": {"nl", "+8,0 %", "+4,5 %", "significant (groter dan LSC)", "osteoporose"},
		"S7-dexa-report-example":   {"en", "implausible change: check the measurement", "within LSC (not significant)"},
		// S5b: last dose 242 days before T.
		"S5b-casus3-denosumab-overdue":    {"en", fmt.Sprintf("next dose overdue: %d days", 242-rules.DefaultThresholds().DmabIntervalDays), "Zoledronic acid window when stopping"},
		"S6-casus4-fracture-on-treatment": {"nl", "onbetrouwbaar: wervelfractuur", "tijdens behandeling"},
	}
	for _, c := range fhirtest.LoadCases(t) {
		w, ok := want[c.ID]
		if !ok {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, c.File))
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		app.ServeRequest(rec, body, c.AsOf, w[0])
		page := html.UnescapeString(rec.Body.String())
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: HTTP %d: %s", c.ID, rec.Code, page)
		}
		for _, s := range w[1:] {
			if !strings.Contains(page, s) {
				t.Errorf("%s: page lacks %q", c.ID, s)
			}
		}
		// Every chart is an image with a title and a table describing it.
		if n, m := strings.Count(page, `role="img"`), strings.Count(page, `aria-describedby=`); n == 0 || n != m {
			t.Errorf("%s: %d charts, %d with a text alternative", c.ID, n, m)
		}
		for _, bad := range []string{"<script", "http://", "https://"} {
			if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
				t.Errorf("%s: page contains %q (no scripts, no external assets)", c.ID, bad)
			}
		}
	}
}
