package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// dmabSeries is n Prolia administrations, the first on first and then every
// stepMonths calendar months.
func dmabSeries(first time.Time, n, stepMonths int) []MedicationRecord {
	var out []MedicationRecord
	for i := 0; i < n; i++ {
		out = append(out, dmabAdmin("s"+itoa(i), first.AddDate(0, i*stepMonths, 0)))
	}
	return out
}

func TestDenosumab5yReviewFires(t *testing.T) {
	s5 := dmabSeries(rbDay("2020-07-05"), 10, 6) // 2020-07-05 … 2025-01-05
	threeOptions := func(when string) map[string][]string {
		return map[string][]string{
			KeyOrderDenosumab60mg: {"create denosumab-60mg-sc " + when},
			KeyDenosumabSwitchZol: {"create zoledronic-acid-5mg-iv " + when},
			KeyDenosumabStopZol:   {"create zoledronic-acid-5mg-iv " + when},
		}
	}
	// 9 injections every 7 months; the first on the given day.
	nineEvery7 := func(first string) []MedicationRecord { return dmabSeries(rbDay(first), 9, 7) }
	withGap := func(gapDays int) []MedicationRecord {
		// 8 injections every 6 months from 2019-01-01, then one gapDays later.
		s := dmabSeries(rbDay("2019-01-01"), 8, 6)
		return append(s, dmabAdmin("late", s[7].Start.AddDate(0, 0, gapDays)))
	}
	tests := []struct {
		name string
		hook Hook
		th   func(*Thresholds)
		meds []MedicationRecord
		want []rbOutcome
	}{
		{
			name: "10 Prolia injections, last 147 days ago (S5) -> warning with continue / switch / stop+ZOL at 2025-07-07",
			hook: PatientView, meds: s5,
			want: []rbOutcome{{Topic: TopicDenosumab5yReview, Indicator: Warning, Suggestions: threeOptions("2025-07-07")}},
		},
		{
			name: "9 injections, first exactly 5 years ago, no gap > 295 days -> warning",
			hook: PatientView, meds: nineEvery7("2020-06-01"),
			want: []rbOutcome{{Topic: TopicDenosumab5yReview, Indicator: Warning, Suggestions: threeOptions("2025-08-03")}},
		},
		{
			name: "9 injections, first over 5 years ago, one gap of 295 days -> warning",
			hook: PatientView, meds: withGap(295),
			want: []rbOutcome{{Topic: TopicDenosumab5yReview, Indicator: Warning, Suggestions: threeOptions("now")}},
		},
		{
			name: "active prescription on file -> the stop option also stops it",
			hook: PatientView, meds: append(s5[:10:10], dmabRequest("rx", "active", rbDay("2025-01-01"))),
			want: []rbOutcome{{Topic: TopicDenosumab5yReview, Indicator: Warning, Suggestions: map[string][]string{
				KeyOrderDenosumab60mg: {"create denosumab-60mg-sc 2025-07-07"},
				KeyDenosumabSwitchZol: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyDenosumabStopZol:   {"update stop-medication MedicationRequest/rx", "create zoledronic-acid-5mg-iv 2025-07-07"},
			}}},
		},
		{
			name: "order-sign of a denosumab renewal after 10 injections -> warning; switch and stop replace the renewal",
			hook: OrderSign, meds: append(s5[:10:10], dmabDraft("d1", "draft")),
			want: []rbOutcome{{Topic: TopicDenosumab5yReview, Indicator: Warning, Suggestions: map[string][]string{
				KeyDenosumabSwitchZol: {"delete MedicationRequest/d1", "create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyDenosumabStopZol:   {"delete MedicationRequest/d1", "create zoledronic-acid-5mg-iv 2025-07-07"},
			}}},
		},
		{
			name: "NIV review period (DMAB_REVIEW_YEARS=3): 6 injections -> warning",
			hook: PatientView, th: func(th *Thresholds) { th.DmabReviewYears = 3 },
			meds: dmabSeries(rbDay("2022-07-05"), 6, 6),
			want: []rbOutcome{{Topic: TopicDenosumab5yReview, Indicator: Warning, Suggestions: threeOptions("2025-07-07")}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := DefaultThresholds()
			if tc.th != nil {
				tc.th(&th)
			}
			got := rbEval(t, plWithSafeLabs(rbFacts(tc.hook, tc.meds...)), th, Denosumab5yReview)
			if diff := cmp.Diff(tc.want, rbOutcomes(got)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, f := range got {
				if f.SelectionAny {
					t.Error("continue / switch / stop are alternatives: want at-most-one")
				}
			}
		})
	}
}

func TestDenosumab5yReviewSilent(t *testing.T) {
	s5 := dmabSeries(rbDay("2020-07-05"), 10, 6)
	withGap := func(gapDays int) []MedicationRecord {
		s := dmabSeries(rbDay("2019-01-01"), 8, 6)
		return append(s, dmabAdmin("late", s[7].Start.AddDate(0, 0, gapDays)))
	}
	tests := []struct {
		name string
		hook Hook
		th   func(*Thresholds)
		meds []MedicationRecord
	}{
		{"9 injections, first 1 day short of 5 years", PatientView, nil, dmabSeries(rbDay("2020-06-02"), 9, 7)},
		{"9 injections over 6 years with one gap of 296 days (not adherent)", PatientView, nil, withGap(296)},
		{"9 injections in 4 years", PatientView, nil, dmabSeries(rbDay("2021-01-05"), 9, 6)},
		{"Xgeva 120 mg, 10 injections", PatientView, nil, func() []MedicationRecord {
			var out []MedicationRecord
			for _, m := range s5 {
				out = append(out, xgeva(m))
			}
			return out
		}()},
		{"10 injections, then explicitly stopped (R19 owns it)", PatientView, nil,
			append(s5[:10:10], dmabRequest("r1", "stopped", rbDay("2025-03-01")))},
		{"10 injections, then ZOL given after the last", PatientView, nil,
			append(s5[:10:10], zolRecord("z1", KindAdministration, "completed", rbDay("2025-05-01"), time.Time{}))},
		{"10 injections, ZOL planned at D+183", PatientView, nil,
			append(s5[:10:10], zolRecord("z1", KindRequest, "active", rbDay("2025-05-01"), rbDay("2025-07-07")))},
		{"order-sign of something else (no denosumab draft)", OrderSign, nil,
			append(s5[:10:10], zolRecord("z1", KindDraftOrder, "draft", time.Time{}, time.Time{}))},
		{"order-sign of a denosumab stop (R19 owns it)", OrderSign, nil,
			append(s5[:10:10], dmabDraft("d1", "stopped"))},
		{"NIV review period 3 years: 5 injections in 2.5 years", PatientView, func(th *Thresholds) { th.DmabReviewYears = 3 },
			dmabSeries(rbDay("2023-01-05"), 5, 6)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := DefaultThresholds()
			if tc.th != nil {
				tc.th(&th)
			}
			got := rbEval(t, plWithSafeLabs(rbFacts(tc.hook, tc.meds...)), th, Denosumab5yReview)
			if diff := cmp.Diff([]rbOutcome(nil), rbOutcomes(got)); diff != "" {
				t.Errorf("want no card (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenosumab5yReviewText(t *testing.T) {
	t.Run("10 years of Prolia -> detail says the 10-year ECTS limit is reached", func(t *testing.T) {
		got := rbEval(t, rbFacts(PatientView, dmabSeries(rbDay("2015-06-01"), 20, 6)...), DefaultThresholds(), Denosumab5yReview)
		if len(got) != 1 || !strings.Contains(got[0].Detail.EN, "reached 10 years") {
			t.Fatalf("want the 10-year note, got %+v", got)
		}
	})
	t.Run("5 years of Prolia -> no 10-year note; IV zoledronic acid and eGFR check named", func(t *testing.T) {
		got := rbEval(t, rbFacts(PatientView, dmabSeries(rbDay("2020-07-05"), 10, 6)...), DefaultThresholds(), Denosumab5yReview)
		if len(got) != 1 {
			t.Fatalf("want one card, got %d", len(got))
		}
		if strings.Contains(got[0].Detail.EN, "reached 10 years") {
			t.Error("10-year note shown after 5 years")
		}
		for _, want := range []string{"IV zoledronic acid", "eGFR", "Never stop denosumab without follow-on"} {
			if !strings.Contains(got[0].Detail.EN, want) {
				t.Errorf("detail lacks %q", want)
			}
		}
	})
}
