package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sfALPLab(cmp Comparator, v float64, refLow *float64) []Lab {
	return []Lab{{Source: "Observation/alp", Analyte: AnalyteALP, Comparator: cmp, Value: v, Date: sfT.AddDate(0, 0, -10), Code: "LOINC 6768-6", RefLow: refLow}}
}

func sfALP(v float64) []Lab { return sfALPLab(Exact, v, nil) }

func fxPtr(v float64) *float64 { return &v }

func TestBisphosphonateLowALPFires(t *testing.T) {
	repeatAndDelete := func(ids ...string) []string {
		out := []string{KeyRepeatALP}
		for _, id := range ids {
			out = append(out, "delete-MedicationRequest/"+id)
		}
		return out
	}
	tests := []struct {
		name  string
		facts Facts
		want  []fxOutcome
	}{
		{"ALP 35 + alendronate draft at order-sign -> critical, repeat ALP + delete draft",
			sfFacts(OrderSign, sfALP(35), sfDraftALN), []fxOutcome{{Critical, repeatAndDelete("aln")}}},
		{"ALP 39.9 (just below 40) + zoledronic acid draft at order-select -> critical",
			sfFacts(OrderSelect, sfALP(39.9), sfDraftZOL), []fxOutcome{{Critical, repeatAndDelete("zol")}}},
		{"ALP 35 + denosumab draft -> warning, no delete",
			sfFacts(OrderSign, sfALP(35), sfDraftDmab), []fxOutcome{{Warning, repeatAndDelete()}}},
		{"ALP 35 + romosozumab draft -> warning",
			sfFacts(OrderSign, sfALP(35), sfDraft("romo", false, DrugRomosozumab)), []fxOutcome{{Warning, repeatAndDelete()}}},
		{"ALP 35 + denosumab and risedronate drafts -> critical (BP), delete only the BP",
			sfFacts(OrderSign, sfALP(35), sfDraftDmab, sfDraftRIS), []fxOutcome{{Critical, repeatAndDelete("ris")}}},
		{"ALP 35 + active alendronate at patient-view -> warning, no delete",
			sfFacts(PatientView, sfALP(35), sfActiveALN()), []fxOutcome{{Warning, []string{KeyRepeatALP}}}},
		{"ALP 42 below the lab's lower limit 45 (D6 union) + alendronate draft -> critical",
			sfFacts(OrderSign, sfALPLab(Exact, 42, fxPtr(45)), sfDraftALN), []fxOutcome{{Critical, repeatAndDelete("aln")}}},
		{"ALP 38 with a lab lower limit of 30 (seed 40 still applies) -> critical",
			sfFacts(OrderSign, sfALPLab(Exact, 38, fxPtr(30)), sfDraftALN), []fxOutcome{{Critical, repeatAndDelete("aln")}}},
		{"ALP reported as <40 + alendronate draft -> critical",
			sfFacts(OrderSign, sfALPLab(LessThan, 40, nil), sfDraftALN), []fxOutcome{{Critical, repeatAndDelete("aln")}}},
		{"ALP 35 from 3 years ago, no later value -> critical (latest of any age)",
			sfFacts(OrderSign, []Lab{{Source: "Observation/alp-old", Analyte: AnalyteALP, Value: 35, Date: sfT.AddDate(-3, 0, 0)}}, sfDraftALN),
			[]fxOutcome{{Critical, repeatAndDelete("aln")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fxRun(BisphosphonateLowALP, tc.facts)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBisphosphonateLowALPSilent(t *testing.T) {
	tests := []struct {
		name  string
		facts Facts
	}{
		{"ALP exactly 40 + alendronate draft", sfFacts(OrderSign, sfALP(40), sfDraftALN)},
		{"ALP 40.1 + alendronate draft", sfFacts(OrderSign, sfALP(40.1), sfDraftALN)},
		{"ALP 78 (SEED-GP Casus 1) + alendronate draft", sfFacts(OrderSign, sfALP(78), sfDraftALN)},
		{"ALP 45 exactly at the lab's lower limit 45", sfFacts(OrderSign, sfALPLab(Exact, 45, fxPtr(45)), sfDraftALN)},
		{"ALP reported as >30 (could be ≥ 40)", sfFacts(OrderSign, sfALPLab(MoreThan, 30, nil), sfDraftALN)},
		{"ALP 35 but no antiresorptive at patient-view", sfFacts(PatientView, sfALP(35))},
		{"ALP 35 + active denosumab at patient-view (patient-view is for bisphosphonates)",
			sfFacts(PatientView, sfALP(35), MedicationRecord{Source: "MedicationStatement/dmab", Kind: KindStatement, Classes: []DrugClass{DrugDenosumab}, Status: "active", Start: sfT.AddDate(-1, 0, 0)})},
		{"ALP 35 + calcium/vitamin D draft only", sfFacts(OrderSign, sfALP(35), sfDraft("cavd", false, DrugCalcium))},
		{"no ALP at all + alendronate draft", sfFacts(OrderSign, nil, sfDraftALN)},
		{"old ALP 35 superseded by a newer ALP 70",
			sfFacts(OrderSign, append(sfALP(70), Lab{Source: "Observation/alp-old", Analyte: AnalyteALP, Value: 35, Date: sfT.AddDate(-1, 0, 0)}), sfDraftALN)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fxRun(BisphosphonateLowALP, tc.facts); len(got) != 0 {
				t.Errorf("want silence, got %+v", got)
			}
		})
	}
}

func TestBisphosphonateLowALPCardText(t *testing.T) {
	fd := fxFinding(t, BisphosphonateLowALP, sfFacts(OrderSign, sfALPLab(Exact, 42, fxPtr(45)), sfDraftALN))
	var th []string
	for _, x := range fd.Thresholds {
		th = append(th, x.EN)
	}
	if diff := cmp.Diff([]string{"below the laboratory's lower reference limit (45 U/L)"}, th); diff != "" {
		t.Errorf("thresholds name the limit that applied (-want +got):\n%s", diff)
	}
	for _, want := range []string{"recent fracture", "hypophosphatasia", "PLP"} {
		if !strings.Contains(fd.Detail.EN, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	if !strings.Contains(fd.Detail.NL, "recente fractuur") {
		t.Errorf("Dutch detail lacks the NIV recent-fracture nuance")
	}
	if fd.Evidence[0].Value != "42" || fd.Evidence[0].Source != "Observation/alp" {
		t.Errorf("ALP evidence %+v", fd.Evidence[0])
	}
}

func TestBisphosphonateLowALPShowsRecentFracture(t *testing.T) {
	f := sfFacts(OrderSign, sfALP(36), sfDraftALN)
	f.Conditions = []Condition{
		{Source: "Condition/recent", Concepts: []Concept{ConceptFracture}, Code: "wrist", Onset: sfT.AddDate(0, -2, 0), Active: true},
		{Source: "Condition/old", Concepts: []Concept{ConceptFracture}, Code: "rib", Onset: sfT.AddDate(0, -4, 0), Active: true},
	}
	fd := fxFinding(t, BisphosphonateLowALP, f)
	var sources []Ref
	for _, e := range fd.Evidence {
		sources = append(sources, e.Source)
	}
	if diff := cmp.Diff([]Ref{"Observation/alp", "MedicationRequest/aln", "Condition/recent"}, sources); diff != "" {
		t.Errorf("a fracture < 3 months old is shown, an older one not (-want +got):\n%s", diff)
	}
}
