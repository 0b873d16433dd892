package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func rdFlags(f Facts) []string {
	c := &Context{Facts: f, Thresholds: DefaultThresholds()}
	var out []string
	for _, x := range c.secondaryLabFlags() {
		out = append(out, x.Name)
	}
	return out
}

func TestSecondaryOsteoporosisLabFlags(t *testing.T) {
	ref := func(l Lab, lo, hi float64) Lab { l.RefLow, l.RefHigh = &lo, &hi; return l }
	levo := MedicationRecord{Source: "MedicationStatement/levo", Kind: KindStatement, Classes: []DrugClass{DrugLevothyroxine}, Name: "levothyroxine", Status: "active", Start: rdDay("2020-01-01")}
	tests := []struct {
		name string
		f    Facts
		want []string
	}{
		{"TSH 0.39 -> thyroid", rdWorkup(rdLab(AnalyteTSH, 0.39, "2024-04-10")), []string{flagThyroid}},
		{"TSH 0.4 (at limit) -> none", rdWorkup(rdLab(AnalyteTSH, 0.4, "2024-04-10")), nil},
		{"TSH 0.41 -> none", rdWorkup(rdLab(AnalyteTSH, 0.41, "2024-04-10")), nil},
		{"TSH 0.35 but the lab's own range starts at 0.3 -> none", rdWorkup(ref(rdLab(AnalyteTSH, 0.35, "2024-04-10"), 0.3, 4.2)), nil},
		{"TSH 0.23 on levothyroxine -> thyroid", func() Facts {
			f := rdWorkup(rdLab(AnalyteTSH, 0.23, "2024-04-10"))
			f.Medications = []MedicationRecord{levo}
			return f
		}(), []string{flagThyroid}},
		{"ESR 30 -> none; 31 -> ESR", rdWorkup(rdLab(AnalyteESR, 30, "2024-04-10")), nil},
		{"ESR 31 -> ESR", rdWorkup(rdLab(AnalyteESR, 31, "2024-04-10")), []string{flagESR}},
		{"ESR 27 with lab upper limit 20 -> ESR", rdWorkup(ref(rdLab(AnalyteESR, 27, "2024-04-10"), 0, 20)), []string{flagESR}},
		{"calcium 2.09 -> calcium; phosphate 1.6 -> phosphate; albumin 34 -> albumin", rdWorkup(rdLab(AnalyteCalcium, 2.09, "2024-04-10"), rdLab(AnalytePhosphate, 1.6, "2024-04-10"), rdLab(AnalyteAlbumin, 34, "2024-04-10")),
			[]string{flagCalcium, flagPhosphate, flagAlbumin}},
		{"calcium 2.10 and 2.55 at the limits -> none", rdWorkup(rdLab(AnalyteCalcium, 2.55, "2024-04-10")), nil},
		{"ALP 126, fracture 4.5 months ago -> ALP", rdWorkup(rdLab(AnalyteALP, 126, "2024-04-10")), []string{flagALP}},
		{"ALP 126, fracture 2 months ago -> none (fracture healing)", func() Facts {
			f := rdWorkup(rdLab(AnalyteALP, 126, "2024-04-10"))
			f.Conditions = append(f.Conditions, rdFracture("rib", "2024-02-20"))
			return f
		}(), nil},
		{"ALP 125 -> none", rdWorkup(rdLab(AnalyteALP, 125, "2024-04-10")), nil},
		{"abnormal TSH older than 180 days -> none", rdWorkup(rdLab(AnalyteTSH, 0.1, "2023-09-01")), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, rdFlags(tc.f)); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
			got := rdTopics(rdEval(tc.f, DefaultThresholds(), SecondaryOsteoporosisLabFlags))
			if (len(tc.want) > 0) != (len(got) == 1) {
				t.Errorf("card: got %v, want a card iff flags %v", got, tc.want)
			}
		})
	}
}

func TestSecondaryOsteoporosisLabFlagsCard(t *testing.T) {
	f := rdWorkup(rdLab(AnalyteESR, 45, "2024-04-10"))
	want := []rdCard{{Topic: TopicSecondaryOsteoporosisLabFlags, Indicator: Warning, Keys: []string{"order-m-protein", keyReferralOsteoporosis}, Recommended: []string{"order-m-protein"}}}
	fs := rdEval(f, DefaultThresholds(), SecondaryOsteoporosisLabFlags)
	if diff := cmp.Diff(want, rdCards(fs)); diff != "" {
		t.Errorf("cards (-want +got):\n%s", diff)
	}
	rdCheckText(t, fs[0])
}

