package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tptdStatement is a teriparatide MedicationStatement with an effectivePeriod.
func tptdStatement(id, status string, start, end time.Time) MedicationRecord {
	return MedicationRecord{
		Source: Ref("MedicationStatement/" + id), Kind: KindStatement,
		Classes: []DrugClass{DrugTeriparatide}, Code: "ATC H05AA02", Name: "teriparatide",
		Status: status, Start: start, End: end, Route: "subcutaneous",
	}
}

// tptdRequest is an active teriparatide prescription.
func tptdRequest(id string, start time.Time) MedicationRecord {
	m := tptdStatement(id, "active", start, time.Time{})
	m.Source, m.Kind = Ref("MedicationRequest/"+id), KindRequest
	return m
}

// tptdDraft is a teriparatide order in context.draftOrders.
func tptdDraft(id string, supplyDays int, selected bool) MedicationRecord {
	m := tptdStatement(id, "draft", time.Time{}, time.Time{})
	m.Source, m.Kind, m.SupplyDays, m.Selected = Ref("MedicationRequest/"+id), KindDraftOrder, supplyDays, selected
	return m
}

// tptdActiveFor is an active course started months ago (plus extraDays
// later, to test just below a boundary).
func tptdActiveFor(months, extraDays int) MedicationRecord {
	return tptdStatement("t1", "active", dmabT.Truncate(day).AddDate(0, -months, extraDays), time.Time{})
}

