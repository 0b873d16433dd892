package hooks

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/hooks/hookstest"
	"github.com/fracturecds/fracturecds/rules"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestGoldenResponses renders fixed facts through the whole card pipeline
// and compares the decoded response with testdata/<name>.response.golden.json.
// Every golden is also checked against the CDS Hooks invariants. Run
// `go test ./hooks -run TestGoldenResponses -update` after a deliberate
// change and read the diff.
func TestGoldenResponses(t *testing.T) {
	noFracture := pieterse()
	noFracture.Conditions = nil
	tests := []struct {
		name    string
		service string
		body    string
		lang    string
		facts   rules.Facts
	}{
		{"s3a-pieterse-case-finding-nl", "fracturecds-patient-view", validPatientView, "nl", pieterse()},
		{"s3a-pieterse-case-finding-en", "fracturecds-patient-view", validPatientView, "en", pieterse()},
		{"no-guidance", "fracturecds-patient-view", validPatientView, "nl", noFracture},
		{"missing-birth-date", "fracturecds-patient-view", validPatientView, "en", func() rules.Facts {
			f := pieterse()
			f.Patient.BirthDate = time.Time{}
			return f
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t, staticFacts(tt.facts), nil)
			rec := post(t, h, "/cds-services/"+tt.service, tt.body, map[string]string{"Accept-Language": tt.lang})
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if p := hookstest.Problems(rec.Body.Bytes()); len(p) > 0 {
				t.Errorf("spec problems:\n%v", p)
			}
			if p := hookstest.PlanProblems(rec.Body.Bytes()); len(p) > 0 {
				t.Errorf("whole-response problems:\n%v", p)
			}
			if p := rules.PlanViolations(tt.facts, rules.DefaultThresholds(), rules.Evaluate(tt.facts, rules.DefaultThresholds())); len(p) > 0 {
				t.Errorf("plan violations:\n%v", p)
			}
			path := filepath.Join("testdata", tt.name+".response.golden.json")
			if *update {
				var pretty bytes.Buffer
				if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil {
					t.Fatal(err)
				}
				pretty.WriteByte('\n')
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			var gotV, wantV any
			if err := json.Unmarshal(rec.Body.Bytes(), &gotV); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(want, &wantV); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantV, gotV); diff != "" {
				t.Errorf("response differs from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}
