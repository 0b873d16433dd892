package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var cfT = fxDate("2024-06-01")

// cfFacts is a 65-year-old woman at patient-view with the given conditions.
func cfFacts(conds ...Condition) Facts {
	return Facts{AsOf: cfT, Hook: PatientView, Patient: Patient{ID: "p", BirthDate: fxDate("1959-01-20"), Gender: "female"}, Conditions: conds}
}

func cfFracture(onset time.Time, concepts ...Concept) Condition {
	if len(concepts) == 0 {
		concepts = []Concept{ConceptFracture}
	}
	return Condition{Source: "Condition/fx", Concepts: concepts, Code: "SNOMED CT 263199001", Onset: onset, Active: true}
}

func cfMonthsAgo(n int) time.Time { return cfT.AddDate(0, -n, 0) }

// An active DXA order (the invitation not answered) is not a refusal: the
// card still fires, but the DXA is not ordered a second time (issue 12).
func TestFractureCaseFindingWithActiveDXAOrderDoesNotOrderItAgain(t *testing.T) {
	f := cfFacts(cfFracture(cfMonthsAgo(3)))
	f.ServiceOrder = []ServiceOrder{{Source: "ServiceRequest/dxa", Kind: ServiceDXA, Status: "active", Date: cfMonthsAgo(2)}}
	want := []fxOutcome{{Warning, []string{KeyOrderLabPanel}}}
	if diff := cmp.Diff(want, fxRun(FractureCaseFinding, f)); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
}

