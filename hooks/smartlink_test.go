package hooks

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/bonehealth"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
	"github.com/fracturecds/fracturecds/rules"
)

// The cards that weigh a history carry a smart link to the bone-health
// view; the others do not, and without the app no card has one. Seed
// cases through the real gatherer, at each case's own moment T.
func TestHistoryCardsLinkTheBoneHealthView(t *testing.T) {
	const public = "https://cds.example.org"
	dir := filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds")
	cases := map[string]map[string]bool{ // case -> topic -> has a smart link
		"S4-casus3-alendronate-5y":        {rules.TopicBisphosphonate5yReview: true, rules.TopicDexaChangeLSC: true, rules.TopicDexaWHOClassification: false},
		"S5b-casus3-denosumab-overdue":    {rules.TopicDenosumabDoseOverdue: true, rules.TopicDenosumab5yReview: true},
		"S6-casus4-fracture-on-treatment": {rules.TopicFractureOnTreatment: true, rules.TopicBoneRiskMedication: false},
	}
	for _, c := range fhirtest.LoadCases(t) {
		wantTopics, ok := cases[c.ID]
		if !ok {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, c.File))
		if err != nil {
			t.Fatal(err)
		}
		var req struct {
			Context struct {
				PatientID string `json:"patientId"`
			} `json:"context"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		for _, withApp := range []bool{true, false} {
			cfg := Config{
				Facts:      fhir.NewGatherer(fhir.Options{}),
				Thresholds: rules.DefaultThresholds(),
				Now:        func() time.Time { return c.AsOf },
				NewUUID:    seqUUID(),
			}
			if withApp {
				cfg.BoneHealth = bonehealth.New(bonehealth.Config{PublicURL: public + "/"})
			}
			rec := post(t, NewHandler(cfg), "/cds-services/"+ServicePatientView, string(body), nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: HTTP %d: %s", c.ID, rec.Code, rec.Body)
			}
			if p := hookstest.Problems(rec.Body.Bytes()); len(p) > 0 {
				t.Errorf("%s: spec problems: %v", c.ID, p)
			}
			var resp Response
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, card := range resp.Cards {
				if _, asked := wantTopics[card.Source.Topic.Code]; !asked {
					continue
				}
				var smart []Link
				for _, l := range card.Links {
					if l.Type == "smart" {
						smart = append(smart, l)
					}
				}
				got[card.Source.Topic.Code] = len(smart) > 0
				if len(smart) > 0 {
					want := []Link{{Label: "Botgezondheid in één oogopslag (DXA, fracturen, behandeling)", URL: public + bonehealth.LaunchPath + "?patient=" + trimPatient(req.Context.PatientID), Type: "smart"}}
					if diff := cmp.Diff(want, smart); diff != "" {
						t.Errorf("%s %s: smart link (-want +got):\n%s", c.ID, card.Source.Topic.Code, diff)
					}
				}
			}
			want := map[string]bool{}
			for topic, link := range wantTopics {
				want[topic] = link && withApp
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (app %v): topics with a smart link (-want +got):\n%s", c.ID, withApp, diff)
			}
		}
	}
}

func trimPatient(id string) string {
	if len(id) > 8 && id[:8] == "Patient/" {
		return id[8:]
	}
	return id
}
