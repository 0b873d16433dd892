package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDenosumabDoseOverdueFires(t *testing.T) {
	giveNow := map[string][]string{KeyOrderDenosumab60mg: {"create denosumab-60mg-sc now"}}
	tests := []struct {
		name string
		meds []MedicationRecord
		want Indicator
	}{
		{"last Prolia dose 183 days ago -> info (due)", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(183))}, Info},
		{"last Prolia dose 184 days ago -> info", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(184))}, Info},
		{"last Prolia dose 211 days ago -> info (still within 4 weeks)", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(211))}, Info},
		{"last Prolia dose 212 days ago -> warning", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(212))}, Warning},
		{"last Prolia dose 242 days ago -> warning", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(242))}, Warning},
		{"last Prolia dose 295 days ago -> warning", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(295))}, Warning},
		{"last Prolia dose 296 days ago -> critical", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(296))}, Critical},
		{"last Prolia dose 2 years ago -> critical", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(730))}, Critical},
		{"dose recorded as a single-dose statement 212 days ago -> warning", []MedicationRecord{dmabDoseStatement("s1", "completed", rbDaysAgo(212))}, Warning},
		{"dose known only from a prescription 296 days ago -> critical (flagged)", []MedicationRecord{dmabRequest("r1", "completed", rbDaysAgo(296))}, Critical},
		{"strength unknown counts as Prolia -> warning", []MedicationRecord{func() MedicationRecord { m := dmabAdmin("a1", rbDaysAgo(212)); m.StrengthMg = 0; return m }()}, Warning},
		{"active therapy statement and last administration 250 days ago -> warning", []MedicationRecord{
			dmabTherapy("s1", "active", rbDay("2022-01-01"), time.Time{}), dmabAdmin("a1", rbDaysAgo(250))}, Warning},
		{"bisphosphonate before the last injection does not count -> warning", []MedicationRecord{
			alendronate("aln", "completed", rbDay("2015-01-01"), rbDay("2020-01-01")), dmabAdmin("a1", rbDaysAgo(250))}, Warning},
		{"Xgeva given later does not hide an overdue Prolia -> warning", []MedicationRecord{
			dmabAdmin("a1", rbDaysAgo(250)), xgeva(dmabAdmin("x1", rbDaysAgo(20)))}, Warning},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, rbFacts(PatientView, tc.meds...), DefaultThresholds(), DenosumabDoseOverdue)
			want := []rbOutcome{{Topic: TopicDenosumabDoseOverdue, Indicator: tc.want, Suggestions: giveNow}}
			if diff := cmp.Diff(want, rbOutcomes(got)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenosumabDoseOverdueSilent(t *testing.T) {
	tests := []struct {
		name string
		meds []MedicationRecord
	}{
		{"no denosumab at all", nil},
		{"last Prolia dose 182 days ago", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(182))}},
		{"last Prolia dose 147 days ago (S5)", []MedicationRecord{dmabAdmin("a1", rbDay("2025-01-05"))}},
		{"Xgeva 120 mg last given 300 days ago", []MedicationRecord{xgeva(dmabAdmin("x1", rbDaysAgo(300)))}},
		{"a later dose exists: 400 days ago and again 20 days ago", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(400)), dmabAdmin("a2", rbDaysAgo(20))}},
		{"a later dose exists as a single-dose statement", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(400)), dmabDoseStatement("s2", "completed", rbDaysAgo(20))}},
		{"BP given after the last dose (ZOL administered at D+183)", []MedicationRecord{
			dmabAdmin("a1", rbDaysAgo(300)), zolRecord("z1", KindAdministration, "completed", rbDaysAgo(117), time.Time{})}},
		{"ZOL planned at D+183 (active request)", []MedicationRecord{
			dmabAdmin("a1", rbDaysAgo(190)), zolRecord("z1", KindRequest, "active", rbDaysAgo(30), rbDaysAgo(190).AddDate(0, 0, 183))}},
		{"oral alendronate started after the last dose", []MedicationRecord{
			dmabAdmin("a1", rbDaysAgo(300)), alendronate("aln", "active", rbDaysAgo(100), time.Time{})}},
		{"explicit stop (therapy statement stopped) -> R19 owns it", []MedicationRecord{
			dmabAdmin("a1", rbDaysAgo(300)), dmabTherapy("s1", "stopped", rbDay("2022-01-01"), rbDaysAgo(250))}},
		{"explicit stop (request stopped) -> R19 owns it", []MedicationRecord{
			dmabAdmin("a1", rbDaysAgo(250)), dmabRequest("r1", "stopped", rbDaysAgo(200))}},
		{"not-done administration 10 days ago is no dose, but a stop neither; dose 100 days ago", []MedicationRecord{
			dmabAdmin("a1", rbDaysAgo(100)), func() MedicationRecord { m := dmabAdmin("a2", rbDaysAgo(10)); m.Status = "not-done"; return m }()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, rbFacts(PatientView, tc.meds...), DefaultThresholds(), DenosumabDoseOverdue)
			if diff := cmp.Diff([]rbOutcome(nil), rbOutcomes(got)); diff != "" {
				t.Errorf("want no card (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenosumabDoseOverdueUndated(t *testing.T) {
	tests := []struct {
		name string
		meds []MedicationRecord
		want []rbOutcome
	}{
		{"on denosumab (therapy statement since 2020) without any dated injection -> no lateness card, insufficient data",
			[]MedicationRecord{dmabTherapy("s1", "active", rbDay("2020-07-05"), time.Time{})},
			[]rbOutcome{{Topic: TopicInsufficientData, Indicator: Info}}},
		{"therapy statement since 2020 and an injection 100 days ago -> silent",
			[]MedicationRecord{dmabTherapy("s1", "active", rbDay("2020-07-05"), time.Time{}), dmabAdmin("a1", rbDaysAgo(100))}, nil},
		{"Xgeva therapy statement without dated injections -> silent, nothing missing",
			[]MedicationRecord{xgeva(dmabTherapy("s1", "active", rbDay("2020-07-05"), time.Time{}))}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, rbFacts(PatientView, tc.meds...), DefaultThresholds(), DenosumabDoseOverdue)
			if diff := cmp.Diff(tc.want, rbOutcomes(got)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenosumabDoseOverdueWeakEvidence(t *testing.T) {
	tests := []struct {
		name     string
		meds     []MedicationRecord
		wantFlag bool
	}{
		{"last dose known only from MedicationRequest.authoredOn -> flagged", []MedicationRecord{dmabRequest("r1", "completed", rbDaysAgo(250))}, true},
		{"last dose from an administration -> not flagged", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(250))}, false},
		{"prescription and administration of the same injection -> not flagged", []MedicationRecord{
			dmabRequest("r1", "completed", rbDaysAgo(260)), dmabAdmin("a1", rbDaysAgo(250))}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, rbFacts(PatientView, tc.meds...), DefaultThresholds(), DenosumabDoseOverdue)
			if len(got) != 1 {
				t.Fatalf("want one card, got %d", len(got))
			}
			flagged := strings.Contains(got[0].Detail.EN, "only a prescription date") && strings.Contains(got[0].Detail.NL, "voorschrijfdatum")
			if flagged != tc.wantFlag {
				t.Errorf("flagged = %v, want %v; detail:\n%s", flagged, tc.wantFlag, got[0].Detail.EN)
			}
			if got[0].Evidence[0].Date != rbDaysAgo(250) && !tc.wantFlag {
				t.Errorf("last-dose evidence dated %s, want %s", FormatDate(got[0].Evidence[0].Date), FormatDate(rbDaysAgo(250)))
			}
		})
	}
}

func TestDenosumabDoseOverdueConfigured(t *testing.T) {
	th := DefaultThresholds()
	th.DmabLateWarningDays, th.DmabLateCriticalDays = 200, 250
	got := rbOutcomes(rbEval(t, rbFacts(PatientView, dmabAdmin("a1", rbDaysAgo(251))), th, DenosumabDoseOverdue))
	if len(got) != 1 || got[0].Indicator != Critical {
		t.Errorf("with DMAB_LATE_CRITICAL_DAYS=250, 251 days: want critical, got %+v", got)
	}
}

// TestDenosumabOneCardPerSituation checks that R18 and R19 never both fire:
// with an explicit stop R19 owns the situation, without one R18 does.
func TestDenosumabOneCardPerSituation(t *testing.T) {
	situations := []struct {
		name string
		hook Hook
		meds []MedicationRecord
		want string // the topic that fires, "" for none
	}{
		{"late, no stop", PatientView, []MedicationRecord{dmabAdmin("a1", rbDaysAgo(300))}, TopicDenosumabDoseOverdue},
		{"late, stopped", PatientView, []MedicationRecord{dmabAdmin("a1", rbDaysAgo(300)), dmabRequest("r1", "stopped", rbDaysAgo(100))}, TopicDenosumabNoStopWithoutFollowup},
		{"late, completed period ended", PatientView, []MedicationRecord{dmabTherapy("s1", "completed", rbDaysAgo(1000), rbDaysAgo(250)), dmabAdmin("a1", rbDaysAgo(300))}, TopicDenosumabNoStopWithoutFollowup},
		{"late, stopped, ZOL given", PatientView, []MedicationRecord{dmabAdmin("a1", rbDaysAgo(300)), dmabRequest("r1", "stopped", rbDaysAgo(100)), zolRecord("z1", KindAdministration, "completed", rbDaysAgo(110), time.Time{})}, ""},
		{"late, single-dose statement status stopped", PatientView, []MedicationRecord{dmabDoseStatement("s1", "stopped", rbDaysAgo(300))}, TopicDenosumabDoseOverdue},
		{"on time, stopped", PatientView, []MedicationRecord{dmabAdmin("a1", rbDaysAgo(60)), dmabRequest("r1", "stopped", rbDaysAgo(10))}, TopicDenosumabNoStopWithoutFollowup},
	}
	for _, tc := range situations {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, rbFacts(tc.hook, tc.meds...), DefaultThresholds(), DenosumabDoseOverdue, DenosumabNoStopWithoutFollowup)
			var topics []string
			for _, f := range got {
				topics = append(topics, f.Topic)
			}
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			}
			if diff := cmp.Diff(want, topics); diff != "" {
				t.Errorf("topics (-want +got):\n%s", diff)
			}
		})
	}
}
