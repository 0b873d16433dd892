package rules

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Test builders for the bisphosphonate and lab rules (R11–R17). Names carry
// the prefix rd to stay clear of other rule files' test helpers.

func rdDay(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// rdAlendronate is an active alendronate prescription started on start.
func rdAlendronate(id string, start time.Time) MedicationRecord {
	return MedicationRecord{
		Source: Ref("MedicationRequest/" + id), Kind: KindRequest,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
		Code:    "ATC M05BA04", Name: "alendronic acid", Status: "active", Start: start,
	}
}

// rdAlendronateDraft is an alendronate renewal in context.draftOrders.
func rdAlendronateDraft(id string) MedicationRecord {
	return MedicationRecord{
		Source: Ref("MedicationRequest/" + id), Kind: KindDraftOrder,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
		Code:    "ATC M05BA04", Name: "alendronic acid", Status: "draft",
	}
}

// rdZOL is one zoledronic acid 5 mg infusion on date.
func rdZOL(id string, date time.Time) MedicationRecord {
	return MedicationRecord{
		Source: Ref("MedicationAdministration/" + id), Kind: KindAdministration,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid},
		Code:    "ATC M05BA08", Name: "zoledronic acid", Status: "completed", Start: date,
		SingleDose: true, StrengthMg: 5,
	}
}

// rdActiveForDays is an active alendronate prescription with exactly days
// of exposure at asOf (the first and the last day both count).
func rdActiveForDays(asOf time.Time, days int) MedicationRecord {
	return rdAlendronate("aln", asOf.AddDate(0, 0, -(days-1)))
}

func rdHipT(v float64, date time.Time) DXAMeasurement {
	return DXAMeasurement{Source: "Observation/neck-t", Site: SiteFemoralNeck, Measure: TScore, Value: v, Date: date, Code: "LOINC 38263-0"}
}

func rdTopics(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Topic)
	}
	return out
}

// rdEval evaluates one rule (plus the rules it must coexist with).
func rdEval(f Facts, th Thresholds, rules ...Rule) []Finding {
	return EvaluateRules(rules, f, th)
}

// rdCard is what the bisphosphonate tests assert about a finding.
type rdCard struct {
	Topic       string
	Indicator   Indicator
	Keys        []string
	Recommended []string
}

func rdCards(fs []Finding) []rdCard {
	var out []rdCard
	for _, f := range fs {
		if f.Topic == TopicInsufficientData {
			continue
		}
		c := rdCard{Topic: f.Topic, Indicator: f.Indicator}
		for _, s := range f.Suggestions {
			c.Keys = append(c.Keys, s.Key)
			if s.Recommended {
				c.Recommended = append(c.Recommended, s.Key)
			}
		}
		out = append(out, c)
	}
	return out
}

func TestYearsInDays(t *testing.T) {
	for _, tc := range []struct{ years, want int }{{3, 1095}, {5, 1826}, {6, 2191}, {10, 3652}} {
		if got := yearsInDays(tc.years); got != tc.want {
			t.Errorf("yearsInDays(%d) = %d, want %d", tc.years, got, tc.want)
		}
	}
}

func TestBisphosphonateExposure(t *testing.T) {
	T := rdDay("2025-06-01")
	zol4 := rdZOL("z4", rdDay("2024-01-10"))
	zol4.StrengthMg = 4
	notGiven := rdZOL("zx", rdDay("2024-06-10"))
	notGiven.Status = "not-done"
	twice := rdZOL("z2-stmt", rdDay("2023-01-10"))
	twice.Kind = KindStatement
	tests := []struct {
		name          string
		meds          []MedicationRecord
		wantOralDays  int
		wantInfusions int
		wantEnd       time.Time
	}{
		{"active alendronate 1826 days", []MedicationRecord{rdActiveForDays(T, 1826)}, 1826, 0, T},
		{"two prescriptions 60 days apart merge (gap ≤ 90)", []MedicationRecord{
			{Source: "MedicationRequest/a1", Kind: KindRequest, Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral}, Status: "completed", Start: rdDay("2020-01-01"), End: rdDay("2020-12-31")},
			{Source: "MedicationRequest/a2", Kind: KindRequest, Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral}, Status: "completed", Start: rdDay("2021-03-01"), End: rdDay("2021-12-31")},
		}, 731, 0, rdDay("2021-12-31")}, // a merged episode counts its gap
		{"zoledronic acid: statement and administration of one infusion count once; 4 mg and not-done do not count",
			[]MedicationRecord{rdZOL("z1", rdDay("2022-01-10")), rdZOL("z2", rdDay("2023-01-10")), twice, zol4, notGiven}, 0, 2, rdDay("2024-01-10")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Context{Facts: Facts{AsOf: T, Medications: tc.meds}, Thresholds: DefaultThresholds()}
			e := c.bisphosphonateExposure()
			got := []any{e.OralDays, len(e.Infusions), e.End(T)}
			want := []any{tc.wantOralDays, tc.wantInfusions, tc.wantEnd}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("exposure (-want +got):\n%s", diff)
			}
		})
	}
}
