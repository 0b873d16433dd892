package rules

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// romoDoses is n monthly romosozumab administrations, the last lastDaysAgo
// days before T.
func romoDoses(n, lastDaysAgo int) []MedicationRecord {
	var out []MedicationRecord
	last := rbDaysAgo(lastDaysAgo)
	for i := 0; i < n; i++ {
		out = append(out, MedicationRecord{
			Source: Ref("MedicationAdministration/romo" + itoa(i)), Kind: KindAdministration,
			Classes: []DrugClass{DrugRomosozumab}, Name: "romosozumab", Status: "completed",
			Start: last.AddDate(0, -(n - 1 - i), 0), SingleDose: true, Route: "subcutaneous",
		})
	}
	return out
}

func raloxifene(id, status string, start time.Time) MedicationRecord {
	return MedicationRecord{Source: Ref("MedicationStatement/" + id), Kind: KindStatement, Classes: []DrugClass{DrugSERM},
		Code: "ATC G03XC01", Name: "raloxifene", Status: status, Start: start, Route: "oral"}
}

func TestAnabolicFollowupAntiresorptive(t *testing.T) {
	followOn := map[string][]string{
		"anabolic-followup-zoledronic-acid": {"create zoledronic-acid-5mg-iv now"},
		KeyOrderDenosumab60mg:               {"create denosumab-60mg-sc now"},
	}
	fires := []rbOutcome{{Topic: TopicAnabolicFollowupAntiresorptive, Indicator: Warning, Suggestions: followOn}}
	tptd24EndedDaysAgo := func(n int) MedicationRecord {
		end := rbDaysAgo(n)
		return tptdStatement("t1", "completed", end.AddDate(0, -24, 1), end)
	}
	tests := []struct {
		name string
		meds []MedicationRecord
		want []rbOutcome
	}{
		{"teriparatide 24 months ended 91 days ago, no antiresorptive -> warning", []MedicationRecord{tptd24EndedDaysAgo(91)}, fires},
		{"teriparatide 24 months ended 90 days ago -> silent (still within 90 days)", []MedicationRecord{tptd24EndedDaysAgo(90)}, nil},
		{"teriparatide 24 months ended 89 days ago -> silent", []MedicationRecord{tptd24EndedDaysAgo(89)}, nil},
		{"teriparatide stopped after 6 months, 200 days ago -> warning", []MedicationRecord{
			tptdStatement("t1", "stopped", rbDaysAgo(380), rbDaysAgo(200))}, fires},
		{"romosozumab 12 monthly doses, last 120 days ago -> warning", romoDoses(12, 120), fires},
		{"romosozumab last dose 60 days ago -> silent", romoDoses(12, 60), nil},
		{"alendronate only before the anabolic course -> warning", []MedicationRecord{
			alendronate("aln", "completed", rbDay("2015-01-01"), rbDay("2020-01-01")), tptd24EndedDaysAgo(200)}, fires},
		{"Xgeva 120 mg after the course is not osteoporosis follow-on -> warning", []MedicationRecord{
			tptd24EndedDaysAgo(200), xgeva(dmabAdmin("x1", rbDaysAgo(100)))}, fires},
		{"cancelled ZOL order -> warning", []MedicationRecord{
			tptd24EndedDaysAgo(200), zolRecord("z1", KindRequest, "cancelled", rbDaysAgo(150), time.Time{})}, fires},

		{"teriparatide still active at 20 months -> silent", []MedicationRecord{tptdActiveFor(20, 0)}, nil},
		{"ZOL given 30 days after the end of teriparatide -> silent", []MedicationRecord{
			tptd24EndedDaysAgo(200), zolRecord("z1", KindAdministration, "completed", rbDaysAgo(170), time.Time{})}, nil},
		{"ZOL planned (active request) -> silent", []MedicationRecord{
			tptd24EndedDaysAgo(200), zolRecord("z1", KindRequest, "active", rbDaysAgo(10), dmabT.AddDate(0, 0, 14))}, nil},
		{"Prolia 60 mg given after the end of romosozumab -> silent", append(romoDoses(12, 200), dmabAdmin("a1", rbDaysAgo(150))), nil},
		{"alendronate active throughout -> silent", []MedicationRecord{
			alendronate("aln", "active", rbDay("2019-01-01"), time.Time{}), tptd24EndedDaysAgo(200)}, nil},
		{"raloxifene started after the course -> silent", []MedicationRecord{
			tptd24EndedDaysAgo(200), raloxifene("ral", "active", rbDaysAgo(150))}, nil},
		{"late follow-on still counts: ZOL given 150 days after the end -> silent", []MedicationRecord{
			tptd24EndedDaysAgo(200), zolRecord("z1", KindAdministration, "completed", rbDaysAgo(50), time.Time{})}, nil},
		{"no anabolic treatment -> silent", []MedicationRecord{dmabAdmin("a1", rbDaysAgo(300))}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rbEval(t, plWithSafeLabs(rbFacts(PatientView, tc.meds...)), DefaultThresholds(), AnabolicFollowupAntiresorptive)
			if diff := cmp.Diff(tc.want, rbOutcomes(got)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnabolicFollowupAntiresorptiveConfigured(t *testing.T) {
	th := DefaultThresholds()
	th.AnabolicFollowupDays = 30
	end := rbDaysAgo(31)
	got := rbOutcomes(rbEval(t, rbFacts(PatientView, tptdStatement("t1", "completed", end.AddDate(-2, 0, 0), end)), th, AnabolicFollowupAntiresorptive))
	if len(got) != 1 || got[0].Indicator != Warning {
		t.Errorf("ANABOLIC_FOLLOWUP_DAYS=30, ended 31 days ago: want warning, got %+v", got)
	}
}
