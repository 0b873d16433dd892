package rules

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var tmT = fxDate("2025-06-01")

func tmALN(start string, status string) MedicationRecord {
	return MedicationRecord{Source: "MedicationStatement/aln", Kind: KindStatement,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
		Code:    "ATC M05BA04", Name: "alendronic acid", Status: status, Start: fxDate(start)}
}

func tmFacts(meds ...MedicationRecord) Facts {
	return Facts{AsOf: tmT, Hook: PatientView, Patient: Patient{ID: "p", BirthDate: fxDate("1950-01-01"), Gender: "female"}, Medications: meds}
}

// tmDmab is a run of denosumab 60 mg injections every 183 days from first,
// n doses.
func tmDmab(first string, n int) []MedicationRecord {
	var out []MedicationRecord
	for i := 0; i < n; i++ {
		out = append(out, MedicationRecord{Source: Ref("MedicationAdministration/dmab-" + itoa(i)), Kind: KindAdministration,
			Classes: []DrugClass{DrugDenosumab}, Code: "ATC M05BX04", Name: "denosumab", Status: "completed",
			Start: fxDate(first).AddDate(0, 0, 183*i), SingleDose: true, StrengthMg: 60})
	}
	return out
}

// tmVisit is the outcome of R27: the due date and the treatment year.
type tmVisit struct {
	Due  string
	Year string
}

func tmRun(f Facts) []tmVisit {
	var out []tmVisit
	for _, fd := range EvaluateRules([]Rule{TreatmentMonitoringSchedule}, f, DefaultThresholds()) {
		if fd.Topic != TopicTreatmentMonitoringSchedule {
			continue
		}
		// The card writes the date as a clinician reads it ("1 Jun 2025");
		// the table below compares ISO dates.
		due, err := time.Parse("2 Jan 2006", fd.Evidence[1].ValueIn("en"))
		if err != nil {
			panic(err)
		}
		v := tmVisit{Due: due.Format(time.DateOnly), Year: "1 month"}
		if strings.HasPrefix(fd.Summary.EN, "Year-") {
			v.Year = strings.SplitN(strings.TrimPrefix(fd.Summary.EN, "Year-"), " ", 2)[0]
		}
		if fd.Indicator != Info {
			v.Year += " (not info!)"
		}
		out = append(out, v)
	}
	return out
}

