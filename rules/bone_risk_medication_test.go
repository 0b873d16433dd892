package rules

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func r03Drug(name string, cl DrugClass) MedicationRecord {
	return rkMed(name, KindStatement, "active", rkAgo(300), time.Time{}, cl)
}

// r03WithDXA gives a recent DXA (so dexa-who-classification fires).
func r03WithDXA(gender string, age int, meds ...MedicationRecord) Facts {
	return Facts{AsOf: rkT, Hook: PatientView, Patient: rkPatient(age, gender),
		DXA: []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.0, rkAgo(7))}, Medications: meds}
}

// r03NoContext has no fracture, no recent DXA and no treatment indication.
func r03NoContext(meds ...MedicationRecord) Facts {
	return Facts{AsOf: rkT, Hook: PatientView, Patient: rkPatient(70, "female"),
		DXA: []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.0, rkAgo(400))}, Medications: meds}
}

// r03Listed returns the drug names on the card (nil when silent).
func r03Listed(t *testing.T, f Facts) []string {
	t.Helper()
	var names []string
	for _, fd := range EvaluateRules([]Rule{BoneRiskMedication}, f, DefaultThresholds()) {
		if fd.Topic != TopicBoneRiskMedication {
			continue
		}
		if fd.Indicator != Info || len(fd.Suggestions) != 0 {
			t.Errorf("R03 is info without suggestions, got %s with %d", fd.Indicator, len(fd.Suggestions))
		}
		rkInvariants(t, fd)
		for _, e := range fd.Evidence {
			names = append(names, e.ValueIn("en"))
		}
	}
	return names
}

func TestBoneRiskMedicationFires(t *testing.T) {
	omeprazole := r03Drug("omeprazole", DrugPPI)
	letrozole := r03Drug("letrozole", DrugAromataseInhibitor)
	pioglitazone := r03Drug("pioglitazone", DrugThiazolidinedione)
	phenobarbital := rkMed("phenobarbital", KindStatement, "active", rkAgo(300), time.Time{}, DrugBarbiturate, DrugAntiepileptic)
	oxazepam := rkMed("oxazepam", KindRequest, "completed", rkAgo(20), rkT.AddDate(0, 0, 10), DrugBenzodiazepine)
	prednisolone := r02Pred(5, 30)
	budesonide := MedicationRecord{Source: "MedicationStatement/budesonide", Kind: KindStatement, Classes: []DrugClass{DrugGlucocorticoidLocal},
		Name: "budesonide", Status: "active", Start: rkAgo(1000), Route: "inhalation"}
	tests := []struct {
		name  string
		facts Facts
		want  []string
	}{
		{"man 80 with a recent DXA on a PPI (S6)", r03WithDXA("male", 80, omeprazole), []string{"omeprazole"}},
		{"woman on an aromatase inhibitor and a thiazolidinedione", r03WithDXA("female", 65, letrozole, pioglitazone), []string{"letrozole", "pioglitazone"}},
		{"man: thiazolidinedione not listed, PPI listed", r03WithDXA("male", 65, pioglitazone, omeprazole), []string{"omeprazole"}},
		{"barbiturate listed once although also an antiepileptic", r03WithDXA("female", 65, phenobarbital), []string{"phenobarbital"}},
		{"benzodiazepine request whose supply runs past T", r03WithDXA("female", 65, oxazepam), []string{"oxazepam"}},
		{"systemic prednisolone listed, inhaled budesonide not", r03WithDXA("female", 65, prednisolone, budesonide), []string{"prednisolone"}},
		{"context from case finding (recent fracture, no DXA)", Facts{AsOf: rkT, Hook: PatientView, Patient: rkPatient(60, "female"),
			Conditions: []Condition{rkFracture("wrist", rkAgo(30))}, Medications: []MedicationRecord{omeprazole}}, []string{"omeprazole"}},
		{"context from a treatment indication (old DXA T −2.7)", Facts{AsOf: rkT, Hook: PatientView, Patient: rkPatient(70, "female"),
			DXA: []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -2.7, rkAgo(400))}, Medications: []MedicationRecord{omeprazole}}, []string{"omeprazole"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, r03Listed(t, tc.facts)); diff != "" {
				t.Errorf("listed drugs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBoneRiskMedicationSilent(t *testing.T) {
	stopped := rkMed("omeprazole", KindStatement, "stopped", rkAgo(300), rkAgo(30), DrugPPI)
	draft := MedicationRecord{Source: "MedicationRequest/ppi-draft", Kind: KindDraftOrder, Status: "draft", Classes: []DrugClass{DrugPPI}, Name: "omeprazole"}
	tests := []struct {
		name  string
		facts Facts
	}{
		{"PPI without a fracture-prevention context", r03NoContext(r03Drug("omeprazole", DrugPPI))},
		{"context without a risk drug", r03WithDXA("female", 65, r03Drug("amlodipine", DrugClass("calcium-channel-blocker")))},
		{"PPI stopped a month ago", r03WithDXA("female", 65, stopped)},
		{"PPI only as a draft order", r03WithDXA("female", 65, draft)},
		{"inhaled budesonide only (not systemic)", r03WithDXA("female", 65, MedicationRecord{Source: "MedicationStatement/budesonide", Kind: KindStatement,
			Classes: []DrugClass{DrugGlucocorticoidLocal}, Name: "budesonide", Status: "active", Start: rkAgo(1000), Route: "inhalation"})},
		{"aromatase inhibitor in a man", r03WithDXA("male", 65, r03Drug("anastrozole", DrugAromataseInhibitor))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := r03Listed(t, tc.facts); len(got) != 0 {
				t.Errorf("want silence, got %v", got)
			}
		})
	}
}

func TestBoneRiskMedicationSummaryStaysShort(t *testing.T) {
	var meds []MedicationRecord
	for _, n := range []string{"esomeprazole magnesium trihydrate", "pantoprazole sodium sesquihydrate", "lansoprazole", "rabeprazole", "omeprazole", "dexlansoprazole"} {
		meds = append(meds, r03Drug(n, DrugPPI))
	}
	f := rkOne(t, BoneRiskMedication, r03WithDXA("female", 65, meds...))
	for _, s := range []string{f.Summary.NL, f.Summary.EN} {
		if n := utf8.RuneCountInString(s); n >= 140 || !strings.Contains(s, " +") {
			t.Errorf("summary %q (%d runes) must be < 140 and count the rest", s, n)
		}
	}
	if len(f.Evidence) != len(meds) {
		t.Errorf("every drug is evidence: got %d, want %d", len(f.Evidence), len(meds))
	}
	rkContains(t, "detail", f.Detail.EN, "- omeprazole (proton-pump inhibitor)")
}

func TestSummaryWithList(t *testing.T) {
	tests := []struct {
		names []string
		want  string
	}{
		{[]string{"a"}, "P: a"},
		{[]string{"a", "b"}, "P: a, b"},
		{[]string{strings.Repeat("x", 130), "b"}, "P: " + strings.Repeat("x", 130) + ", b"},
		{[]string{strings.Repeat("x", 125), strings.Repeat("y", 10), "z"}, "P: " + strings.Repeat("x", 125) + " +2"},
		{[]string{strings.Repeat("x", 140)}, "P: +1"}, // one name too long for the summary: counted only
	}
	for _, tc := range tests {
		if got := summaryWithList("P: ", tc.names); got != tc.want {
			t.Errorf("summaryWithList(%d names) = %q, want %q", len(tc.names), got, tc.want)
		}
	}
}
