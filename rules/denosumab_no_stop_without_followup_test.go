package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDenosumabNoStopWithoutFollowupFires(t *testing.T) {
	last := rbDay("2025-01-05") // T−147 d; ZOL due 2025-07-07
	history := []MedicationRecord{
		dmabAdmin("a1", rbDay("2024-07-05")),
		dmabAdmin("a2", last),
	}
	keepWithDelete := func(draft string, when string) []string {
		return []string{"delete MedicationRequest/" + draft, "create denosumab-60mg-sc " + when}
	}
	tests := []struct {
		name string
		hook Hook
		meds []MedicationRecord
		want []rbOutcome
	}{
		{
			name: "order-sign: draft denosumab request re-signed as stopped, no ZOL planned -> critical, ZOL on last + 183 d",
			hook: OrderSign,
			meds: append(history[:2:2], dmabDraft("d1", "stopped")),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     keepWithDelete("d1", "2025-07-07"),
			}}},
		},
		{
			name: "order-sign: draft with doNotPerform -> critical",
			hook: OrderSign,
			meds: append(history[:2:2], func() MedicationRecord { m := dmabDraft("d1", "draft"); m.DoNotPerform = true; return m }()),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     keepWithDelete("d1", "2025-07-07"),
			}}},
		},
		{
			name: "order-sign: draft cancelled -> critical",
			hook: OrderSign,
			meds: append(history[:2:2], dmabDraft("d1", "cancelled")),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     keepWithDelete("d1", "2025-07-07"),
			}}},
		},
		{
			name: "order-sign: draft completed -> critical",
			hook: OrderSign,
			meds: append(history[:2:2], dmabDraft("d1", "completed")),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     keepWithDelete("d1", "2025-07-07"),
			}}},
		},
		{
			name: "patient-view: therapy statement stopped after the last injection -> critical",
			hook: PatientView,
			meds: append(history[:2:2], dmabTherapy("s1", "stopped", rbDay("2024-07-05"), rbDay("2025-03-01"))),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     {"create denosumab-60mg-sc 2025-07-07"},
			}}},
		},
		{
			name: "patient-view: therapy statement not-taken -> critical",
			hook: PatientView,
			meds: append(history[:2:2], dmabTherapy("s1", "not-taken", rbDay("2025-02-01"), time.Time{})),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     {"create denosumab-60mg-sc 2025-07-07"},
			}}},
		},
		{
			name: "patient-view: therapy statement (2.5 years, longer than one dispense) completed with an ended effectivePeriod -> critical",
			hook: PatientView,
			meds: append(history[:2:2], dmabTherapy("s1", "completed", rbDay("2022-07-05"), rbDay("2025-01-05"))),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     {"create denosumab-60mg-sc 2025-07-07"},
			}}},
		},
		{
			name: "patient-view: GP request stopped, last injection 242 days ago -> ZOL date passed, plan it now",
			hook: PatientView,
			meds: []MedicationRecord{dmabAdmin("a1", rbDaysAgo(242)), dmabRequest("r1", "stopped", rbDaysAgo(242))},
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv now"},
				KeyOrderDenosumab60mg:     {"create denosumab-60mg-sc now"},
			}}},
		},
		{
			name: "patient-view: GP request cancelled -> critical",
			hook: PatientView,
			meds: append(history[:2:2], dmabRequest("r9", "cancelled", rbDay("2025-03-01"))),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     {"create denosumab-60mg-sc 2025-07-07"},
			}}},
		},
		{
			name: "stopped, last injection exactly 183 days ago -> ZOL planned today",
			hook: PatientView,
			meds: []MedicationRecord{dmabAdmin("a1", rbDaysAgo(183)), dmabRequest("r1", "stopped", rbDaysAgo(10))},
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-06-01"},
				KeyOrderDenosumab60mg:     {"create denosumab-60mg-sc 2025-06-01"},
			}}},
		},
		{
			name: "stopped, last injection 184 days ago -> ZOL planned now",
			hook: PatientView,
			meds: []MedicationRecord{dmabAdmin("a1", rbDaysAgo(184)), dmabRequest("r1", "stopped", rbDaysAgo(10))},
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv now"},
				KeyOrderDenosumab60mg:     {"create denosumab-60mg-sc now"},
			}}},
		},
		{
			name: "stopped, alendronate only before the last injection -> still critical",
			hook: PatientView,
			meds: append(history[:2:2], dmabRequest("r9", "stopped", rbDay("2025-03-01")),
				alendronate("aln", "completed", rbDay("2015-01-01"), rbDay("2020-01-01"))),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     {"create denosumab-60mg-sc 2025-07-07"},
			}}},
		},
		{
			name: "stopped, ZOL request cancelled -> still critical",
			hook: PatientView,
			meds: append(history[:2:2], dmabRequest("r9", "stopped", rbDay("2025-03-01")),
				zolRecord("z1", KindRequest, "cancelled", rbDay("2025-03-01"), rbDay("2025-07-07"))),
			want: []rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderZolAfterDenosumab: {"create zoledronic-acid-5mg-iv 2025-07-07"},
				KeyOrderDenosumab60mg:     {"create denosumab-60mg-sc 2025-07-07"},
			}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, plWithSafeLabs(rbFacts(tc.hook, tc.meds...)), DefaultThresholds(), DenosumabNoStopWithoutFollowup)
			if diff := cmp.Diff(tc.want, rbOutcomes(got)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenosumabNoStopWithoutFollowupSilent(t *testing.T) {
	last := rbDay("2025-01-05")
	history := []MedicationRecord{dmabAdmin("a1", rbDay("2024-07-05")), dmabAdmin("a2", last)}
	with := func(extra ...MedicationRecord) []MedicationRecord { return append(history[:2:2], extra...) }
	tests := []struct {
		name string
		hook Hook
		meds []MedicationRecord
	}{
		{"no explicit stop, last injection 300 days ago (lateness is R18's)", PatientView,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(300))}},
		{"single-dose statement is a dose, never a stop", PatientView,
			with(dmabDoseStatement("s9", "completed", rbDay("2025-01-05")))},
		{"single-dose statement with status stopped is still a dose, not a stop", PatientView,
			with(dmabDoseStatement("s9", "stopped", rbDay("2025-01-05")))},
		{"Xgeva 120 mg stopped", PatientView,
			[]MedicationRecord{xgeva(dmabAdmin("x1", rbDay("2025-01-05"))), xgeva(dmabRequest("x2", "stopped", rbDay("2025-02-01")))}},
		{"order-sign: Xgeva 120 mg draft stopped", OrderSign,
			[]MedicationRecord{xgeva(dmabAdmin("x1", rbDay("2025-01-05"))), xgeva(dmabDraft("x2", "stopped"))}},
		{"stopped, ZOL planned at D+183 (active request)", PatientView,
			with(dmabRequest("r9", "stopped", rbDay("2025-03-01")), zolRecord("z1", KindRequest, "active", rbDay("2025-03-01"), rbDay("2025-07-07")))},
		{"order-sign: draft stop signed together with a ZOL draft planned at D+183", OrderSign,
			with(dmabDraft("d1", "stopped"), zolRecord("z1", KindDraftOrder, "draft", time.Time{}, rbDay("2025-07-07")))},
		{"stopped, ZOL already given after the last injection", PatientView,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(400)), dmabRequest("r1", "stopped", rbDaysAgo(400)), zolRecord("z1", KindAdministration, "completed", rbDaysAgo(210), time.Time{})}},
		{"stopped, then alendronate started after the last injection", PatientView,
			with(dmabRequest("r9", "stopped", rbDay("2025-03-01")), alendronate("aln", "active", rbDay("2025-04-01"), time.Time{}))},
		{"stop overtaken: injection given after the end of the stopped period", PatientView,
			[]MedicationRecord{dmabTherapy("s1", "stopped", rbDay("2022-01-01"), rbDay("2023-01-01")), dmabAdmin("a9", rbDay("2025-01-05"))}},
		{"stop overtaken: a later active therapy record restarts denosumab", PatientView,
			[]MedicationRecord{dmabRequest("r1", "stopped", rbDay("2023-01-01")), dmabRequest("r2", "active", rbDay("2025-01-05"))}},
		{"completed statement whose period ends after T is no stop", PatientView,
			with(dmabTherapy("s1", "completed", rbDay("2024-07-05"), rbDay("2025-07-04")))},
		{"order-sign: renewal draft (active) is no stop", OrderSign,
			with(dmabDraft("d1", "draft"))},
		{"order-sign: a stop documented earlier shows at patient-view, not on every signature", OrderSign,
			with(dmabRequest("r9", "stopped", rbDay("2025-03-01")))},
		{"order-select: the stop check runs at order-sign, not on selection", OrderSelect,
			with(dmabDraft("d1", "stopped"))},
		{"entered-in-error stop", PatientView,
			with(dmabRequest("r9", "entered-in-error", rbDay("2025-03-01")))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, plWithSafeLabs(rbFacts(tc.hook, tc.meds...)), DefaultThresholds(), DenosumabNoStopWithoutFollowup)
			if diff := cmp.Diff([]rbOutcome(nil), rbOutcomes(got)); diff != "" {
				t.Errorf("want no card (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenosumabNoStopWithoutFollowupTiming(t *testing.T) {
	undatedZOL := func(id string) MedicationRecord {
		return zolRecord(id, KindDraftOrder, "draft", time.Time{}, time.Time{})
	}
	selected := func(m MedicationRecord) MedicationRecord { m.Selected = true; return m }
	tests := []struct {
		name string
		hook Hook
		meds []MedicationRecord
		want []rbOutcome
	}{
		{"order-sign: ZOL today, last Prolia 149 days ago -> info, move it to D+183", OrderSign,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(149)), undatedZOL("z1")},
			[]rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Info, Suggestions: map[string][]string{
				"replan-zoledronic-acid-MedicationRequest/z1": {"delete MedicationRequest/z1", "create zoledronic-acid-5mg-iv 2025-07-05"},
			}}}},
		{"order-sign: ZOL today, last Prolia 150 days ago -> silent", OrderSign,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(150)), undatedZOL("z1")}, nil},
		{"order-sign: ZOL today, last Prolia 151 days ago -> silent", OrderSign,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(151)), undatedZOL("z1")}, nil},
		{"order-select: selected ZOL, last Prolia 100 days ago -> info", OrderSelect,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(100)), selected(undatedZOL("z1"))},
			[]rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Info, Suggestions: map[string][]string{
				"replan-zoledronic-acid-MedicationRequest/z1": {"delete MedicationRequest/z1", "create zoledronic-acid-5mg-iv 2025-08-23"},
			}}}},
		{"order-select: ZOL in the session but not the selected order -> silent", OrderSelect,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(100)), undatedZOL("z1")}, nil},
		{"order-sign: ZOL planned at D+183 although the last dose was 30 days ago -> silent", OrderSign,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(30)), zolRecord("z1", KindDraftOrder, "draft", time.Time{}, rbDaysAgo(30).AddDate(0, 0, 183))}, nil},
		{"order-sign: ZOL planned at D+149 -> info", OrderSign,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(30)), zolRecord("z1", KindDraftOrder, "draft", time.Time{}, rbDaysAgo(30).AddDate(0, 0, 149))},
			[]rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Info, Suggestions: map[string][]string{
				"replan-zoledronic-acid-MedicationRequest/z1": {"delete MedicationRequest/z1", "create zoledronic-acid-5mg-iv 2025-11-01"},
			}}}},
		{"order-sign: Xgeva 120 mg 60 days ago and ZOL today -> silent", OrderSign,
			[]MedicationRecord{xgeva(dmabAdmin("x1", rbDaysAgo(60))), undatedZOL("z1")}, nil},
		{"patient-view: the timing check only runs on orders", PatientView,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(100)), zolRecord("z1", KindRequest, "active", rbDaysAgo(1), time.Time{})}, nil},
		{"order-sign: draft stop and ZOL today 100 days after the last dose -> only the timing info, no critical", OrderSign,
			[]MedicationRecord{dmabAdmin("a1", rbDaysAgo(100)), dmabDraft("d1", "stopped"), undatedZOL("z1")},
			[]rbOutcome{{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Info, Suggestions: map[string][]string{
				"replan-zoledronic-acid-MedicationRequest/z1": {"delete MedicationRequest/z1", "create zoledronic-acid-5mg-iv 2025-08-23"},
			}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, plWithSafeLabs(rbFacts(tc.hook, tc.meds...)), DefaultThresholds(), DenosumabNoStopWithoutFollowup)
			if diff := cmp.Diff(tc.want, rbOutcomes(got)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDenosumabNoStopWithoutFollowupText(t *testing.T) {
	t.Run("detail names eGFR, calcium, vitamin D and the ECTS 2021 nuance", func(t *testing.T) {
		// Fresh safety labs: without them the card orders the labs first
		// and lets the clinician pick several (TestLabsBeforeBisphosphonate).
		f := plWithSafeLabs(rbFacts(OrderSign, dmabAdmin("a1", rbDay("2025-01-05")), dmabDraft("d1", "stopped")))
		got := rbEval(t, f, DefaultThresholds(), DenosumabNoStopWithoutFollowup)
		if len(got) != 1 {
			t.Fatalf("want 1 finding, got %d", len(got))
		}
		for _, want := range []string{"eGFR", "calcium", "vitamin D", "ECTS 2021", "bone turnover markers"} {
			if !strings.Contains(got[0].Detail.EN, want) {
				t.Errorf("English detail lacks %q:\n%s", want, got[0].Detail.EN)
			}
		}
		for _, want := range []string{"eGFR", "calcium", "vitamine D", "ECTS 2021", "botombouwmarkers"} {
			if !strings.Contains(got[0].Detail.NL, want) {
				t.Errorf("Dutch detail lacks %q:\n%s", want, got[0].Detail.NL)
			}
		}
		if got[0].SelectionAny {
			t.Error("ZOL or keep denosumab: want at-most-one")
		}
	})
	t.Run("stop with the last dose known only from a prescription -> flagged as weakest evidence", func(t *testing.T) {
		f := rbFacts(PatientView, dmabRequest("r1", "completed", rbDay("2025-01-05")), dmabRequest("r2", "stopped", rbDay("2025-03-01")))
		got := rbEval(t, f, DefaultThresholds(), DenosumabNoStopWithoutFollowup)
		if len(got) != 1 || !strings.Contains(got[0].Detail.EN, "only a prescription date") || !strings.Contains(got[0].Detail.NL, "voorschrijfdatum") {
			t.Fatalf("want one card flagging the prescription date, got %+v", rbOutcomes(got))
		}
	})
	t.Run("stop with no injection date known -> critical, keep denosumab only, and insufficient data", func(t *testing.T) {
		f := rbFacts(PatientView, dmabTherapy("s1", "not-taken", rbDay("2025-03-01"), time.Time{}))
		got := rbEval(t, f, DefaultThresholds(), DenosumabNoStopWithoutFollowup)
		want := []rbOutcome{
			{Topic: TopicDenosumabNoStopWithoutFollowup, Indicator: Critical, Suggestions: map[string][]string{
				KeyOrderDenosumab60mg: {"create denosumab-60mg-sc now"},
			}},
			{Topic: TopicInsufficientData, Indicator: Info},
		}
		if diff := cmp.Diff(want, rbOutcomes(got)); diff != "" {
			t.Errorf("findings (-want +got):\n%s", diff)
		}
	})
	t.Run("ZOL_AFTER_DMAB_DAYS configured to 210 moves the planned date", func(t *testing.T) {
		th := DefaultThresholds()
		th.ZolAfterDmabDays = 210
		f := rbFacts(OrderSign, dmabAdmin("a1", rbDay("2025-01-05")), dmabDraft("d1", "stopped"))
		got := rbOutcomes(rbEval(t, f, th, DenosumabNoStopWithoutFollowup))
		if len(got) != 1 || got[0].Suggestions[KeyOrderZolAfterDenosumab][0] != "create zoledronic-acid-5mg-iv 2025-08-03" {
			t.Errorf("want ZOL on 2025-08-03, got %+v", got)
		}
	})
}

// GP systems send one MedicationStatement per dispense, effectivePeriod of
// about 183 days, status completed (rules.md §0.3): each is an injection,
// not a stop. A patient 8 days past the last period is simply due.
func TestDenosumabCompletedDispenseStatementsAreDosesNotStops(t *testing.T) {
	dispense := func(id string, startDaysAgo int) MedicationRecord {
		start := rbDaysAgo(startDaysAgo)
		return dmabTherapy(id, "completed", start, start.AddDate(0, 0, 183))
	}
	// Periods: 557–374, 374–191, 191–8 days ago.
	meds := []MedicationRecord{dispense("p1", 557), dispense("p2", 374), dispense("p3", 191)}
	rules := []Rule{DenosumabDoseOverdue, DenosumabNoStopWithoutFollowup, FractureCaseFinding}
	t.Run("8 days after the last dispense period: due (info), no stop card, no unknown-date note", func(t *testing.T) {
		f := rbFacts(PatientView, meds...)
		f.Conditions = []Condition{{Source: "Condition/wrist", Concepts: []Concept{ConceptFracture}, Code: "wrist", Onset: rbDaysAgo(60), Active: true}}
		all := EvaluateRules(rules, f, DefaultThresholds())
		var got []rbOutcome
		for _, o := range rbOutcomes(all) {
			if o.Topic != TopicInsufficientData {
				got = append(got, rbOutcome{Topic: o.Topic, Indicator: o.Indicator})
			}
		}
		want := []rbOutcome{{Topic: TopicDenosumabDoseOverdue, Indicator: Info}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		for _, fd := range all {
			if strings.Contains(fd.Detail.NL, "laatste injectie is onbekend") || strings.Contains(fd.Summary.NL, "niet stoppen") {
				t.Errorf("dispense read as a stop: %s", fd.Summary.NL)
			}
			if fd.Topic == TopicInsufficientData && strings.Contains(fd.Detail.EN, "last denosumab injection") {
				t.Errorf("unknown last-injection date reported: %s", fd.Detail.EN)
			}
		}
	})
	t.Run("completed dispense statement 250 days after its start: warning overdue, not a stop", func(t *testing.T) {
		f := rbFacts(PatientView, dispense("p1", 433), dispense("p2", 250))
		var got []rbOutcome
		for _, o := range rbOutcomes(EvaluateRules(rules, f, DefaultThresholds())) {
			if o.Topic != TopicInsufficientData {
				got = append(got, rbOutcome{Topic: o.Topic, Indicator: o.Indicator})
			}
		}
		if diff := cmp.Diff([]rbOutcome{{Topic: TopicDenosumabDoseOverdue, Indicator: Warning}}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("stopped dispense statement is still an explicit stop", func(t *testing.T) {
		stopped := dispense("p3", 191)
		stopped.Status = "stopped"
		f := rbFacts(PatientView, dispense("p1", 557), dispense("p2", 374), stopped)
		found := false
		for _, fd := range EvaluateRules([]Rule{DenosumabNoStopWithoutFollowup}, f, DefaultThresholds()) {
			found = found || fd.Topic == TopicDenosumabNoStopWithoutFollowup && fd.Indicator == Critical
		}
		if !found {
			t.Error("a stopped statement must still raise the stop card")
		}
	})
}