func TestTreatmentMonitoringScheduleFires(t *testing.T) {
	tests := []struct {
		name  string
		facts Facts
		want  []tmVisit
	}{
		{"alendronate started 1 month ago: 1-month check due today",
			tmFacts(tmALN("2025-05-01", "active")), []tmVisit{{"2025-06-01", "1 month"}}},
		{"1-month check due 30 days ago (edge of the window)",
			tmFacts(tmALN("2025-04-02", "active")), []tmVisit{{"2025-05-02", "1 month"}}},
		{"started 2 days ago: 1-month check due in 29 days",
			tmFacts(tmALN("2025-05-30", "active")), []tmVisit{{"2025-06-30", "1 month"}}},
		{"year-1 check due in 30 days",
			tmFacts(tmALN("2024-07-01", "active")), []tmVisit{{"2025-07-01", "1"}}},
		{"year-2 check due today",
			tmFacts(tmALN("2023-06-01", "active")), []tmVisit{{"2025-06-01", "2"}}},
		{"year-4 check due 30 days ago",
			tmFacts(tmALN("2021-05-02", "active")), []tmVisit{{"2025-05-02", "4"}}},
		{"denosumab run started a year ago (3 injections): year-1 check",
			tmFacts(tmDmab("2024-06-10", 3)...), []tmVisit{{"2025-06-10", "1"}}},
		{"raloxifene started 3 years ago",
			tmFacts(MedicationRecord{Source: "MedicationStatement/ral", Kind: KindStatement, Classes: []DrugClass{DrugSERM}, Name: "raloxifene", Status: "active", Start: fxDate("2022-06-05")}),
			[]tmVisit{{"2025-06-05", "3"}}},
		{"switch: alendronate for 3 years then denosumab started 1 month ago -> the new drug's 1-month check",
			tmFacts(append([]MedicationRecord{tmALN("2022-03-01", "active")}, tmDmab("2025-05-10", 1)...)...), []tmVisit{{"2025-06-10", "1 month"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tmRun(tc.facts)); diff != "" {
				t.Errorf("visits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTreatmentMonitoringScheduleStaysSilent(t *testing.T) {
	stopped := tmALN("2023-06-01", "stopped")
	stopped.End = fxDate("2025-01-01")
	tests := []struct {
		name  string
		facts Facts
	}{
		{"no osteoporosis drug", tmFacts()},
		{"1-month check due 31 days ago", tmFacts(tmALN("2025-04-01", "active"))},
		{"year-1 check due in 31 days", tmFacts(tmALN("2024-07-02", "active"))},
		{"3 months after start (between the 1-month and year-1 windows)", tmFacts(tmALN("2025-03-01", "active"))},
		{"year 5 (bisphosphonate-5y-review owns it)", tmFacts(tmALN("2020-06-01", "active"))},
		{"year 8 (holiday re-evaluation owns it)", tmFacts(tmALN("2017-06-01", "active"))},
		{"alendronate stopped five months ago, would be year 2", tmFacts(stopped)},
		{"denosumab last dose more than 295 days ago (run interrupted)", tmFacts(tmDmab("2023-06-10", 2)...)},
		{"zoledronic acid infusion 1 year ago (not covered)",
			tmFacts(MedicationRecord{Source: "MedicationAdministration/zol", Kind: KindAdministration, Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid},
				Name: "zoledronic acid", Status: "completed", Start: fxDate("2024-06-01"), SingleDose: true, StrengthMg: 5})},
		{"calcium/vitamin D only", tmFacts(MedicationRecord{Source: "MedicationStatement/cavd", Kind: KindStatement, Classes: []DrugClass{DrugCalcium, DrugVitaminD},
			Name: "calcium/colecalciferol", Status: "active", Start: fxDate("2025-05-01")})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tmRun(tc.facts); len(got) != 0 {
				t.Errorf("want no finding, got %+v", got)
			}
		})
	}
	t.Run("order-sign is not a hook of this rule", func(t *testing.T) {
		f := tmFacts(tmALN("2025-05-01", "active"))
		f.Hook = OrderSign
		if got := tmRun(f); len(got) != 0 {
			t.Errorf("want no finding, got %+v", got)
		}
	})
	t.Run("a wider configured window", func(t *testing.T) {
		th := DefaultThresholds()
		if err := th.Set("MONITORING_WINDOW_DAYS", 45); err != nil {
			t.Fatal(err)
		}
		if got := EvaluateRules([]Rule{TreatmentMonitoringSchedule}, tmFacts(tmALN("2025-04-01", "active")), th); len(got) != 1 {
			t.Errorf("31 days after due with a 45-day window: got %d findings", len(got))
		}
	})
}

func TestTreatmentMonitoringScheduleText(t *testing.T) {
	fd := fxFinding(t, TreatmentMonitoringSchedule, tmFacts(tmALN("2025-05-01", "active")))
	want := Text{
		NL: "Controle 1 maand na start alendronic acid (rond 01-06-2025): therapietrouw, inname, bijwerkingen",
		EN: "Check 1 month after starting alendronic acid (due 1 Jun 2025): adherence, intake, side effects",
	}
	if diff := cmp.Diff(want, fd.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	for _, s := range []string{"adherence", "intake instructions", "side effects", "body height", "lifestyle", "NIV guideline (2022)", "3 months and then yearly"} {
		if !strings.Contains(fd.Detail.EN, s) {
			t.Errorf("EN detail lacks %q:\n%s", s, fd.Detail.EN)
		}
	}
	if !strings.Contains(fd.Detail.NL, "na 3 maanden en daarna jaarlijks") {
		t.Errorf("NL detail lacks the NIV alternative:\n%s", fd.Detail.NL)
	}
	if fd.Evidence[0].Source != "MedicationStatement/aln" || !fd.Evidence[0].Date.Equal(fxDate("2025-05-01")) {
		t.Errorf("evidence %+v", fd.Evidence)
	}
	if len(fd.Suggestions) != 0 {
		t.Errorf("want no suggestions, got %+v", fd.Suggestions)
	}
	yr := fxFinding(t, TreatmentMonitoringSchedule, tmFacts(tmALN("2023-06-01", "active")))
	for _, s := range []string{yr.Summary.NL, yr.Summary.EN, fd.Summary.NL, fd.Summary.EN} {
		if utf8.RuneCountInString(s) >= 140 {
			t.Errorf("summary too long: %s", s)
		}
	}
}
