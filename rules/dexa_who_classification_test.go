package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func r05Facts(p Patient, dxa []DXAMeasurement, conds ...Condition) Facts {
	return Facts{AsOf: rkT, Hook: PatientView, Patient: p, DXA: dxa, Conditions: conds}
}

func TestDexaWHOClassificationFires(t *testing.T) {
	d := rkAgo(10)
	tests := []struct {
		name        string
		facts       Facts
		wantSummary string // English summary
		wantDetail  []string
	}{
		{"woman 65, lowest T −2.5 (at the boundary) → osteoporosis (≤, D1)",
			r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.5, d), rkDXA(SiteTotalHip, TScore, -1.0, d)}),
			"DXA: lowest T-score -2.5 (lumbar spine): osteoporosis (WHO)", nil},
		{"woman 65, T −2.4 (just above) → osteopenia",
			r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteFemoralNeck, TScore, -2.4, d)}),
			"DXA: lowest T-score -2.4 (femoral neck): osteopenia (WHO)", nil},
		{"woman 65, T −2.6 (just below) → osteoporosis",
			r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteTotalHip, TScore, -2.6, d)}),
			"DXA: lowest T-score -2.6 (total hip): osteoporosis (WHO)", nil},
		{"woman 65, T −1.0 → normal (osteopenia needs < −1.0)",
			r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteTotalHip, TScore, -1.0, d)}),
			"DXA: lowest T-score -1 (total hip): normal bone density (WHO)", nil},
		{"woman 65, T −1.1 → osteopenia",
			r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteTotalHip, TScore, -1.1, d)}),
			"DXA: lowest T-score -1.1 (total hip): osteopenia (WHO)", nil},
		{"lowest site wins: spine −1.4, femoral neck −2.4",
			r05Facts(rkPatient(75, "male"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.4, d), rkDXA(SiteFemoralNeck, TScore, -2.4, d)}),
			"DXA: lowest T-score -2.4 (femoral neck): osteopenia (WHO)", nil},
		{"forearm ignored when a central site exists",
			r05Facts(rkPatient(70, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.2, d), rkDXA(SiteForearm, TScore, -3.0, d)}),
			"DXA: lowest T-score -1.2 (lumbar spine): osteopenia (WHO)", nil},
		{"forearm used when it is the only site",
			r05Facts(rkPatient(70, "female"), []DXAMeasurement{rkDXA(SiteForearm, TScore, -2.7, d)}),
			"DXA: lowest T-score -2.7 (forearm): osteoporosis (WHO)", nil},
		{"newest examination wins over an older, lower one",
			r05Facts(rkPatient(70, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -3.0, rkAgo(800)), rkDXA(SiteLumbarSpine, TScore, -1.5, d)}),
			"DXA: lowest T-score -1.5 (lumbar spine): osteopenia (WHO)", nil},
		{"DXA exactly 90 days old still shown",
			r05Facts(rkPatient(70, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.5, rkAgo(90))}),
			"DXA: lowest T-score -1.5 (lumbar spine): osteopenia (WHO)", nil},
		{"T −2.6 with a hip fracture → severe (established) osteoporosis",
			r05Facts(rkPatient(70, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.6, d)}, rkFracture("hip", rkAgo(2000), ConceptHipFracture)),
			"DXA: lowest T-score -2.6 (lumbar spine) with a fracture: severe (established) osteoporosis (WHO)", nil},
		{"T −2.4 with vertebral fractures → osteopenia, clinically established osteoporosis",
			r05Facts(rkPatient(80, "male"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.4, d)}, rkVertebral("l1", rkAgo(20), 0)),
			"DXA: lowest T-score -2.4 (lumbar spine): osteopenia; with vertebral fracture: established osteoporosis",
			[]string{"clinically established osteoporosis"}},
		{"Genant grade 1 deformity is not a vertebral fracture by default",
			r05Facts(rkPatient(70, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.4, d)}, rkVertebral("th8", rkAgo(10), 1)),
			"DXA: lowest T-score -2.4 (lumbar spine): osteopenia (WHO)", nil},
		{"man 49 with Z-scores → read by Z (−1.2 within range) and T reading mentioned",
			r05Facts(rkPatient(49, "male"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.4, d), rkDXA(SiteLumbarSpine, ZScore, -1.1, d), rkDXA(SiteFemoralNeck, TScore, -1.9, d), rkDXA(SiteFemoralNeck, ZScore, -1.2, d)}),
			"DXA (man < 50 y): lowest Z-score -1.2: within the expected range for age",
			[]string{"\"osteopenia\" (lowest T-score -1.9, femoral neck)"}},
		{"man 49, Z −2.0 (at the boundary) → below the expected range",
			r05Facts(rkPatient(49, "male"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.6, d), rkDXA(SiteLumbarSpine, ZScore, -2.0, d)}),
			"DXA (man < 50 y): lowest Z-score -2: below the expected range for age",
			[]string{"referral to secondary care", "\"osteoporosis\""}},
		{"man 49, Z −1.9 (just above) → within the expected range",
			r05Facts(rkPatient(49, "male"), []DXAMeasurement{rkDXA(SiteLumbarSpine, ZScore, -1.9, d)}),
			"DXA (man < 50 y): lowest Z-score -1.9: within the expected range for age", nil},
		{"man 50 → WHO T-score classes apply",
			r05Facts(rkPatient(50, "male"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.4, d), rkDXA(SiteLumbarSpine, ZScore, -1.1, d)}),
			"DXA: lowest T-score -1.4 (lumbar spine): osteopenia (WHO)", nil},
		{"man 45 without Z-scores → T reading with a note that Z is missing",
			r05Facts(rkPatient(45, "male"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.4, d)}),
			"DXA: lowest T-score -1.4 (lumbar spine): osteopenia (WHO)",
			[]string{"should be read by Z-score"}},
		{"woman 45 → T reading, note on premenopausal status",
			r05Facts(rkPatient(45, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.4, d)}),
			"DXA: lowest T-score -1.4 (lumbar spine): osteopenia (WHO)",
			[]string{"premenopausal"}},
		{"age unknown → T reading with a note",
			r05Facts(Patient{ID: "p"}, []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.4, d)}),
			"DXA: lowest T-score -1.4 (lumbar spine): osteopenia (WHO)",
			[]string{"Age unknown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff([]rkOutcome{{Topic: TopicDexaWHOClassification, Indicator: Info}}, rkRun(tc.facts, DexaWHOClassification)); diff != "" {
				t.Fatalf("outcome (-want +got):\n%s", diff)
			}
			f := rkOne(t, DexaWHOClassification, tc.facts)
			if f.Summary.EN != tc.wantSummary {
				t.Errorf("summary\n got %q\nwant %q", f.Summary.EN, tc.wantSummary)
			}
			rkContains(t, "detail", f.Detail.EN, tc.wantDetail...)
			if len(f.Suggestions) != 0 {
				t.Errorf("R05 carries no suggestions, got %v", f.Suggestions)
			}
		})
	}
}

