package rules

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// r02GC is a systemic glucocorticoid statement from start to end (zero end
// = ongoing, status active).
func r02GC(id, ingredient string, mgPerDay float64, start, end time.Time) MedicationRecord {
	m := MedicationRecord{
		Source: Ref("MedicationStatement/" + id), Kind: KindStatement, Classes: []DrugClass{DrugGlucocorticoidSystemic},
		Code: "ATC H02AB06", Name: ingredient, Status: "active", Start: start, End: end, DailyDoseMg: mgPerDay, Route: "oral",
	}
	if !end.IsZero() && end.Before(rkT) {
		m.Status = "completed"
	}
	return m
}

// r02Pred is prednisolone mg/day, taken for the last days days (ongoing).
func r02Pred(mg float64, days int) MedicationRecord {
	return r02GC("pred", "prednisolone", mg, rkAgo(days-1), time.Time{})
}

func r02Draft(mg float64, supplyDays int) MedicationRecord {
	return MedicationRecord{
		Source: "MedicationRequest/pred-draft", Kind: KindDraftOrder, Classes: []DrugClass{DrugGlucocorticoidSystemic},
		Code: "ATC H02AB06", Name: "prednisolone", Status: "draft", DailyDoseMg: mg, SupplyDays: supplyDays, Route: "oral",
	}
}

// r02Bursts returns n 7-day prednisolone courses, the first ending 10 days
// ago and each earlier one spacing days before the next.
func r02Bursts(n, spacing int) []MedicationRecord {
	var out []MedicationRecord
	for i := 0; i < n; i++ {
		end := rkAgo(10 + i*spacing)
		out = append(out, r02GC("burst-"+itoa(i), "prednisolone", 30, end.AddDate(0, 0, -6), end))
	}
	return out
}

func r02Facts(h Hook, age int, dxa []DXAMeasurement, meds ...MedicationRecord) Facts {
	return Facts{AsOf: rkT, Hook: h, Patient: rkPatient(age, "female"), DXA: dxa, Medications: meds}
}

var (
	r02TierB       = []rkOutcome{{Topic: TopicGlucocorticoidBoneRisk, Indicator: Warning, Suggestions: []string{KeyOrderDXA, KeyOrderLabPanel, KeyOrderCalciumVitaminD, KeyOrderAlendronate70mg}}}
	r02TierBNoDXA  = []rkOutcome{{Topic: TopicGlucocorticoidBoneRisk, Indicator: Warning, Suggestions: []string{KeyOrderLabPanel, KeyOrderCalciumVitaminD, KeyOrderAlendronate70mg}}}
	r02TierA       = []rkOutcome{{Topic: TopicGlucocorticoidBoneRisk, Indicator: Info, Suggestions: []string{KeyOrderDXA}}}
	r02OldDXA      = []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.2, rkT.AddDate(0, -25, 0))}
	r02RecentDXA   = []DXAMeasurement{rkDXA(SiteLumbarSpine, TScore, -1.2, rkT.AddDate(0, -12, 0))}
	r02CalciumVitD = rkMed("calcium-colecalciferol", KindStatement, "active", rkAgo(100), time.Time{}, DrugCalcium, DrugVitaminD)
)

