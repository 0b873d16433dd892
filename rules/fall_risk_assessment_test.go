package rules

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func r26Fall(id string, date time.Time, count int, fear bool) FallRecord {
	return FallRecord{Source: Ref("Observation/" + id), Date: date, Count: count, FearOfFalling: fear}
}

// r26Facts is a 72-year-old woman; withContext adds a DXA of last week so
// that dexa-who-classification fires.
func r26Facts(withContext bool, falls ...FallRecord) Facts {
	f := Facts{AsOf: rkT, Hook: PatientView, Patient: rkPatient(72, "female"), Falls: falls}
	if withContext {
		f.DXA = []DXAMeasurement{rkDXA(SiteFemoralNeck, TScore, -1.8, rkAgo(7))}
	}
	return f
}

var r26Fires = []rkOutcome{{Topic: TopicFallRiskAssessment, Indicator: Info, Suggestions: []string{KeyReferralFallPrevention}}}

func TestFallRiskAssessmentFires(t *testing.T) {
	justInside := rkT.AddDate(0, -12, 1)
	tests := []struct {
		name        string
		facts       Facts
		wantSummary string
	}{
		{"2 falls in the past year (at the trigger) with a recent DXA",
			r26Facts(true, r26Fall("f1", rkAgo(30), 1, false), r26Fall("f2", rkAgo(200), 1, false)),
			"≥2 falls in the past year: multifactorial fall-risk assessment and fall prevention"},
		{"second fall 12 months minus a day ago still counts",
			r26Facts(true, r26Fall("f1", rkAgo(30), 1, false), r26Fall("f2", justInside, 1, false)),
			"≥2 falls in the past year: multifactorial fall-risk assessment and fall prevention"},
		{"a fall event without a count is one fall",
			r26Facts(true, r26Fall("f1", rkAgo(30), 0, false), r26Fall("f2", rkAgo(60), 0, false)),
			"≥2 falls in the past year: multifactorial fall-risk assessment and fall prevention"},
		{"questionnaire: 3 falls in the past 12 months",
			r26Facts(true, r26Fall("q", rkAgo(5), 3, false)),
			"≥2 falls in the past year: multifactorial fall-risk assessment and fall prevention"},
		{"fear of falling with no falls",
			r26Facts(true, r26Fall("fear", rkAgo(40), 0, true)),
			"Fear of falling: multifactorial fall-risk assessment and fall prevention"},
		{"context from case finding (recent fracture without DXA)",
			Facts{AsOf: rkT, Hook: PatientView, Patient: rkPatient(72, "female"), Conditions: []Condition{rkFracture("wrist", rkAgo(20))},
				Falls: []FallRecord{r26Fall("f1", rkAgo(20), 1, false), r26Fall("f2", rkAgo(100), 1, false)}},
			"≥2 falls in the past year: multifactorial fall-risk assessment and fall prevention"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(r26Fires, rkRun(tc.facts, FallRiskAssessment)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			if f := rkOne(t, FallRiskAssessment, tc.facts); f.Summary.EN != tc.wantSummary {
				t.Errorf("summary %q, want %q", f.Summary.EN, tc.wantSummary)
			}
		})
	}
}

func TestFallRiskAssessmentSilent(t *testing.T) {
	tests := []struct {
		name  string
		facts Facts
	}{
		{"no fall records (S3c: falls only during sport)", r26Facts(true)},
		{"one fall (just below the trigger; S6 fell off a step once)", r26Facts(true, r26Fall("f1", rkAgo(20), 1, false))},
		{"second fall exactly 12 months ago", r26Facts(true, r26Fall("f1", rkAgo(20), 1, false), r26Fall("f2", rkT.AddDate(0, -12, 0), 1, false))},
		{"2 falls but no fracture-prevention context", r26Facts(false, r26Fall("f1", rkAgo(30), 1, false), r26Fall("f2", rkAgo(60), 1, false))},
		{"fear of falling recorded two years ago", r26Facts(true, r26Fall("fear", rkT.AddDate(-2, 0, 0), 0, true))},
		{"undated fall records", r26Facts(true, r26Fall("f1", time.Time{}, 1, false), r26Fall("f2", time.Time{}, 1, false))},
		{"falls dated after T", r26Facts(true, r26Fall("f1", rkT.AddDate(0, 0, 2), 1, false), r26Fall("f2", rkT.AddDate(0, 0, 3), 1, false))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rkRun(tc.facts, FallRiskAssessment); len(got) != 0 {
				t.Errorf("want silence, got %+v", got)
			}
		})
	}
}

func TestFallRiskAssessmentCardContent(t *testing.T) {
	f := rkOne(t, FallRiskAssessment, r26Facts(true, r26Fall("f1", rkAgo(30), 1, false), r26Fall("q", rkAgo(10), 2, false), r26Fall("fear", rkAgo(10), 0, true)))
	want := []Evidence{
		{Label: Text{NL: "Valpartijen in het afgelopen jaar", EN: "Falls in the past year"}, Value: "2"},
		{Label: Text{NL: "Val", EN: "Fall"}, Value: "1", Date: rkAgo(30), Source: "Observation/f1"},
		{Label: Text{NL: "Aantal valpartijen (afgelopen jaar)", EN: "Number of falls (past year)"}, Value: "2", Date: rkAgo(10), Source: "Observation/q"},
		{Label: Text{NL: "Angst om te vallen", EN: "Fear of falling"}, Value: "ja / yes", Date: rkAgo(10), Source: "Observation/fear"},
	}
	if diff := cmp.Diff(want, f.Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	order := f.Suggestions[0].Actions[0].Order
	if order.Kind != OrderReferral || order.Specialty.EN == "" {
		t.Errorf("referral order = %+v", order)
	}
	rkContains(t, "detail", f.Detail.EN, "mobility, strength and balance")
}