func TestFractureCaseFindingFires(t *testing.T) {
	want := []fxOutcome{{Warning, []string{KeyOrderDXA, KeyOrderLabPanel}}}
	withBirth := func(f Facts, birth string) Facts { f.Patient.BirthDate = fxDate(birth); return f }
	tests := []struct {
		name  string
		facts Facts
	}{
		{"S1: 75-year-old man, tibia fracture 2 weeks ago, no DXA", seedFacts("S1")},
		{"S3a: 62-year-old woman, wrist fracture 3 months ago, unanswered hospital invitation", seedFacts("S3a")},
		{"S3a without the inhaled budesonide: inhaled steroids are irrelevant",
			func() Facts { f := seedFacts("S3a"); f.Medications = nil; return f }()},
		{"age exactly 50 on the day of evaluation", withBirth(cfFacts(cfFracture(cfMonthsAgo(3))), "1974-06-01")},
		{"fracture 23 months ago", cfFacts(cfFracture(cfMonthsAgo(23)))},
		{"fracture 24 months minus one day ago", cfFacts(cfFracture(cfMonthsAgo(24).AddDate(0, 0, 1)))},
		{"vertebral fracture 10 years ago (any time)", cfFacts(cfFracture(cfT.AddDate(-10, 0, 0), ConceptFracture, ConceptVertebralFracture))},
		{"VFA Genant grade 2 vertebral deformity", cfFacts(func() Condition {
			c := cfFracture(cfMonthsAgo(1), ConceptVertebralFracture)
			c.GenantGrade = 2
			return c
		}())},
		{"DXA only before the fracture", withDXA(cfFacts(cfFracture(cfMonthsAgo(3))), fxDXA("Observation/old-dxa", SiteLumbarSpine, TScore, -1.2, "2020-01-01"))},
		{"DXA order revoked before the fracture (not a refusal of this screening)",
			func() Facts {
				f := cfFacts(cfFracture(cfMonthsAgo(3)))
				f.ServiceOrder = []ServiceOrder{{Source: "ServiceRequest/dxa", Kind: ServiceDXA, Status: "revoked", Date: cfMonthsAgo(12)}}
				return f
			}()},
		{"alendronate stopped last year", func() Facts {
			f := cfFacts(cfFracture(cfMonthsAgo(3)))
			f.Medications = []MedicationRecord{cxMed("aln", KindStatement, "stopped", cfT.AddDate(-6, 0, 0), cfT.AddDate(-1, 0, 0), DrugBisphosphonate)}
			return f
		}()},
		{"denosumab 120 mg (oncology) is not osteoporosis treatment", func() Facts {
			f := cfFacts(cfFracture(cfMonthsAgo(3)))
			m := cxMed("xgeva", KindStatement, "active", cfT.AddDate(-1, 0, 0), time.Time{}, DrugDenosumab)
			m.StrengthMg = 120
			f.Medications = []MedicationRecord{m}
			return f
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(want, fxRun(FractureCaseFinding, tc.facts)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFractureCaseFindingSilent(t *testing.T) {
	withBirth := func(f Facts, birth string) Facts { f.Patient.BirthDate = fxDate(birth); return f }
	tests := []struct {
		name  string
		facts Facts
	}{
		{"S2: 48-year-old man with a metacarpal fracture (age < 50)", seedFacts("S2")},
		{"S1b: DXA after the tibia fracture", seedFacts("S1b")},
		{"S1c: fracture 9 years old, already evaluated", seedFacts("S1c")},
		{"S3b: DXA after the wrist fracture", seedFacts("S3b")},
		{"age 49, one day before the 50th birthday", withBirth(cfFacts(cfFracture(cfMonthsAgo(3))), "1974-06-02")},
		{"fracture exactly 24 months ago", cfFacts(cfFracture(cfMonthsAgo(24)))},
		{"fracture 25 months ago", cfFacts(cfFracture(cfMonthsAgo(25)))},
		{"excluded site (finger) 2 months ago", cfFacts(cfFracture(cfMonthsAgo(2), ConceptFractureExcluded))},
		{"included code also flagged excluded (high-energy trauma)", cfFacts(cfFracture(cfMonthsAgo(2), ConceptFracture, ConceptFractureExcluded))},
		{"undated non-vertebral fracture", cfFacts(cfFracture(time.Time{}))},
		{"VFA Genant grade 1 deformity (not counted by default)", cfFacts(func() Condition {
			c := cfFracture(cfMonthsAgo(1), ConceptVertebralFracture)
			c.GenantGrade = 1
			return c
		}())},
		{"active bisphosphonate (fracture-on-treatment's case)", func() Facts {
			f := cfFacts(cfFracture(cfMonthsAgo(3)))
			f.Medications = []MedicationRecord{cxMed("aln", KindStatement, "active", cfT.AddDate(-2, 0, 0), time.Time{}, DrugBisphosphonate, DrugAlendronate)}
			return f
		}()},
		{"DXA order revoked after the fracture (documented refusal)", func() Facts {
			f := cfFacts(cfFracture(cfMonthsAgo(3)))
			f.ServiceOrder = []ServiceOrder{{Source: "ServiceRequest/dxa", Kind: ServiceDXA, Status: "revoked", Date: cfMonthsAgo(2)}}
			return f
		}()},
		{"DXA on the day of the fracture", withDXA(cfFacts(cfFracture(cfMonthsAgo(3))), DXAMeasurement{Source: "Observation/dxa", Site: SiteTotalHip, Measure: TScore, Value: -1, Date: cfMonthsAgo(3)})},
		{"no fracture at all", cfFacts()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fxRun(FractureCaseFinding, tc.facts); len(got) != 0 {
				t.Errorf("want silence, got %+v", got)
			}
		})
	}
}

func TestFractureCaseFindingUnknownBirthDate(t *testing.T) {
	f := cfFacts(cfFracture(cfMonthsAgo(3)))
	f.Patient.BirthDate = time.Time{}
	var topics []string
	for _, fd := range EvaluateRules([]Rule{FractureCaseFinding}, f, DefaultThresholds()) {
		topics = append(topics, fd.Topic)
	}
	if diff := cmp.Diff([]string{TopicInsufficientData}, topics); diff != "" {
		t.Errorf("unknown birth date -> only the insufficient-data card (-want +got):\n%s", diff)
	}
}

func TestFractureCaseFindingCard(t *testing.T) {
	fd := fxFinding(t, FractureCaseFinding, seedFacts("S3a"))
	var sources []Ref
	for _, e := range fd.Evidence {
		sources = append(sources, e.Source)
	}
	// The most recent qualifying fracture (the wrist, not the 3-year-old rib
	// or the excluded finger) is the index fracture.
	if diff := cmp.Diff([]Ref{"", "Condition/wrist-fracture", ""}, sources); diff != "" {
		t.Errorf("evidence sources (-want +got):\n%s", diff)
	}
	if fd.Evidence[0].Value != "62" {
		t.Errorf("age evidence %q, want 62", fd.Evidence[0].Value)
	}
	var vfa bool
	for _, s := range fd.Suggestions {
		for _, a := range s.Actions {
			vfa = vfa || (a.Order != nil && a.Order.Kind == OrderDXA && a.Order.WithVFA)
		}
	}
	if !vfa {
		t.Error("DXA suggestion without VFA")
	}

	low := cfFracture(cfMonthsAgo(2))
	low.LowConfidence = true
	fd = fxFinding(t, FractureCaseFinding, cfFacts(low))
	if !strings.Contains(fd.Detail.EN, "verify the site") {
		t.Errorf("low-confidence site not flagged:\n%s", fd.Detail.EN)
	}
}

// A new fracture during a bisphosphonate drug holiday belongs to
// bisphosphonate-holiday-reevaluation (R16), which asks for DXA+VFA and labs;
// case finding (R01) must not ask for the same again.
func TestFractureCaseFindingSilentForFractureDuringBisphosphonateHoliday(t *testing.T) {
	wrist := Condition{Source: "Condition/wrist", Concepts: []Concept{ConceptFracture}, Code: "SNOMED 263199001", Onset: rdDay("2021-01-15"), Active: true}
	facts := func(meds ...MedicationRecord) Facts {
		return Facts{AsOf: rdDay("2021-03-01"), Hook: PatientView, Patient: Patient{ID: "p", BirthDate: rdDay("1950-01-01"), Gender: "female"},
			Conditions: []Condition{wrist}, Medications: meds}
	}
	tests := []struct {
		name string
		f    Facts
		want []string
	}{
		{"alendronate stopped 2020-01-01, wrist fracture 2021-01-15 -> only the holiday card",
			facts(rdStoppedAlendronate("2015-01-01", "2020-01-01")), []string{TopicBisphosphonateHolidayReevaluation}},
		{"no bisphosphonate history -> case finding",
			facts(), []string{TopicFractureCaseFinding}},
		{"alendronate stopped after the fracture (2021-02-01) -> case finding (not a holiday fracture)",
			facts(rdStoppedAlendronate("2015-01-01", "2021-02-01")), []string{TopicFractureCaseFinding}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, fd := range EvaluateRules([]Rule{FractureCaseFinding, BisphosphonateHolidayReevaluation}, tc.f, DefaultThresholds()) {
				if fd.Topic != TopicInsufficientData {
					got = append(got, fd.Topic)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("cards %v, want %v", got, tc.want)
			}
		})
	}
}
