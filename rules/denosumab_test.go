package rules

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// Test helpers shared by the denosumab, teriparatide and anabolic rule
// tests (R18–R22). Names carry a dmab/rb prefix so that they do not clash
// with helpers in other rule tests of this package.

// dmabT is the evaluation date of seed case S5 (rules.md §5.2).
var dmabT = time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)

func rbDay(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// rbDaysAgo is the calendar day n days before dmabT.
func rbDaysAgo(n int) time.Time { return dmabT.Truncate(day).AddDate(0, 0, -n) }

// dmabAdmin is a MedicationAdministration of Prolia 60 mg.
func dmabAdmin(id string, when time.Time) MedicationRecord {
	return MedicationRecord{
		Source: Ref("MedicationAdministration/" + id), Kind: KindAdministration,
		Classes: []DrugClass{DrugDenosumab}, Code: "ATC M05BX04", Name: "denosumab",
		Status: "completed", Start: when, SingleDose: true, StrengthMg: 60, Route: "subcutaneous",
	}
}

// dmabDoseStatement is a MedicationStatement with only effectiveDateTime.
func dmabDoseStatement(id, status string, when time.Time) MedicationRecord {
	m := dmabAdmin(id, when)
	m.Source, m.Kind, m.Status = Ref("MedicationStatement/"+id), KindStatement, status
	return m
}

// dmabRequest is a MedicationRequest per dispense (authoredOn = when).
func dmabRequest(id, status string, when time.Time) MedicationRecord {
	m := dmabAdmin(id, when)
	m.Source, m.Kind, m.Status, m.SingleDose = Ref("MedicationRequest/"+id), KindRequest, status, false
	return m
}

// dmabTherapy is a therapy-level MedicationStatement with effectivePeriod.
func dmabTherapy(id, status string, start, end time.Time) MedicationRecord {
	m := dmabAdmin(id, start)
	m.Source, m.Kind, m.Status, m.SingleDose, m.End = Ref("MedicationStatement/"+id), KindStatement, status, false, end
	return m
}

// dmabDraft is a denosumab MedicationRequest in context.draftOrders.
func dmabDraft(id, status string) MedicationRecord {
	m := dmabAdmin(id, time.Time{})
	m.Source, m.Kind, m.Status, m.SingleDose = Ref("MedicationRequest/"+id), KindDraftOrder, status, false
	return m
}

// xgeva makes a record the 120 mg oncology product.
func xgeva(m MedicationRecord) MedicationRecord {
	m.StrengthMg = 120
	m.Name = "denosumab"
	return m
}

// zolRecord is zoledronic acid 5 mg IV.
func zolRecord(id string, kind RecordKind, status string, start, planned time.Time) MedicationRecord {
	typ := "MedicationRequest/"
	if kind == KindAdministration {
		typ = "MedicationAdministration/"
	}
	return MedicationRecord{
		Source: Ref(typ + id), Kind: kind,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid},
		Code:    "ATC M05BA08", Name: "zoledronic acid", Status: status, Start: start, PlannedDate: planned,
		SingleDose: kind == KindAdministration, StrengthMg: 5, Route: "intravenous",
	}
}

// alendronate is a weekly alendronic acid statement.
func alendronate(id, status string, start, end time.Time) MedicationRecord {
	return MedicationRecord{
		Source: Ref("MedicationStatement/" + id), Kind: KindStatement,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
		Code:    "ATC M05BA04", Name: "alendronic acid", Status: status, Start: start, End: end, Route: "oral",
	}
}

// rbFacts builds facts at dmabT for hook h.
func rbFacts(h Hook, meds ...MedicationRecord) Facts {
	return Facts{
		AsOf:        dmabT,
		Hook:        h,
		Patient:     Patient{ID: "p1", BirthDate: rbDay("1950-03-01"), Gender: "female"},
		Medications: meds,
	}
}

// rbOutcome is what the tests assert of a finding: topic, urgency and the
// orders each suggestion would place.
type rbOutcome struct {
	Topic     string
	Indicator Indicator
	// Suggestions lists each suggestion as its key and its actions, e.g.
	// "create zoledronic-acid-5mg-iv 2025-07-07" or "delete MedicationRequest/x".
	Suggestions map[string][]string
}

