package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func rdFracture(id, onset string, concepts ...Concept) Condition {
	c := Condition{Source: Ref("Condition/" + id), Concepts: append([]Concept{ConceptFracture}, concepts...), Code: "fracture " + id, Active: true}
	if onset != "" {
		c.Onset = rdDay(onset)
	}
	return c
}

// rdRecorded is a fracture dated only by its recordedDate (onset unknown).
func rdRecorded(id, recorded string, concepts ...Concept) Condition {
	c := rdFracture(id, recorded, concepts...)
	c.RecordedOnly = true
	return c
}

func TestFractureOnTreatment(t *testing.T) {
	T := rdDay("2024-09-15")
	onAln := func(conds ...Condition) Facts {
		return Facts{AsOf: T, Hook: PatientView, Patient: Patient{BirthDate: rdDay("1945-05-01"), Gender: "male"},
			Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2022-07-15"))}, Conditions: conds}
	}
	dmabDose := func(id, date string) MedicationRecord {
		return MedicationRecord{Source: Ref("MedicationAdministration/" + id), Kind: KindAdministration, Classes: []DrugClass{DrugDenosumab}, Name: "denosumab",
			Status: "completed", Start: rdDay(date), SingleDose: true, StrengthMg: 60}
	}
	single := []rdCard{{Topic: TopicFractureOnTreatment, Indicator: Warning, Keys: []string{KeyOrderLabPanel, KeyOrderDXA, keyReferralOsteoporosis}, Recommended: []string{KeyOrderLabPanel, KeyOrderDXA}}}
	refer := []rdCard{{Topic: TopicFractureOnTreatment, Indicator: Warning, Keys: []string{KeyOrderLabPanel, KeyOrderDXA, keyReferralOsteoporosis}, Recommended: []string{KeyOrderLabPanel, KeyOrderDXA, keyReferralOsteoporosis}}}
	tests := []struct {
		name string
		f    Facts
		want []rdCard
	}{
		{"wrist fracture 11 months into alendronate -> silent", onAln(rdFracture("w", "2023-06-15")), nil},
		{"wrist fracture at 12 months -> warning", onAln(rdFracture("w", "2023-07-15")), single},
		{"wrist fracture at 13 months -> warning", onAln(rdFracture("w", "2023-08-15")), single},
		{"two fractures after 12 months -> referral recommended", onAln(rdFracture("w", "2023-08-15"), rdFracture("v", "2024-08-01", ConceptVertebralFracture)), refer},
		// NHGDoc "≥ 2 nieuwe fracturen": only a known onset after the start counts.
		{"one dated fracture plus a vertebral fracture without any date -> 1 -> no referral", onAln(rdFracture("v1", "2024-08-01", ConceptVertebralFracture), rdFracture("v2", "", ConceptVertebralFracture)), single},
		{"known onset after start plus a VFA fracture only recorded after start -> 1 -> no referral", onAln(rdFracture("v1", "2024-08-01", ConceptVertebralFracture), rdRecorded("v2", "2024-09-08", ConceptVertebralFracture)), single},
		{"only a fracture recorded (not onset) after 12 months -> silent", onAln(rdRecorded("v2", "2024-09-08", ConceptVertebralFracture)), nil},
		{"two known onsets after start plus a recorded-only one -> referral", onAln(rdFracture("w", "2023-08-15"), rdFracture("v1", "2024-08-01", ConceptVertebralFracture), rdRecorded("v2", "2024-09-08", ConceptVertebralFracture)), refer},
		{"denosumab every 6 months, fracture after 14 months -> warning", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{dmabDose("d1", "2022-11-01"), dmabDose("d2", "2023-05-01"), dmabDose("d3", "2023-11-01"), dmabDose("d4", "2024-05-01")},
			Conditions:  []Condition{rdFracture("w", "2024-01-10")}}, single},
		{"alendronate then zoledronic acid (continuous), fracture 2 y after the alendronate start -> warning", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{rdStoppedAlendronate("2022-01-01", "2023-09-01"), rdZOL("z1", rdDay("2023-10-01"))},
			Conditions:  []Condition{rdFracture("w", "2024-01-10")}}, single},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rdCards(rdEval(tc.f, DefaultThresholds(), FractureOnTreatment))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFractureOnTreatmentSilent(t *testing.T) {
	T := rdDay("2024-09-15")
	restart := rdAlendronate("aln2", rdDay("2024-06-01"))
	tests := []struct {
		name string
		f    Facts
	}{
		{"fracture before treatment started (index fracture)", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2022-07-15"))}, Conditions: []Condition{rdFracture("h", "2022-06-10")}}},
		{"fracture on treatment but the drug is stopped now (R01's territory)", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{rdStoppedAlendronate("2021-01-01", "2024-03-01")}, Conditions: []Condition{rdFracture("w", "2024-02-01")}}},
		{"fracture in a treatment gap, restarted afterwards", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{rdStoppedAlendronate("2020-01-01", "2022-01-01"), restart}, Conditions: []Condition{rdFracture("w", "2023-06-01")}}},
		{"fracture on treatment more than 24 months ago", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2019-01-01"))}, Conditions: []Condition{rdFracture("w", "2022-06-01")}}},
		{"VFA deformity of unknown onset only (seed S4-alt)", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2019-01-01"))}, Conditions: []Condition{{Source: "Condition/vfa", Concepts: []Concept{ConceptVertebralFracture}, GenantGrade: 1}}}},
		{"excluded site (finger) on treatment", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2019-01-01"))}, Conditions: []Condition{rdFracture("f", "2024-06-01", ConceptFractureExcluded)}}},
		{"denosumab 120 mg (oncology) is not osteoporosis treatment", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{{Source: "MedicationRequest/xgeva", Kind: KindRequest, Classes: []DrugClass{DrugDenosumab}, Name: "denosumab", Status: "active", Start: rdDay("2020-01-01"), StrengthMg: 120}},
			Conditions:  []Condition{rdFracture("w", "2024-06-01")}}},
		{"only a draft alendronate order", Facts{AsOf: T, Hook: PatientView,
			Medications: []MedicationRecord{rdAlendronateDraft("d")}, Conditions: []Condition{rdFracture("w", "2024-06-01")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rdTopics(rdEval(tc.f, DefaultThresholds(), FractureOnTreatment)); len(got) != 0 {
				t.Errorf("want silence, got %v", got)
			}
		})
	}
}

func TestFractureOnTreatmentSuppressesCaseFinding(t *testing.T) {
	f := Facts{AsOf: rdDay("2024-09-15"), Hook: PatientView, Patient: Patient{BirthDate: rdDay("1945-05-01")},
		Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2022-07-15"))}, Conditions: []Condition{rdFracture("w", "2024-06-01")}}
	got := rdTopics(rdEval(f, DefaultThresholds(), FractureCaseFinding, FractureOnTreatment))
	if diff := cmp.Diff([]string{TopicFractureOnTreatment}, got); diff != "" {
		t.Errorf("topics (-want +got):\n%s", diff)
	}
	for _, x := range rdEval(f, DefaultThresholds(), FractureOnTreatment) {
		rdCheckText(t, x)
	}
}