func TestGlucocorticoidBoneRiskFires(t *testing.T) {
	withEnd := func(end time.Time) MedicationRecord {
		return r02GC("pred", "prednisolone", 5, end.AddDate(0, 0, -120), end)
	}
	tests := []struct {
		name  string
		facts Facts
		want  []rkOutcome
	}{
		{"prednisolone 7.5 mg/d for 90 days (both at the boundary) → Tier B warning", r02Facts(PatientView, 60, nil, r02Pred(7.5, 90)), r02TierB},
		{"prednisolone 7.4 mg/d for 90 days (dose just below) → Tier A info", r02Facts(PatientView, 60, nil, r02Pred(7.4, 90)), r02TierA},
		{"prednisolone 20 mg/d for a year → Tier B", r02Facts(PatientView, 70, nil, r02Pred(20, 365)), r02TierB},
		{"dexamethasone 1.5 mg/d (≈ 10 mg prednisolone-eq) → Tier B",
			r02Facts(PatientView, 60, nil, r02GC("dexa", "dexamethasone", 1.5, rkAgo(120), time.Time{})), r02TierB},
		{"hydrocortisone 30 mg/d (= 7.5 mg prednisolone-eq) → Tier B",
			r02Facts(PatientView, 60, nil, r02GC("hc", "hydrocortisone", 30, rkAgo(120), time.Time{})), r02TierB},
		{"hydrocortisone 29 mg/d (< 7.5 mg prednisolone-eq) → Tier A",
			r02Facts(PatientView, 60, nil, r02GC("hc", "hydrocortisone", 29, rkAgo(120), time.Time{})), r02TierA},
		{"ingredient from ATC code when the name is unknown (H02AB02 dexamethasone)",
			r02Facts(PatientView, 60, nil, func() MedicationRecord {
				m := r02GC("x", "", 2, rkAgo(120), time.Time{})
				m.Code = "ATC H02AB02"
				return m
			}()), r02TierB},
		{"Tier B has no age limit (age 30)", r02Facts(PatientView, 30, nil, r02Pred(10, 100)), r02TierB},
		{"Tier A at age 40 (boundary)", r02Facts(PatientView, 40, nil, r02Pred(5, 100)), r02TierA},
		{"dose unknown → Tier A", r02Facts(PatientView, 60, nil, r02Pred(0, 100)), r02TierA},
		{"course ended exactly 90 days ago still counts", r02Facts(PatientView, 60, nil, withEnd(rkAgo(90))), r02TierA},
		{"renewals 30 days apart are one course (50 + 46 days)", r02Facts(PatientView, 60, nil,
			r02GC("a", "prednisolone", 10, rkAgo(124), rkAgo(75)), r02GC("b", "prednisolone", 10, rkAgo(45), time.Time{})), r02TierB},
		{"three 30-day prednisolone prescriptions with 10-day gaps (110 days, GP refills) are one course", r02Facts(PatientView, 60, nil,
			r02GC("p1", "prednisolone", 10, rkAgo(109), rkAgo(80)), r02GC("p2", "prednisolone", 10, rkAgo(69), rkAgo(40)),
			r02GC("p3", "prednisolone", 10, rkAgo(29), rkT)), r02TierB},
		{"planned end date counts (started 10 days ago, planned 91 days)", r02Facts(PatientView, 60, nil,
			r02GC("pred", "prednisolone", 10, rkAgo(10), rkT.AddDate(0, 0, 80))), r02TierB},
		{"4 bursts in the past year at age 50 → Tier A", r02Facts(PatientView, 50, nil, r02Bursts(4, 60)...), r02TierA},
		{"DXA 25 months ago is not recent → Tier A", r02Facts(PatientView, 60, r02OldDXA, r02Pred(5, 100)), r02TierA},
		{"Tier B with a DXA 12 months ago → no new DXA suggested", r02Facts(PatientView, 60, r02RecentDXA, r02Pred(10, 100)), r02TierBNoDXA},
		{"Tier B with calcium/vitamin D in use → no calcium suggestion", r02Facts(PatientView, 60, nil, r02Pred(10, 100), r02CalciumVitD),
			[]rkOutcome{{Topic: TopicGlucocorticoidBoneRisk, Indicator: Warning, Suggestions: []string{KeyOrderDXA, KeyOrderLabPanel, KeyOrderAlendronate70mg}}}},
		{"Tier B with all labs fresh → no lab suggestion", func() Facts {
			f := r02Facts(PatientView, 60, nil, r02Pred(10, 100))
			f.Labs = rkFullLabs(20)
			return f
		}(), []rkOutcome{{Topic: TopicGlucocorticoidBoneRisk, Indicator: Warning, Suggestions: []string{KeyOrderDXA, KeyOrderCalciumVitaminD, KeyOrderAlendronate70mg}}}},
		{"order-sign: draft prednisolone 10 mg for 90 days → Tier B", r02Facts(OrderSign, 60, nil, r02Draft(10, 90)), r02TierB},
		{"order-sign: draft 5 mg for 90 days → Tier A", r02Facts(OrderSign, 60, nil, r02Draft(5, 90)), r02TierA},
		{"order-sign: 30-day renewal continuing 70 days of use", r02Facts(OrderSign, 60, nil, r02Pred(10, 70), r02Draft(10, 30)), r02TierB},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, rkRun(tc.facts, GlucocorticoidBoneRisk)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestGlucocorticoidBoneRiskSilent(t *testing.T) {
	budesonide := MedicationRecord{Source: "MedicationStatement/budesonide", Kind: KindStatement, Classes: []DrugClass{DrugGlucocorticoidLocal},
		Code: "ATC R03BA02", Name: "budesonide", Status: "active", Start: rkT.AddDate(-9, 0, 0), Route: "inhalation"}
	inhaledMarkedSystemic := r02Pred(20, 400)
	inhaledMarkedSystemic.Route = "inhalation"
	dermal := MedicationRecord{Source: "MedicationStatement/betamethasone-cream", Kind: KindStatement, Classes: []DrugClass{DrugGlucocorticoidLocal},
		Code: "ATC D07AC01", Name: "betamethasone", Status: "active", Start: rkAgo(400), DailyDoseMg: 10, Route: "topical"}
	notTaken := r02Pred(20, 200)
	notTaken.Status = "not-taken"
	errored := r02Pred(20, 200)
	errored.Status = "entered-in-error"
	tests := []struct {
		name  string
		facts Facts
	}{
		{"budesonide inhaler for years (S3a: inhaled only)", r02Facts(PatientView, 62, nil, budesonide)},
		{"systemic class but inhalation route", r02Facts(PatientView, 62, nil, inhaledMarkedSystemic)},
		{"dermal corticosteroid", r02Facts(PatientView, 62, nil, dermal)},
		{"prednisolone 7.5 mg/d for 89 days (just too short)", r02Facts(PatientView, 60, nil, r02Pred(7.5, 89))},
		{"Tier A at age 39 (just below)", r02Facts(PatientView, 39, nil, r02Pred(5, 100))},
		{"Tier A with a DXA 12 months ago", r02Facts(PatientView, 60, r02RecentDXA, r02Pred(5, 100))},
		{"course ended 91 days ago", r02Facts(PatientView, 60, nil, r02GC("pred", "prednisolone", 20, rkAgo(300), rkAgo(91)))},
		{"renewals 31 days apart are two courses (50 + 47 days)", r02Facts(PatientView, 60, nil,
			r02GC("a", "prednisolone", 10, rkAgo(126), rkAgo(77)), r02GC("b", "prednisolone", 10, rkAgo(46), time.Time{}))},
		{"3 bursts in the past year", r02Facts(PatientView, 60, nil, r02Bursts(3, 60)...)},
		{"4 bursts, the oldest 13 months ago", r02Facts(PatientView, 60, nil, r02Bursts(4, 125)...)},
		{"Tier B on alendronate", r02Facts(PatientView, 70, nil, r02Pred(20, 400), rkAlendronate())},
		{"record not taken", r02Facts(PatientView, 70, nil, notTaken)},
		{"record entered in error", r02Facts(PatientView, 70, nil, errored)},
		{"patient-view ignores a draft order", r02Facts(PatientView, 60, nil, r02Draft(10, 90))},
		{"order-sign: draft for 89 days", r02Facts(OrderSign, 60, nil, r02Draft(10, 89))},
		{"order-sign without a glucocorticoid draft", r02Facts(OrderSign, 60, nil, r02Pred(20, 400))},
		{"order-sign: short draft unrelated to an old course", r02Facts(OrderSign, 60, nil,
			r02GC("old", "prednisolone", 20, rkAgo(500), rkAgo(300)), r02Draft(10, 5))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rkRun(tc.facts, GlucocorticoidBoneRisk); len(got) != 0 {
				t.Errorf("want silence, got %+v", got)
			}
		})
	}
}

func TestPrednisoloneEquivalentMg(t *testing.T) {
	tests := []struct {
		name, ingredient, code string
		mg                     float64
		want                   float64
		wantOK                 bool
	}{
		{"prednisolone 1:1", "prednisolone", "", 10, 10, true},
		{"prednisone 1:1", "Prednisone", "", 5, 5, true},
		{"methylprednisolone 4 mg = 5 mg", "methylprednisolone", "", 4, 5, true},
		{"hydrocortisone 20 mg = 5 mg", "hydrocortisone", "", 20, 5, true},
		{"betamethasone 1 mg = 8.33 mg", "betamethasone", "", 1, 8.33, true},
		{"deflazacort 6 mg ≈ 4.98 mg", "deflazacort", "", 6, 4.98, true},
		{"ATC fallback H02AB04 methylprednisolone", "", "ATC H02AB04", 8, 10, true},
		{"unknown ingredient", "fludrocortisone", "ATC H02AA02", 0.1, 0, false},
		{"unknown dose", "prednisolone", "", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := PrednisoloneEquivalentMg(MedicationRecord{Name: tc.ingredient, Code: tc.code, DailyDoseMg: tc.mg})
			if ok != tc.wantOK || FormatNumber(got) != FormatNumber(tc.want) {
				t.Errorf("got %v %v, want %v %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestGlucocorticoidBoneRiskCardContent(t *testing.T) {
	f := rkOne(t, GlucocorticoidBoneRisk, r02Facts(PatientView, 60, nil, r02GC("dexa", "dexamethasone", 1.5, rkAgo(119), time.Time{})))
	rkContains(t, "summary", f.Summary.EN, "≥7.5 mg/d prednisolone-eq")
	rkContains(t, "thresholds", f.Thresholds[0].EN, "≥ 7.5 mg/day", "for ≥ 90 days")
	if f.Citations[0] != CiteRisedronateGIOP {
		t.Errorf("Tier B cites %v first", f.Citations[0])
	}
	wantEv := []Evidence{
		{Label: Text{NL: "Leeftijd", EN: "Age"}, Value: "60", UnitText: Text{NL: "jaar", EN: "years"}},
		{Label: Text{NL: "Aaneengesloten gebruik (incl. gepland)", EN: "Continuous use (planned part included)"}, ValueText: Text{NL: "120 dagen", EN: "120 days"}, Date: rkAgo(119)},
		{Label: Text{NL: "Systemisch glucocorticoïd", EN: "Systemic glucocorticoid"}, ValueText: Text{NL: "dexamethasone 1,5 mg/dag = 10 mg/dag prednisolonequivalent", EN: "dexamethasone 1.5 mg/day = 10 mg/day prednisolone equivalent"}, Date: rkAgo(119), Source: "MedicationStatement/dexa"},
	}
	if diff := cmp.Diff(wantEv, f.Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	alendronate := f.Suggestions[len(f.Suggestions)-1]
	if alendronate.Recommended {
		t.Error("the bisphosphonate is only to consider: not recommended")
	}

	bursts := rkOne(t, GlucocorticoidBoneRisk, r02Facts(PatientView, 50, nil, r02Bursts(4, 60)...))
	rkContains(t, "burst summary", bursts.Summary.EN, "≥4 glucocorticoid bursts in 12 months")
	rkContains(t, "burst detail", bursts.Detail.EN, "4 systemic glucocorticoid bursts")

	unknown := rkOne(t, GlucocorticoidBoneRisk, r02Facts(PatientView, 60, nil, r02Pred(0, 100)))
	rkContains(t, "dose unknown", unknown.Detail.EN, "was not assessed")
}

// Tier B and vitamin-d-deficiency both offer calcium/vitamin D: the whole
// catalog suggests it once.
func TestGlucocorticoidBoneRiskCalciumSuggestedOnce(t *testing.T) {
	f := r02Facts(PatientView, 60, nil, r02Pred(10, 100))
	f.Labs = []Lab{rkLab(AnalyteVitaminD, 30, rkAgo(10))}
	n := 0
	for _, fd := range Evaluate(f, DefaultThresholds()) {
		for _, s := range fd.Suggestions {
			if s.Key == KeyOrderCalciumVitaminD {
				n++
			}
		}
	}
	if n != 1 {
		t.Errorf("calcium/vitamin D suggested %d times, want 1", n)
	}
}