func TestSecondaryOsteoporosisLabFlagsSilent(t *testing.T) {
	tests := []struct {
		name string
		f    Facts
	}{
		{"abnormal TSH outside any fracture-prevention context", Facts{AsOf: rdDay("2024-04-15"), Hook: PatientView, Labs: []Lab{rdLab(AnalyteTSH, 0.1, "2024-04-10")}}},
		{"order-sign without a bone drug", Facts{AsOf: rdDay("2024-04-15"), Hook: OrderSign, Labs: []Lab{rdLab(AnalyteTSH, 0.1, "2024-04-10")}}},
		{"ESR reported as <10", rdWorkup(Lab{Analyte: AnalyteESR, Value: 10, Comparator: LessThan, Date: rdDay("2024-04-10")})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rdTopics(rdEval(tc.f, DefaultThresholds(), SecondaryOsteoporosisLabFlags)); len(got) != 0 {
				t.Errorf("want silence, got %v", got)
			}
		})
	}
}

// A Dutch GP evaluates an abnormal thyroid function first; the
// osteoporosis-clinic referral stays for the ESR/M-protein and mineral flags.
func TestSecondaryLabFlagsThyroidSuggestsThyroidEvaluationNotOsteoporosisClinic(t *testing.T) {
	keys := func(f Facts) []string {
		var out []string
		for _, fd := range EvaluateRules([]Rule{SecondaryOsteoporosisLabFlags}, f, DefaultThresholds()) {
			for _, s := range fd.Suggestions {
				out = append(out, s.Key)
			}
		}
		return out
	}
	tests := []struct {
		name string
		f    Facts
		want []string
	}{
		{"TSH 0.23 / FT4 27 (SEED-GP Casus 1): overt hyperthyroidism -> internist referral (NHG M31), no repeat TSH/FT4, no osteoporosis-clinic referral",
			rdWorkup(rdLab(AnalyteTSH, 0.23, "2024-04-10"), rdLab(AnalyteFT4, 27, "2024-04-10")), []string{keyReferHyperthyroidism}},
		{"TSH 0.23 with a normal FT4 measured 5 days ago -> not ordered again (RECENT_ORDER_DAYS)",
			rdWorkup(rdLab(AnalyteTSH, 0.23, "2024-04-10"), rdLab(AnalyteFT4, 18, "2024-04-10")), nil},
		{"TSH 0.23 with a normal FT4 measured 2 months ago -> evaluate thyroid function further",
			rdWorkup(rdLab(AnalyteTSH, 0.23, "2024-02-10"), rdLab(AnalyteFT4, 18, "2024-02-10")), []string{"evaluate-thyroid-function"}},
		{"ESR 40 -> M-protein and osteoporosis-clinic referral",
			rdWorkup(rdLab(AnalyteESR, 40, "2024-04-10")), []string{"order-m-protein", keyReferralOsteoporosis}},
		{"TSH 0.23 and ESR 40 -> all three",
			rdWorkup(rdLab(AnalyteTSH, 0.23, "2024-04-10"), rdLab(AnalyteESR, 40, "2024-04-10")), []string{"order-m-protein", "evaluate-thyroid-function", keyReferralOsteoporosis}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, keys(tc.f)); diff != "" {
				t.Errorf("suggestions (-want +got):\n%s", diff)
			}
		})
	}
}

// Calcium 2.09 at order-sign of a bisphosphonate: the critical
// hypocalcaemia card (R10) shows it; R12 must not add a warning for the
// same value.
func TestLowCalciumAtOrderSignOnlyOnHypocalcaemiaCard(t *testing.T) {
	draft := MedicationRecord{Source: "MedicationRequest/aln-draft", Kind: KindDraftOrder, Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
		Name: "alendronic acid", Status: "draft"}
	rules := []Rule{AntiresorptiveHypocalcaemia, SecondaryOsteoporosisLabFlags}
	run := func(labs ...Lab) []string {
		f := rdWorkup(labs...)
		f.Hook = OrderSign
		f.Medications = []MedicationRecord{draft}
		var out []string
		for _, fd := range EvaluateRules(rules, f, DefaultThresholds()) {
			if fd.Topic != TopicInsufficientData {
				out = append(out, fd.Topic+":"+string(fd.Indicator))
			}
		}
		return out
	}
	if diff := cmp.Diff([]string{TopicAntiresorptiveHypocalcaemia + ":critical"}, run(rdLab(AnalyteCalcium, 2.09, "2024-04-10"))); diff != "" {
		t.Errorf("calcium 2.09 (-want +got):\n%s", diff)
	}
	// Other flags still show on R12 next to the hypocalcaemia card.
	if diff := cmp.Diff([]string{TopicAntiresorptiveHypocalcaemia + ":critical", TopicSecondaryOsteoporosisLabFlags + ":warning"},
		run(rdLab(AnalyteCalcium, 2.09, "2024-04-10"), rdLab(AnalytePhosphate, 1.7, "2024-04-10"))); diff != "" {
		t.Errorf("calcium 2.09 + phosphate 1.7 (-want +got):\n%s", diff)
	}
	// High calcium is R12's (R10 does not fire).
	if diff := cmp.Diff([]string{TopicSecondaryOsteoporosisLabFlags + ":warning"}, run(rdLab(AnalyteCalcium, 2.7, "2024-04-10"))); diff != "" {
		t.Errorf("calcium 2.7 (-want +got):\n%s", diff)
	}
}