func rbOutcomes(findings []Finding) []rbOutcome {
	var out []rbOutcome
	for _, f := range findings {
		o := rbOutcome{Topic: f.Topic, Indicator: f.Indicator}
		for _, s := range f.Suggestions {
			if o.Suggestions == nil {
				o.Suggestions = map[string][]string{}
			}
			var acts []string
			for _, a := range s.Actions {
				switch {
				case a.Order != nil && a.Order.Kind == OrderMedication:
					when := "now"
					if !a.Order.Date.IsZero() {
						when = FormatDate(a.Order.Date)
					}
					acts = append(acts, string(a.Type)+" "+string(a.Order.Drug)+" "+when)
				case a.Order != nil:
					acts = append(acts, string(a.Type)+" "+string(a.Order.Kind)+" "+string(a.ResourceID))
				default:
					acts = append(acts, string(a.Type)+" "+string(a.ResourceID))
				}
			}
			o.Suggestions[s.Key] = acts
		}
		out = append(out, o)
	}
	return out
}

// rbEval evaluates the given rules with th and checks the card invariants
// on every finding.
func rbEval(t *testing.T, f Facts, th Thresholds, rules ...Rule) []Finding {
	t.Helper()
	got := EvaluateRules(rules, f, th)
	for _, fd := range got {
		rbCheckInvariants(t, fd)
	}
	return got
}

// rbCheckInvariants checks what every card of these rules must satisfy.
func rbCheckInvariants(t *testing.T, f Finding) {
	t.Helper()
	for _, s := range []string{f.Summary.NL, f.Summary.EN} {
		if s == "" || utf8.RuneCountInString(s) >= 140 {
			t.Errorf("%s: summary %q empty or ≥ 140 runes", f.Topic, s)
		}
	}
	if f.Topic == TopicInsufficientData {
		return
	}
	if f.Detail.NL == "" || f.Detail.EN == "" {
		t.Errorf("%s: detail missing in a language", f.Topic)
	}
	if len(f.Evidence) == 0 || len(f.Thresholds) == 0 || len(f.Citations) == 0 {
		t.Errorf("%s: evidence, thresholds and citations are required", f.Topic)
	}
	for _, c := range f.Citations {
		if !strings.HasPrefix(c.URL, "https://") {
			t.Errorf("%s: citation %q has no https URL", f.Topic, c.Label)
		}
	}
	if len(f.Suggestions) > 0 && len(f.OverrideReasons) == 0 {
		t.Errorf("%s: actionable card without override reasons", f.Topic)
	}
	all := strings.ToLower(f.Summary.NL + f.Summary.EN + f.Detail.NL + f.Detail.EN)
	for _, s := range f.Suggestions {
		all += strings.ToLower(s.Label.NL + s.Label.EN)
		for _, a := range s.Actions {
			if a.Order != nil && (a.Order.Drug == DrugOrderAlendronate70mg || a.Order.Drug == DrugOrderRisedronate35mg) {
				t.Errorf("%s: suggests an oral bisphosphonate (%s)", f.Topic, a.Order.Drug)
			}
		}
	}
	for _, banned := range []string{"holiday", "vakantie"} {
		if strings.Contains(all, banned) {
			t.Errorf("%s: card text contains %q", f.Topic, banned)
		}
	}
}

