package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sfCalcium(a Analyte, cmp Comparator, v float64, daysAgo int) Lab {
	return Lab{Source: Ref("Observation/" + string(a)), Analyte: a, Comparator: cmp, Value: v, Date: sfT.AddDate(0, 0, -daysAgo), Code: "LOINC"}
}

func TestAntiresorptiveHypocalcaemiaFires(t *testing.T) {
	total := func(v float64) []Lab { return []Lab{sfCalcium(AnalyteCalcium, Exact, v, 7)} }
	dmab60 := sfDraftDmab
	dmab60.StrengthMg = 60
	del := func(ids ...string) []string {
		var out []string
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
		{"calcium 2.05 + zoledronic acid draft at order-sign -> critical",
			sfFacts(OrderSign, total(2.05), sfDraftZOL), []fxOutcome{{Critical, del("zol")}}},
		{"calcium 2.09 (just below 2.10) + alendronate draft at order-select -> critical",
			sfFacts(OrderSelect, total(2.09), sfDraftALN), []fxOutcome{{Critical, del("aln")}}},
		{"calcium 2.00 + denosumab 60 mg draft -> critical",
			sfFacts(OrderSign, total(2.00), dmab60), []fxOutcome{{Critical, del("dmab")}}},
		{"calcium 2.00 + denosumab draft of unknown strength -> critical",
			sfFacts(OrderSign, total(2.00), sfDraftDmab), []fxOutcome{{Critical, del("dmab")}}},
		{"calcium reported as <2.10 + risedronate draft -> critical",
			sfFacts(OrderSign, []Lab{sfCalcium(AnalyteCalcium, LessThan, 2.10, 3)}, sfDraftRIS), []fxOutcome{{Critical, del("ris")}}},
		{"total calcium 2.20 but corrected calcium 2.05 same day -> critical (corrected preferred)",
			sfFacts(OrderSign, []Lab{sfCalcium(AnalyteCalcium, Exact, 2.20, 7), sfCalcium(AnalyteCalciumCorrected, Exact, 2.05, 7)}, sfDraftALN),
			[]fxOutcome{{Critical, del("aln")}}},
		{"calcium 2.05 measured 180 days ago -> critical",
			sfFacts(OrderSign, []Lab{sfCalcium(AnalyteCalcium, Exact, 2.05, 180)}, sfDraftALN), []fxOutcome{{Critical, del("aln")}}},
		{"calcium 2.05 + alendronate and denosumab drafts -> one critical card, delete both",
			sfFacts(OrderSign, total(2.05), sfDraftALN, dmab60), []fxOutcome{{Critical, del("aln", "dmab")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, fxRun(AntiresorptiveHypocalcaemia, tc.facts)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAntiresorptiveHypocalcaemiaSilent(t *testing.T) {
	total := func(v float64) []Lab { return []Lab{sfCalcium(AnalyteCalcium, Exact, v, 7)} }
	xgeva := sfDraftDmab
	xgeva.StrengthMg = 120
	tests := []struct {
		name  string
		facts Facts
	}{
		{"calcium exactly 2.10 + alendronate draft", sfFacts(OrderSign, total(2.10), sfDraftALN)},
		{"calcium 2.11 + alendronate draft", sfFacts(OrderSign, total(2.11), sfDraftALN)},
		{"calcium 2.15 (SEED-GP Casus 1) + alendronate draft", sfFacts(OrderSign, total(2.15), sfDraftALN)},
		{"calcium reported as >2.00 (could be normal)", sfFacts(OrderSign, []Lab{sfCalcium(AnalyteCalcium, MoreThan, 2.00, 3)}, sfDraftALN)},
		{"total calcium 2.05 but corrected calcium 2.25 same day (corrected preferred)",
			sfFacts(OrderSign, []Lab{sfCalcium(AnalyteCalcium, Exact, 2.05, 7), sfCalcium(AnalyteCalciumCorrected, Exact, 2.25, 7)}, sfDraftALN)},
		{"older corrected 2.05 superseded by a newer total calcium 2.30",
			sfFacts(OrderSign, []Lab{sfCalcium(AnalyteCalciumCorrected, Exact, 2.05, 60), sfCalcium(AnalyteCalcium, Exact, 2.30, 2)}, sfDraftALN)},
		{"calcium 2.05 measured 181 days ago (stale: R07's job)", sfFacts(OrderSign, []Lab{sfCalcium(AnalyteCalcium, Exact, 2.05, 181)}, sfDraftALN)},
		{"calcium 2.05 + denosumab 120 mg (Xgeva, oncology) draft", sfFacts(OrderSign, total(2.05), xgeva)},
		{"calcium 2.05 + romosozumab draft (not in R10 scope)", sfFacts(OrderSign, total(2.05), sfDraft("romo", false, DrugRomosozumab))},
		{"calcium 2.05 + active alendronate at patient-view (R10 runs at order hooks only)", sfFacts(PatientView, total(2.05), sfActiveALN())},
		{"calcium 2.05 at order-sign without an antiresorptive draft", sfFacts(OrderSign, total(2.05), sfDraft("cavd", false, DrugCalcium))},
		{"no calcium result + alendronate draft", sfFacts(OrderSign, nil, sfDraftALN)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := EvaluateRules(Catalog(), tc.facts, DefaultThresholds())
			for _, f := range got {
				if f.Topic == TopicAntiresorptiveHypocalcaemia {
					t.Errorf("want silence, got %s %q", f.Indicator, f.Summary.EN)
				}
			}
		})
	}
}

func TestAntiresorptiveHypocalcaemiaCardText(t *testing.T) {
	t.Run("total calcium with albumin shown and the free-calcium caveat", func(t *testing.T) {
		labs := []Lab{sfCalcium(AnalyteCalcium, Exact, 2.02, 7), {Source: "Observation/alb", Analyte: AnalyteAlbumin, Value: 30, Date: sfT.AddDate(0, 0, -7)}}
		fd := fxFinding(t, AntiresorptiveHypocalcaemia, sfFacts(OrderSign, labs, sfDraftZOL))
		var sources []Ref
		for _, e := range fd.Evidence {
			sources = append(sources, e.Source)
		}
		if diff := cmp.Diff([]Ref{"Observation/calcium", "Observation/alb", "MedicationRequest/zol"}, sources); diff != "" {
			t.Errorf("evidence (-want +got):\n%s", diff)
		}
		if !strings.Contains(fd.Detail.EN, "ionised") || !strings.Contains(fd.Summary.EN, "zoledronic acid") {
			t.Errorf("summary %q / detail %q", fd.Summary.EN, fd.Detail.EN)
		}
	})
	t.Run("corrected calcium is named", func(t *testing.T) {
		fd := fxFinding(t, AntiresorptiveHypocalcaemia, sfFacts(OrderSign, []Lab{sfCalcium(AnalyteCalciumCorrected, Exact, 2.05, 7)}, sfDraftALN))
		if !strings.Contains(fd.Evidence[0].Label.EN, "albumin-corrected") || !strings.Contains(fd.Thresholds[0].EN, "albumin-corrected") {
			t.Errorf("corrected calcium not named: %q / %q", fd.Evidence[0].Label.EN, fd.Thresholds[0].EN)
		}
	})
}
