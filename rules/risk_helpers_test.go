package rules

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Test helpers for R02, R03, R05, R06, R07 and R26 (prefix rk).

// rkDate parses an ISO date (YYYY-MM-DD).
func rkDate(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// rkT is the evaluation date of the synthetic (non-seed) cases.
var rkT = rkDate("2025-06-01")

// rkAgo returns rkT minus n days.
func rkAgo(n int) time.Time { return rkT.AddDate(0, 0, -n) }

// rkBorn returns a birth date giving age years at rkT (birthday today).
func rkBorn(years int) time.Time { return rkT.AddDate(-years, 0, 0) }

func rkPatient(age int, gender string) Patient {
	return Patient{ID: "p", BirthDate: rkBorn(age), Gender: gender}
}

func rkDXA(site Site, m Measure, v float64, date time.Time) DXAMeasurement {
	return DXAMeasurement{Source: Ref("Observation/dxa-" + string(site) + "-" + string(m)), Site: site, Measure: m, Value: v, Date: date}
}

func rkLab(a Analyte, v float64, date time.Time) Lab {
	return Lab{Source: Ref("Observation/lab-" + string(a)), Analyte: a, Value: v, Date: date}
}

// rkFullLabs returns every core pre-treatment analyte, dated daysAgo.
func rkFullLabs(daysAgo int) []Lab {
	return []Lab{
		rkLab(AnalyteCalcium, 2.3, rkAgo(daysAgo)),
		rkLab(AnalyteAlbumin, 40, rkAgo(daysAgo)),
		rkLab(AnalyteEGFR, 75, rkAgo(daysAgo)),
		rkLab(AnalyteTSH, 1.5, rkAgo(daysAgo)),
		rkLab(AnalyteVitaminD, 70, rkAgo(daysAgo)),
		rkLab(AnalyteALP, 80, rkAgo(daysAgo)),
	}
}

func rkFracture(id string, onset time.Time, concepts ...Concept) Condition {
	return Condition{Source: Ref("Condition/" + id), Concepts: append([]Concept{ConceptFracture}, concepts...), Code: "fracture " + id, Onset: onset, Active: true}
}

func rkVertebral(id string, onset time.Time, grade int) Condition {
	return Condition{Source: Ref("Condition/" + id), Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Code: "vertebral fracture " + id, Onset: onset, Active: true, GenantGrade: grade}
}

func rkMed(id string, kind RecordKind, status string, start, end time.Time, classes ...DrugClass) MedicationRecord {
	return MedicationRecord{Source: Ref("MedicationStatement/" + id), Kind: kind, Status: status, Start: start, End: end, Classes: classes, Name: id, Code: "code " + id}
}

func rkAlendronate() MedicationRecord {
	return rkMed("alendronic acid", KindStatement, "active", rkAgo(400), time.Time{}, DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate)
}

// rkOutcome is what the table tests compare: topic, indicator and the
// suggestion keys of a finding.
type rkOutcome struct {
	Topic       string
	Indicator   Indicator
	Suggestions []string
}

// rkRun evaluates rules on f with th and returns the outcomes of the
// findings of those rules (insufficient-data excluded).
func rkRunWith(f Facts, th Thresholds, rules ...Rule) []rkOutcome {
	topics := map[string]bool{}
	for _, r := range rules {
		topics[r.Topic] = true
	}
	var out []rkOutcome
	for _, fd := range EvaluateRules(rules, f, th) {
		if !topics[fd.Topic] {
			continue
		}
		o := rkOutcome{Topic: fd.Topic, Indicator: fd.Indicator}
		for _, s := range fd.Suggestions {
			o.Suggestions = append(o.Suggestions, s.Key)
		}
		out = append(out, o)
	}
	return out
}

func rkRun(f Facts, rules ...Rule) []rkOutcome { return rkRunWith(f, DefaultThresholds(), rules...) }

// rkOne returns the single finding of rule r on f and checks the card
// invariants on it.
func rkOne(t *testing.T, r Rule, f Facts) Finding {
	t.Helper()
	var got []Finding
	for _, fd := range EvaluateRules([]Rule{r}, f, DefaultThresholds()) {
		if fd.Topic == r.Topic {
			got = append(got, fd)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%s: got %d findings, want 1", r.Topic, len(got))
	}
	rkInvariants(t, got[0])
	return got[0]
}

// rkInvariants checks what every card of these rules must satisfy.
func rkInvariants(t *testing.T, f Finding) {
	t.Helper()
	for _, s := range []string{f.Summary.NL, f.Summary.EN} {
		if s == "" || utf8.RuneCountInString(s) >= 140 {
			t.Errorf("%s: summary %q is empty or ≥ 140 runes (%d)", f.Topic, s, utf8.RuneCountInString(s))
		}
	}
	if f.Detail.NL == "" || f.Detail.EN == "" {
		t.Errorf("%s: detail missing in a language", f.Topic)
	}
	if len(f.Evidence) == 0 || len(f.Thresholds) == 0 || len(f.Citations) == 0 {
		t.Errorf("%s: evidence, thresholds and citations are required", f.Topic)
	}
	for _, c := range f.Citations {
		if !strings.HasPrefix(c.URL, "https://") {
			t.Errorf("%s: citation %q without https URL", f.Topic, c.Label)
		}
	}
	for _, e := range f.Evidence {
		if e.Label.NL == "" || e.Label.EN == "" || e.ValueIn("en") == "" {
			t.Errorf("%s: incomplete evidence %+v", f.Topic, e)
		}
	}
	for _, th := range f.Thresholds {
		if th.NL == "" || th.EN == "" {
			t.Errorf("%s: threshold text missing in a language: %+v", f.Topic, th)
		}
	}
	if len(f.Suggestions) > 0 && len(f.OverrideReasons) == 0 {
		t.Errorf("%s: actionable card without override reasons", f.Topic)
	}
}

// rkContains fails when text does not contain every part.
func rkContains(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(text, p) {
			t.Errorf("%s: %q does not contain %q", what, text, p)
		}
	}
}

func rkNotContains(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(text, p) {
			t.Errorf("%s: %q contains %q", what, text, p)
		}
	}
}