func TestDenosumabDoses(t *testing.T) {
	tests := []struct {
		name     string
		meds     []MedicationRecord
		wantLast string // date of the last injection, "" when none
		wantWeak bool
		wantN    int
	}{
		{
			name:     "administrations every 6 months -> one injection each, last is the latest",
			meds:     []MedicationRecord{dmabAdmin("a1", rbDay("2024-06-01")), dmabAdmin("a2", rbDay("2024-12-01"))},
			wantLast: "2024-12-01", wantN: 2,
		},
		{
			name:     "prescription then administration of the same injection -> one injection dated by the administration",
			meds:     []MedicationRecord{dmabRequest("r1", "completed", rbDay("2024-11-20")), dmabAdmin("a1", rbDay("2024-12-01"))},
			wantLast: "2024-12-01", wantN: 1,
		},
		{
			name:     "administration then a later prescription for the next dose weeks after -> administration still dates it",
			meds:     []MedicationRecord{dmabAdmin("a1", rbDay("2024-12-01")), dmabRequest("r1", "active", rbDay("2024-12-20"))},
			wantLast: "2024-12-01", wantN: 1,
		},
		{
			name:     "only prescriptions -> dated by authoredOn and flagged weak",
			meds:     []MedicationRecord{dmabRequest("r1", "completed", rbDay("2024-06-01")), dmabRequest("r2", "completed", rbDay("2024-12-01"))},
			wantLast: "2024-12-01", wantWeak: true, wantN: 2,
		},
		{
			name:     "single-dose statement counts as a dose",
			meds:     []MedicationRecord{dmabDoseStatement("s1", "completed", rbDay("2024-12-01"))},
			wantLast: "2024-12-01", wantN: 1,
		},
		{
			name: "not-taken statement, not-done administration, cancelled and draft requests are no dose",
			meds: []MedicationRecord{
				dmabDoseStatement("s1", "not-taken", rbDay("2024-12-01")),
				func() MedicationRecord { m := dmabAdmin("a1", rbDay("2024-12-02")); m.Status = "not-done"; return m }(),
				dmabRequest("r1", "cancelled", rbDay("2024-12-03")),
				dmabRequest("r2", "draft", rbDay("2024-12-04")),
				dmabDraft("d1", "draft"),
			},
			wantN: 0,
		},
		{
			name:  "therapy-level statement (effectivePeriod) dates no injection",
			meds:  []MedicationRecord{dmabTherapy("t1", "active", rbDay("2020-07-05"), time.Time{})},
			wantN: 0,
		},
		{
			name:  "Xgeva 120 mg is not an osteoporosis injection",
			meds:  []MedicationRecord{xgeva(dmabAdmin("a1", rbDay("2025-05-01")))},
			wantN: 0,
		},
		{
			name:     "administration dated after T is ignored",
			meds:     []MedicationRecord{dmabAdmin("a1", rbDay("2024-12-01")), dmabAdmin("a2", rbDay("2025-07-01"))},
			wantLast: "2024-12-01", wantN: 1,
		},
		{
			name: "entered-in-error administration is ignored",
			meds: []MedicationRecord{dmabAdmin("a1", rbDay("2024-12-01")), func() MedicationRecord {
				m := dmabAdmin("a2", rbDay("2025-05-01"))
				m.Status = "entered-in-error"
				return m
			}()},
			wantLast: "2024-12-01", wantN: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Context{Facts: rbFacts(PatientView, tc.meds...), Thresholds: DefaultThresholds()}
			doses := denosumabDoses(c)
			last, ok := lastDmabDose(doses)
			gotLast := ""
			if ok {
				gotLast = FormatDate(last.Date)
			}
			type res struct {
				Last string
				Weak bool
				N    int
			}
			if diff := cmp.Diff(res{tc.wantLast, tc.wantWeak, tc.wantN}, res{gotLast, last.Weak, len(doses)}); diff != "" {
				t.Errorf("doses (-want +got):\n%s", diff)
			}
		})
	}
}

// Denosumab of unknown strength given every 4 weeks is the Xgeva 120 mg
// (oncology) pattern: no osteoporosis denosumab cards, and the unknown
// product is reported as insufficient data.
func TestDenosumabUnknownStrengthFourWeeklyIsOncology(t *testing.T) {
	unknown := func(id string, daysAgo int) MedicationRecord {
		m := dmabAdmin(id, rbDaysAgo(daysAgo))
		m.StrengthMg = 0
		return m
	}
	rules := []Rule{DenosumabDoseOverdue, DenosumabNoStopWithoutFollowup, Denosumab5yReview}
	t.Run("unknown strength every 28 days, last 320 days ago -> no overdue card, product unknown noted", func(t *testing.T) {
		f := rbFacts(PatientView, unknown("x1", 376), unknown("x2", 348), unknown("x3", 320))
		var topics []string
		note := false
		for _, fd := range EvaluateRules(rules, f, DefaultThresholds()) {
			topics = append(topics, fd.Topic)
			note = note || fd.Topic == TopicInsufficientData && strings.Contains(fd.Detail.NL, "denosumab product (60 of 120 mg) onbekend")
		}
		if len(topics) != 1 || !note {
			t.Errorf("got %v (note %v), want only the insufficient-data note", topics, note)
		}
	})
	t.Run("unknown strength every 6 months, last 320 days ago -> still Prolia: critical overdue", func(t *testing.T) {
		f := rbFacts(PatientView, unknown("p1", 686), unknown("p2", 503), unknown("p3", 320))
		found := false
		for _, fd := range EvaluateRules(rules, f, DefaultThresholds()) {
			found = found || fd.Topic == TopicDenosumabDoseOverdue && fd.Indicator == Critical
			if fd.Topic == TopicInsufficientData && strings.Contains(fd.Detail.NL, "60 of 120 mg") {
				t.Errorf("6-monthly pattern reported as unknown product")
			}
		}
		if !found {
			t.Error("6-monthly unknown-strength denosumab must be treated as Prolia")
		}
	})
	t.Run("administration and statement of one injection 3 days apart are not a 4-weekly pattern", func(t *testing.T) {
		st := dmabDoseStatement("s1", "completed", rbDaysAgo(317))
		st.StrengthMg = 0
		f := rbFacts(PatientView, unknown("p1", 503), unknown("p2", 320), st)
		found := false
		for _, fd := range EvaluateRules(rules, f, DefaultThresholds()) {
			found = found || fd.Topic == TopicDenosumabDoseOverdue
		}
		if !found {
			t.Error("one injection recorded twice must not turn Prolia into oncology")
		}
	})
}