func TestDexaWHOClassificationSilent(t *testing.T) {
	tests := []struct {
		name  string
		facts Facts
	}{
		{"no DXA", r05Facts(rkPatient(65, "female"), nil)},
		{"newest DXA 91 days old", r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.6, rkAgo(91))})},
		{"only BMD values, no T-score", r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, BMD, 0.8, rkAgo(5))})},
		{"DXA dated after the evaluation moment", r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.6, rkT.AddDate(0, 0, 3))})},
		{"woman 65 with only Z-scores", r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteLumbarSpine, ZScore, -2.6, rkAgo(5))})},
		{"recent T-score at an unusable site", r05Facts(rkPatient(65, "female"), []DXAMeasurement{rkDXA(SiteOther, TScore, -2.6, rkAgo(5))})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rkRun(tc.facts, DexaWHOClassification); len(got) != 0 {
				t.Errorf("want silence, got %+v", got)
			}
		})
	}
}

func TestDexaWHOClassificationCardContent(t *testing.T) {
	f := rkOne(t, DexaWHOClassification, r05Facts(rkPatient(49, "male"), []DXAMeasurement{
		rkDXA(SiteLumbarSpine, TScore, -1.4, rkAgo(10)), rkDXA(SiteLumbarSpine, ZScore, -1.1, rkAgo(10)),
	}))
	want := []Evidence{
		{Label: Text{NL: "Leeftijd", EN: "Age"}, Value: "49", UnitText: Text{NL: "jaar", EN: "years"}},
		{Label: Text{NL: "Geslacht", EN: "Sex"}, ValueText: Text{NL: "man", EN: "male"}},
		{Label: Text{NL: "T-score lumbale wervelkolom", EN: "T-score lumbar spine"}, Value: "-1.4", Unit: "SD", Date: rkAgo(10), Source: "Observation/dxa-lumbar-spine-t-score"},
		{Label: Text{NL: "Z-score lumbale wervelkolom", EN: "Z-score lumbar spine"}, Value: "-1.1", Unit: "SD", Date: rkAgo(10), Source: "Observation/dxa-lumbar-spine-z-score"},
	}
	if diff := cmp.Diff(want, f.Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	rkContains(t, "thresholds", f.Thresholds[1].EN, "Z ≤ -2", "ISCD")
	rkContains(t, "thresholds", f.Thresholds[0].EN, "Z-score instead of T-score")
	if f.Citations[0] != CiteISCDZScore {
		t.Errorf("Z-score card must cite ISCD first, got %v", f.Citations[0])
	}
	// Dutch text is Dutch.
	rkContains(t, "summary NL", f.Summary.NL, "binnen het voor de leeftijd verwachte bereik")
}