func TestTeriparatideMax24Months(t *testing.T) {
	deleteDraft := map[string][]string{"delete-MedicationRequest/d1": {"delete MedicationRequest/d1"}}
	tests := []struct {
		name  string
		hook  Hook
		usLbl bool
		meds  []MedicationRecord
		want  []rbOutcome
	}{
		{"active teriparatide for 21 months -> silent", PatientView, false, []MedicationRecord{tptdActiveFor(21, 0)}, nil},
		{"active teriparatide 2 days short of 22 months -> silent", PatientView, false, []MedicationRecord{tptdActiveFor(22, 2)}, nil},
		{"active teriparatide for 22 months -> info, plan follow-on", PatientView, false, []MedicationRecord{tptdActiveFor(22, 0)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Info}}},
		{"active teriparatide for 23 months -> info", PatientView, false, []MedicationRecord{tptdActiveFor(23, 0)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Info}}},
		{"active teriparatide 2 days short of 24 months -> info", PatientView, false, []MedicationRecord{tptdActiveFor(24, 2)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Info}}},
		{"active teriparatide for 24 months -> critical", PatientView, false, []MedicationRecord{tptdActiveFor(24, 0)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Critical}}},
		{"active teriparatide for 25 months -> critical", PatientView, false, []MedicationRecord{tptdActiveFor(25, 0)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Critical}}},
		{"active prescription for 25 months -> critical, suggest stopping it", PatientView, false, []MedicationRecord{tptdRequest("rx", dmabT.Truncate(day).AddDate(0, -25, 0))},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Critical, Suggestions: map[string][]string{
				"stop-MedicationRequest/rx": {"update stop-medication MedicationRequest/rx"}}}}},
		{"US label: active for 25 months -> warning (D9)", PatientView, true, []MedicationRecord{tptdActiveFor(25, 0)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Warning}}},
		{"US label: active for 22 months -> info", PatientView, true, []MedicationRecord{tptdActiveFor(22, 0)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Info}}},
		{"two stints 12 + 12 months, second active -> lifetime 24 months, critical", PatientView, false, []MedicationRecord{
			tptdStatement("t0", "stopped", rbDay("2022-01-01"), rbDay("2022-12-31")),
			tptdActiveFor(12, 0)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Critical}}},
		{"course of 24 months ended (not active) -> silent here (follow-on is R22)", PatientView, false, []MedicationRecord{
			tptdStatement("t0", "completed", rbDay("2022-01-01"), rbDay("2023-12-31"))}, nil},
		{"new course after one recorded as completed, lifetime 8 months (within 24) -> warning, remainder only", PatientView, false, []MedicationRecord{
			tptdStatement("t0", "completed", rbDay("2020-01-01"), rbDay("2020-06-30")), tptdActiveFor(2, 0)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Warning}}},
		{"new course after a stopped (interrupted) 6-month course, total 8 months -> silent", PatientView, false, []MedicationRecord{
			tptdStatement("t0", "stopped", rbDay("2020-01-01"), rbDay("2020-06-30")), tptdActiveFor(2, 0)}, nil},
		{"entered-in-error record does not count", PatientView, false, []MedicationRecord{
			func() MedicationRecord { m := tptdActiveFor(30, 0); m.Status = "entered-in-error"; return m }()}, nil},

		{"order-sign: 20 months given + 28-day order -> silent", OrderSign, false, []MedicationRecord{tptdActiveFor(20, 0), tptdDraft("d1", 28, false)}, nil},
		{"order-sign: 23 months given + 28-day order reaches 23.98 months -> info", OrderSign, false, []MedicationRecord{tptdActiveFor(23, 0), tptdDraft("d1", 28, false)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Info}}},
		{"order-sign: 23 months given + 29-day order passes 24 months -> critical, delete the order", OrderSign, false, []MedicationRecord{tptdActiveFor(23, 0), tptdDraft("d1", 29, false)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Critical, Suggestions: deleteDraft}}},
		{"order-sign: full 24-month course completed, new order -> critical", OrderSign, false, []MedicationRecord{
			tptdStatement("t0", "completed", rbDay("2021-01-01"), rbDay("2022-12-31")), tptdDraft("d1", 28, false)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Critical, Suggestions: deleteDraft}}},
		{"order-sign: 24 months stopped, order of unknown duration -> critical", OrderSign, false, []MedicationRecord{
			tptdStatement("t0", "stopped", rbDay("2021-01-01"), rbDay("2022-12-31")), tptdDraft("d1", 0, false)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Critical, Suggestions: deleteDraft}}},
		{"order-sign: US label, order beyond 24 months -> warning", OrderSign, true, []MedicationRecord{tptdActiveFor(23, 0), tptdDraft("d1", 90, false)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Warning, Suggestions: deleteDraft}}},
		{"order-sign: first order ever -> silent", OrderSign, false, []MedicationRecord{tptdDraft("d1", 28, false)}, nil},
		{"order-sign: no teriparatide order in the session, 25 months active -> silent (patient-view shows it)", OrderSign, false, []MedicationRecord{tptdActiveFor(25, 0)}, nil},
		{"order-sign: teriparatide order with doNotPerform -> silent", OrderSign, false, []MedicationRecord{
			tptdActiveFor(25, 0), func() MedicationRecord { m := tptdDraft("d1", 28, false); m.DoNotPerform = true; return m }()}, nil},
		{"order-select: selected order beyond 24 months -> critical", OrderSelect, false, []MedicationRecord{tptdActiveFor(24, 0), tptdDraft("d1", 28, true)},
			[]rbOutcome{{Topic: TopicTeriparatideMax24Months, Indicator: Critical, Suggestions: deleteDraft}}},
		{"order-select: teriparatide order not the selected one -> silent", OrderSelect, false, []MedicationRecord{tptdActiveFor(24, 0), tptdDraft("d1", 28, false)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := DefaultThresholds()
			th.TptdUSLabel = tc.usLbl
			got := rbOutcomes(rbEval(t, plWithSafeLabs(rbFacts(tc.hook, tc.meds...)), th, TeriparatideMax24Months))
			// The follow-on antiresorptive offered on every blocked course
			// is tested in TestPlannerVetoes; this table is about the block.
			for i := range got {
				delete(got[i].Suggestions, "anabolic-followup-zoledronic-acid")
				delete(got[i].Suggestions, KeyOrderDenosumab60mg)
				if len(got[i].Suggestions) == 0 {
					got[i].Suggestions = nil
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTeriparatideMax24MonthsText(t *testing.T) {
	th := DefaultThresholds()
	th.TptdUSLabel = true
	got := rbEval(t, rbFacts(PatientView, tptdActiveFor(25, 0)), th, TeriparatideMax24Months)
	if len(got) != 1 {
		t.Fatalf("want one card, got %d", len(got))
	}
	cited := false
	for _, c := range got[0].Citations {
		cited = cited || c == CiteForteoUSLabel
	}
	if !cited || !strings.Contains(got[0].Detail.EN, "US label") {
		t.Errorf("US profile must cite and explain the US label; citations %v", got[0].Citations)
	}
	if v := got[0].Evidence[0].ValueIn("en"); v != "25" && !strings.HasPrefix(v, "25.") {
		t.Errorf("exposure evidence = %q months, want 25.x", got[0].Evidence[0].Value)
	}
}

// Forsteo SmPC: "maximum total duration … 24 months". A new course after a
// completed one is critical only when lifetime exposure would exceed it.
func TestTeriparatideRepeatCourseCriticalOnlyBeyondLifetimeMax(t *testing.T) {
	twelve := tptdStatement("t0", "completed", rbDay("2022-01-01"), rbDay("2022-12-31")) // 365 days
	twenty := tptdStatement("t0", "completed", rbDay("2021-01-01"), rbDay("2022-08-31")) // 20 months
	tests := []struct {
		name    string
		hook    Hook
		meds    []MedicationRecord
		want    Indicator
		wantTxt string
	}{
		{"order-sign: completed 12-month course, new 180-day order (18 months lifetime) -> warning, 12 months remain",
			OrderSign, []MedicationRecord{twelve, tptdDraft("d1", 180, false)}, Warning, "alleen de resterende 12 maanden"},
		{"patient-view: completed 12-month course, new course active 3 months -> warning",
			PatientView, []MedicationRecord{twelve, tptdActiveFor(3, 0)}, Warning, "resterende 12 maanden"},
		{"order-sign: completed 20-month course, new 180-day order (26 months lifetime) -> critical",
			OrderSign, []MedicationRecord{twenty, tptdDraft("d1", 180, false)}, Critical, "niet verlengen of herhalen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := rbEval(t, rbFacts(tc.hook, tc.meds...), DefaultThresholds(), TeriparatideMax24Months)
			if len(fs) != 1 || fs[0].Indicator != tc.want || !strings.Contains(fs[0].Summary.NL, tc.wantTxt) {
				var got []string
				for _, f := range fs {
					got = append(got, string(f.Indicator)+" "+f.Summary.NL)
				}
				t.Errorf("got %v, want %s containing %q", got, tc.want, tc.wantTxt)
			}
		})
	}
}
