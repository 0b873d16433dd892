package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var rdBPRules = []Rule{Bisphosphonate5yReview, Bisphosphonate10yMax}

func TestBisphosphonate5yReviewExposureBoundaries(t *testing.T) {
	T := rdDay("2025-06-01")
	freshHip := rdHipT(-2.0, rdDay("2025-05-20"))
	fresh := func(meds ...MedicationRecord) Facts {
		return Facts{AsOf: T, Hook: PatientView, Medications: meds, DXA: []DXAMeasurement{freshHip},
			Labs: []Lab{{Analyte: AnalyteALP, Value: 70, Date: rdDay("2025-05-20")}, {Analyte: AnalyteEGFR, Value: 78, Date: rdDay("2025-05-20")}}}
	}
	stop := rdCard{Topic: TopicBisphosphonate5yReview, Indicator: Warning, Keys: []string{keyBPStopHoliday, keyBPContinue}, Recommended: []string{keyBPStopHoliday}}
	maxCard := rdCard{Topic: TopicBisphosphonate10yMax, Indicator: Warning, Keys: []string{keyBPStopMax}, Recommended: []string{keyBPStopMax}}
	tests := []struct {
		name string
		f    Facts
		want []rdCard
	}{
		{"oral BP 1825 days (just under 5 y) -> silent", fresh(rdActiveForDays(T, 1825)), nil},
		{"oral BP 1826 days (5 y) -> review", fresh(rdActiveForDays(T, 1826)), []rdCard{stop}},
		{"oral BP 1827 days -> review", fresh(rdActiveForDays(T, 1827)), []rdCard{stop}},
		{"oral BP 3651 days (just under 10 y) -> still 5-y review", fresh(rdActiveForDays(T, 3651)), []rdCard{stop}},
		{"oral BP 3652 days (10 y) -> 10-y maximum only, R14 skipped", fresh(rdActiveForDays(T, 3652)), []rdCard{maxCard}},
		{"oral BP 3653 days -> 10-y maximum only", fresh(rdActiveForDays(T, 3653)), []rdCard{maxCard}},
		{"2 zoledronic acid infusions -> silent", fresh(rdZOL("z1", rdDay("2023-09-01")), rdZOL("z2", rdDay("2024-09-01"))), nil},
		{"3 zoledronic acid infusions (3 y) -> review", fresh(rdZOL("z1", rdDay("2022-09-01")), rdZOL("z2", rdDay("2023-09-01")), rdZOL("z3", rdDay("2024-09-01"))), []rdCard{stop}},
		{"5 zoledronic acid infusions -> review", fresh(rdZOL("z1", rdDay("2020-09-01")), rdZOL("z2", rdDay("2021-09-01")), rdZOL("z3", rdDay("2022-09-01")), rdZOL("z4", rdDay("2023-09-01")), rdZOL("z5", rdDay("2024-09-01"))), []rdCard{stop}},
		{"6 zoledronic acid infusions -> maximum", fresh(rdZOL("z0", rdDay("2019-09-01")), rdZOL("z1", rdDay("2020-09-01")), rdZOL("z2", rdDay("2021-09-01")), rdZOL("z3", rdDay("2022-09-01")), rdZOL("z4", rdDay("2023-09-01")), rdZOL("z5", rdDay("2024-09-01"))), []rdCard{maxCard}},
		{"4 y oral then 1 infusion (mixed, 1461 + 365 = 1826 days) -> review", fresh(
			MedicationRecord{Source: "MedicationStatement/aln-old", Kind: KindStatement, Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral}, Name: "alendronic acid", Status: "completed", Start: rdDay("2020-01-01"), End: rdDay("2023-12-31")},
			rdZOL("z1", rdDay("2024-09-01"))), []rdCard{stop}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rdCards(rdEval(tc.f, DefaultThresholds(), rdBPRules...))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBisphosphonate5yReviewDecision(t *testing.T) {
	T := rdDay("2025-06-01")
	base := func() Facts {
		return Facts{
			AsOf: T, Hook: PatientView,
			Patient:     Patient{BirthDate: rdDay("1955-01-15"), Gender: "female"},
			Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2020-04-01"))},
			DXA:         []DXAMeasurement{rdHipT(-2.4, rdDay("2025-05-20"))},
			Labs:        []Lab{{Analyte: AnalyteALP, Value: 70, Date: rdDay("2025-05-20")}, {Analyte: AnalyteEGFR, Value: 78, Date: rdDay("2025-05-20")}},
		}
	}
	with := func(mod func(*Facts)) Facts { f := base(); mod(&f); return f }
	pred := func(mg float64) MedicationRecord {
		return MedicationRecord{Source: "MedicationStatement/pred", Kind: KindStatement, Classes: []DrugClass{DrugGlucocorticoidSystemic}, Name: "prednisolone", Status: "active", Start: rdDay("2024-01-01"), DailyDoseMg: mg}
	}
	newFracture := Condition{Source: "Condition/wrist", Concepts: []Concept{ConceptFracture}, Code: "SNOMED 263199001", Onset: rdDay("2024-02-01"), Active: true}
	grade1 := Condition{Source: "Condition/vfa", Concepts: []Concept{ConceptVertebralFracture, ConceptFracture}, Code: "VFA grade 1", GenantGrade: 1}
	grade1Counts := DefaultThresholds()
	grade1Counts.VFAGrade1Counts = true

	type want struct {
		Card     rdCard
		Criteria [3]criterionState
	}
	stopCard := rdCard{Topic: TopicBisphosphonate5yReview, Indicator: Warning, Keys: []string{keyBPStopHoliday, keyBPContinue}, Recommended: []string{keyBPStopHoliday}}
	continueCard := rdCard{Topic: TopicBisphosphonate5yReview, Indicator: Warning, Keys: []string{keyBPContinue}, Recommended: []string{keyBPContinue}}
	switchCard := rdCard{Topic: TopicBisphosphonate5yReview, Indicator: Warning, Keys: []string{keyReferralOsteoporosis}, Recommended: []string{keyReferralOsteoporosis}}
	tests := []struct {
		name string
		f    Facts
		th   Thresholds
		want want
	}{
		{"neck T -2.4, no fracture, no risk factor -> stop (drug holiday)", base(), DefaultThresholds(),
			want{stopCard, [3]criterionState{criterionNotMet, criterionNotMet, criterionNotMet}}},
		{"neck T -2.5 (at threshold, ≤ chosen over the seed's <) -> continue", with(func(f *Facts) { f.DXA = []DXAMeasurement{rdHipT(-2.5, rdDay("2025-05-20"))} }), DefaultThresholds(),
			want{continueCard, [3]criterionState{criterionNotMet, criterionMet, criterionNotMet}}},
		{"neck T -2.6 -> continue", with(func(f *Facts) { f.DXA = []DXAMeasurement{rdHipT(-2.6, rdDay("2025-05-20"))} }), DefaultThresholds(),
			want{continueCard, [3]criterionState{criterionNotMet, criterionMet, criterionNotMet}}},
		{"spine T -3.0 but neck -2.4: the hip decides -> stop", with(func(f *Facts) {
			f.DXA = append(f.DXA, DXAMeasurement{Source: "Observation/spine", Site: SiteLumbarSpine, Measure: TScore, Value: -3.0, Date: rdDay("2025-05-20")})
		}), DefaultThresholds(), want{stopCard, [3]criterionState{criterionNotMet, criterionNotMet, criterionNotMet}}},
		{"prednisolone 7.5 mg/day active -> continue", with(func(f *Facts) { f.Medications = append(f.Medications, pred(7.5)) }), DefaultThresholds(),
			want{continueCard, [3]criterionState{criterionNotMet, criterionNotMet, criterionMet}}},
		{"prednisolone 7.4 mg/day -> stop", with(func(f *Facts) { f.Medications = append(f.Medications, pred(7.4)) }), DefaultThresholds(),
			want{stopCard, [3]criterionState{criterionNotMet, criterionNotMet, criterionNotMet}}},
		{"dexamethasone 1.5 mg/day (= 10 mg prednisolone) -> continue", with(func(f *Facts) {
			m := pred(1.5)
			m.Name = "dexamethasone"
			f.Medications = append(f.Medications, m)
		}), DefaultThresholds(), want{continueCard, [3]criterionState{criterionNotMet, criterionNotMet, criterionMet}}},
		{"systemic glucocorticoid of unknown dose -> uncertain, still stop", with(func(f *Facts) { f.Medications = append(f.Medications, pred(0)) }), DefaultThresholds(),
			want{stopCard, [3]criterionState{criterionNotMet, criterionNotMet, criterionUncertain}}},
		{"wrist fracture during treatment -> switch (referral)", with(func(f *Facts) { f.Conditions = []Condition{newFracture} }), DefaultThresholds(),
			want{switchCard, [3]criterionState{criterionMet, criterionNotMet, criterionNotMet}}},
		{"hip fracture before the start (the index fracture) is not new -> stop", with(func(f *Facts) {
			f.Conditions = []Condition{{Source: "Condition/hip", Concepts: []Concept{ConceptFracture, ConceptHipFracture}, Onset: rdDay("2020-03-10")}}
		}), DefaultThresholds(), want{stopCard, [3]criterionState{criterionNotMet, criterionNotMet, criterionNotMet}}},
		{"grade-1 VFA deformity, default -> uncertain, stop", with(func(f *Facts) { f.Conditions = []Condition{grade1} }), DefaultThresholds(),
			want{stopCard, [3]criterionState{criterionUncertain, criterionNotMet, criterionNotMet}}},
		{"grade-1 VFA deformity with VFA_GRADE1_COUNTS -> switch", with(func(f *Facts) { f.Conditions = []Condition{grade1} }), grade1Counts,
			want{switchCard, [3]criterionState{criterionMet, criterionNotMet, criterionNotMet}}},
		{"no DXA -> hip unknown: DXA+VFA recommended, stop not recommended", with(func(f *Facts) { f.DXA = nil }), DefaultThresholds(),
			want{rdCard{Topic: TopicBisphosphonate5yReview, Indicator: Warning, Keys: []string{keyBPStopHoliday, keyBPContinue, KeyOrderDXA}, Recommended: []string{KeyOrderDXA}},
				[3]criterionState{criterionNotMet, criterionUnknown, criterionNotMet}}},
		{"hip DXA 13 months old -> unknown, DXA suggested", with(func(f *Facts) { f.DXA = []DXAMeasurement{rdHipT(-2.6, rdDay("2024-05-01"))} }), DefaultThresholds(),
			want{rdCard{Topic: TopicBisphosphonate5yReview, Indicator: Warning, Keys: []string{keyBPStopHoliday, keyBPContinue, KeyOrderDXA}, Recommended: []string{KeyOrderDXA}},
				[3]criterionState{criterionNotMet, criterionUnknown, criterionNotMet}}},
		{"no ALP/eGFR in 180 days -> lab panel with ALP and eGFR", with(func(f *Facts) { f.Labs = nil }), DefaultThresholds(),
			want{rdCard{Topic: TopicBisphosphonate5yReview, Indicator: Warning, Keys: []string{keyBPStopHoliday, keyBPContinue, KeyOrderLabPanel}, Recommended: []string{keyBPStopHoliday, KeyOrderLabPanel}},
				[3]criterionState{criterionNotMet, criterionNotMet, criterionNotMet}}},
		{"order-sign of an alendronate renewal -> review", with(func(f *Facts) { f.Hook = OrderSign; f.Medications = append(f.Medications, rdAlendronateDraft("renew")) }), DefaultThresholds(),
			want{stopCard, [3]criterionState{criterionNotMet, criterionNotMet, criterionNotMet}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rdCards(rdEval(tc.f, tc.th, rdBPRules...))
			if diff := cmp.Diff([]rdCard{tc.want.Card}, got); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
			c := &Context{Facts: tc.f, Thresholds: tc.th}
			crit := c.continuationCriteria(c.bisphosphonateExposure())
			if diff := cmp.Diff(tc.want.Criteria, [3]criterionState{crit.NewFracture, crit.LowHipT, crit.RiskFactor}); diff != "" {
				t.Errorf("criteria (a,b,c) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBisphosphonate5yReviewStopActions(t *testing.T) {
	T := rdDay("2025-06-01")
	f := Facts{AsOf: T, Hook: OrderSign,
		Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2020-04-01")), rdAlendronateDraft("renew")},
		DXA:         []DXAMeasurement{rdHipT(-2.0, rdDay("2025-05-20"))},
		Labs:        []Lab{{Analyte: AnalyteALP, Value: 70, Date: rdDay("2025-05-20")}, {Analyte: AnalyteEGFR, Value: 78, Date: rdDay("2025-05-20")}},
	}
	fs := rdEval(f, DefaultThresholds(), Bisphosphonate5yReview)
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1", len(fs))
	}
	type act struct {
		Type ActionType
		Ref  Ref
		Kind OrderKind
		Date string
	}
	var got []act
	for _, a := range fs[0].Suggestions[0].Actions {
		x := act{Type: a.Type, Ref: a.ResourceID}
		if a.Order != nil {
			x.Kind, x.Date = a.Order.Kind, FormatDate(a.Order.Date)
		}
		got = append(got, x)
	}
	want := []act{
		{Type: Update, Ref: "MedicationRequest/aln", Kind: OrderStopMedication},
		{Type: Delete, Ref: "MedicationRequest/renew"},
		{Type: Create, Kind: OrderFollowUp, Date: "2028-06-01"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stop actions (-want +got):\n%s", diff)
	}
}

func TestBisphosphonate5yReviewSilent(t *testing.T) {
	T := rdDay("2025-06-01")
	stopped := rdAlendronate("aln", rdDay("2018-01-01"))
	stopped.Status, stopped.End = "stopped", rdDay("2024-01-01")
	longAgoZOL := []MedicationRecord{rdZOL("z1", rdDay("2019-01-01")), rdZOL("z2", rdDay("2020-01-01")), rdZOL("z3", rdDay("2021-01-01"))}
	oncologyZOL := []MedicationRecord{rdZOL("z1", rdDay("2024-10-01")), rdZOL("z2", rdDay("2024-11-01")), rdZOL("z3", rdDay("2024-12-01"))}
	for i := range oncologyZOL {
		oncologyZOL[i].StrengthMg = 4
	}
	tests := []struct {
		name string
		f    Facts
	}{
		{"no bisphosphonate", Facts{AsOf: T, Hook: PatientView}},
		{"6 years of alendronate, stopped 2024 (drug holiday: R16's job)", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{stopped}}},
		{"3 infusions, last > 1 year ago (cover ended)", Facts{AsOf: T, Hook: PatientView, Medications: longAgoZOL}},
		{"zoledronic acid 4 mg (oncology) x3", Facts{AsOf: T, Hook: PatientView, Medications: oncologyZOL}},
		{"order-sign without a bisphosphonate draft", Facts{AsOf: T, Hook: OrderSign, Medications: []MedicationRecord{rdAlendronate("aln", rdDay("2019-01-01"))}}},
		{"entered-in-error alendronate record", Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{func() MedicationRecord {
			m := rdAlendronate("aln", rdDay("2019-01-01"))
			m.Status = "entered-in-error"
			return m
		}()}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rdTopics(rdEval(tc.f, DefaultThresholds(), Bisphosphonate5yReview, Bisphosphonate10yMax)); len(got) != 0 {
				t.Errorf("want silence, got %v", got)
			}
		})
	}
}

func TestBisphosphonateCardsTextLimits(t *testing.T) {
	T := rdDay("2025-06-01")
	for _, days := range []int{1826, 3652} {
		for _, f := range rdEval(Facts{AsOf: T, Hook: PatientView, Medications: []MedicationRecord{rdActiveForDays(T, days)}}, DefaultThresholds(), rdBPRules...) {
			rdCheckText(t, f)
		}
	}
}

// rdCheckText checks the card-text contract shared by all rules.
func rdCheckText(t *testing.T, f Finding) {
	t.Helper()
	for lang, s := range map[string]string{"nl": f.Summary.NL, "en": f.Summary.EN} {
		if n := len([]rune(s)); n == 0 || n >= 140 {
			t.Errorf("%s summary (%s) has %d runes, want 1..139: %q", f.Topic, lang, n, s)
		}
	}
	if f.Detail.NL == "" || f.Detail.EN == "" || len(f.Citations) == 0 || len(f.Thresholds) == 0 || len(f.Evidence) == 0 {
		t.Errorf("%s: missing detail, citation, threshold or evidence", f.Topic)
	}
	for _, c := range f.Citations {
		if c.URL == "" {
			t.Errorf("%s: citation %q has no URL", f.Topic, c.Label)
		}
	}
}

// The review card names the exposure by drug: three zoledronic acid
// infusions are "≥3 jaar zoledroninezuur", not "≥5 jaar bisfosfonaat".
func TestBisphosphonate5yReviewSummaryNamesTheDrug(t *testing.T) {
	T := rdDay("2025-06-01")
	facts := func(meds ...MedicationRecord) Facts {
		return Facts{AsOf: T, Hook: PatientView, Medications: meds, DXA: []DXAMeasurement{rdHipT(-2.0, rdDay("2025-05-20"))},
			Labs: []Lab{{Analyte: AnalyteALP, Value: 70, Date: rdDay("2025-05-20")}, {Analyte: AnalyteEGFR, Value: 78, Date: rdDay("2025-05-20")}}}
	}
	tests := []struct {
		name    string
		f       Facts
		wantNL  string
		wantEN  string
		notInNL string
	}{
		{"3 zoledronic acid infusions -> '≥3 jaar zoledroninezuur'",
			facts(rdZOL("z1", rdDay("2022-09-01")), rdZOL("z2", rdDay("2023-09-01")), rdZOL("z3", rdDay("2024-09-01"))),
			"≥3 jaar zoledroninezuur", "≥3 years of zoledronic acid", "5 jaar"},
		{"5 years of alendronate -> '≥5 jaar oraal bisfosfonaat'",
			facts(rdActiveForDays(T, 1830)), "≥5 jaar oraal bisfosfonaat", "≥5 years of oral bisphosphonate", "zoledroninezuur:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fd *Finding
			for _, f := range rdEval(tc.f, DefaultThresholds(), rdBPRules...) {
				if f.Topic == TopicBisphosphonate5yReview {
					f := f
					fd = &f
				}
			}
			if fd == nil {
				t.Fatal("no review card")
			}
			if !strings.Contains(fd.Summary.NL, tc.wantNL) || !strings.Contains(fd.Summary.EN, tc.wantEN) || strings.Contains(fd.Summary.NL, tc.notInNL) {
				t.Errorf("summary %q / %q", fd.Summary.NL, fd.Summary.EN)
			}
		})
	}
}
