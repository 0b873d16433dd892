package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func dxaAt(site Site, m Measure, v float64, date string) DXAMeasurement {
	return DXAMeasurement{Source: Ref("Observation/" + string(site) + "-" + string(m) + "-" + date), Site: site, Measure: m, Value: v, Date: rbDay(date)}
}

// pointSummary is what a DXA point says, without its source.
type pointSummary struct {
	Date                                 string
	ChangePct                            float64
	HasChange                            bool
	WHO                                  WHOClass
	Significant, Implausible, Unreliable bool
}

func summarise(s DXASeries) []pointSummary {
	var out []pointSummary
	for _, p := range s.Points {
		out = append(out, pointSummary{FormatDate(p.Date), p.ChangePct, p.HasChange, p.WHO, p.Significant, p.Implausible, p.Unreliable})
	}
	return out
}

func TestBuildTimelineDXAChangesAsTheRulesJudgeThem(t *testing.T) {
	facts := rbFacts(PatientView)
	facts.DXA = []DXAMeasurement{
		// Casus 3: spine +8.0 % (> 3 %), femoral neck +4.5 % (> 4 %).
		dxaAt(SiteLumbarSpine, BMD, 0.800, "2020-04-15"),
		dxaAt(SiteLumbarSpine, BMD, 0.864, "2025-05-20"),
		dxaAt(SiteLumbarSpine, TScore, -2.6, "2025-05-20"),
		dxaAt(SiteFemoralNeck, BMD, 0.620, "2020-04-15"),
		dxaAt(SiteFemoralNeck, BMD, 0.648, "2025-05-20"),
		dxaAt(SiteFemoralNeck, TScore, -2.4, "2025-05-20"),
		// Total hip: +3.9 % is within the 4 % LSC, then +14.1 % is
		// implausible (> 10 %).
		dxaAt(SiteTotalHip, BMD, 0.700, "2018-01-10"),
		dxaAt(SiteTotalHip, BMD, 0.727, "2020-04-15"),
		dxaAt(SiteTotalHip, BMD, 0.830, "2025-05-20"),
		dxaAt(SiteTotalHip, TScore, -0.9, "2025-05-20"),
	}
	tl := BuildTimeline(facts, DefaultThresholds())
	want := map[Site][]pointSummary{
		SiteLumbarSpine: {{Date: "2020-04-15"}, {Date: "2025-05-20", ChangePct: 8.0, HasChange: true, WHO: WHOOsteoporosis, Significant: true}},
		SiteFemoralNeck: {{Date: "2020-04-15"}, {Date: "2025-05-20", ChangePct: 4.5, HasChange: true, WHO: WHOOsteopenia, Significant: true}},
		SiteTotalHip: {{Date: "2018-01-10"}, {Date: "2020-04-15", ChangePct: 3.9, HasChange: true},
			{Date: "2025-05-20", ChangePct: 14.2, HasChange: true, WHO: WHONormal, Significant: true, Implausible: true}},
	}
	got := map[Site][]pointSummary{}
	var order []Site
	for _, s := range tl.Series {
		got[s.Site] = summarise(s)
		order = append(order, s.Site)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DXA points (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Site{SiteLumbarSpine, SiteTotalHip, SiteFemoralNeck}, order); diff != "" {
		t.Errorf("series order (-want +got):\n%s", diff)
	}
}

func TestBuildTimelineSpineUnreliableAfterVertebralFracture(t *testing.T) {
	facts := rbFacts(PatientView)
	facts.DXA = []DXAMeasurement{dxaAt(SiteLumbarSpine, BMD, 0.853, "2022-07-05"), dxaAt(SiteLumbarSpine, BMD, 0.878, "2025-05-08")}
	facts.Conditions = []Condition{{Source: "Condition/l1", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Onset: rbDay("2025-04-25"), Active: true}}
	tl := BuildTimeline(facts, DefaultThresholds())
	got := summarise(tl.Series[0])
	if got[0].Unreliable || !got[1].Unreliable {
		t.Errorf("points %+v: want only the measurement after the L1 fracture unreliable", got)
	}
}

func TestBuildTimelineDenosumabDueDates(t *testing.T) {
	th := DefaultThresholds()
	last := rbDaysAgo(242) // S5b: warning range
	facts := rbFacts(PatientView, dmabAdmin("a1", last.AddDate(0, 0, -182)), dmabAdmin("a2", last))
	tl := BuildTimeline(facts, th)
	if tl.Denosumab == nil {
		t.Fatal("no denosumab course")
	}
	dm := *tl.Denosumab
	due := last.AddDate(0, 0, th.DmabIntervalDays)
	want := DenosumabCourse{
		Doses:        []DenosumabDose{{Date: last.AddDate(0, 0, -182), Source: "MedicationAdministration/a1"}, {Date: last, Source: "MedicationAdministration/a2"}},
		NextDue:      due,
		LateWarning:  due.AddDate(0, 0, th.DmabLateWarningDays),
		LateCritical: due.AddDate(0, 0, th.DmabLateCriticalDays),
		ZolWindow:    last.AddDate(0, 0, th.ZolAfterDmabDays),
		Overdue:      true,
		DaysLate:     DaysBetween(due, dmabT),
	}
	if diff := cmp.Diff(want, dm); diff != "" {
		t.Errorf("denosumab course (-want +got):\n%s", diff)
	}
	if dm.DaysLate != 242-th.DmabIntervalDays {
		t.Errorf("days late %d, want %d", dm.DaysLate, 242-th.DmabIntervalDays)
	}
}

func TestBuildTimelineBisphosphonateMarksAndHoliday(t *testing.T) {
	th := DefaultThresholds()
	start := dmabT.AddDate(-6, 0, 0)
	stop := dmabT.AddDate(-1, 0, 0)
	facts := rbFacts(PatientView, alendronate("aln", "completed", start, stop))
	tl := BuildTimeline(facts, th)
	bp := tl.Bisphosphonate
	if bp == nil {
		t.Fatal("no bisphosphonate course")
	}
	if bp.Active {
		t.Error("a completed course is not active")
	}
	if !bp.End.Equal(stop) || !bp.HolidayReevalAt.Equal(stop.AddDate(th.BPHolidayReevalYears, 0, 0)) {
		t.Errorf("end %s, re-evaluation %s; want %s and %d years later", FormatDate(bp.End), FormatDate(bp.HolidayReevalAt), FormatDate(stop), th.BPHolidayReevalYears)
	}
	// The 5-year mark is the day the exposure reaches 5 years as the rules
	// count them (365.25 days a year, rounded down: day 1826).
	if want := start.AddDate(0, 0, yearsInDays(th.OralBPReviewYears)-1); !bp.ReviewAt.Equal(want) {
		t.Errorf("5-year mark %s, want %s", FormatDate(bp.ReviewAt), FormatDate(want))
	}
	// The course stopped after 5 of 10 years: no 10-year mark.
	if !bp.MaxAt.IsZero() {
		t.Errorf("10-year mark %s for a course stopped after 5 years", FormatDate(bp.MaxAt))
	}
	if tl.Denosumab != nil || len(tl.Teriparatide) != 0 {
		t.Error("no other drug was given")
	}
}
