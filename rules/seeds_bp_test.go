package rules

import (
	"slices"
	"strings"
	"testing"
)

// Seed cases of rules.md §5.2 for R11–R17, as fact literals. Only the
// topics of these rules are checked here; seeds_test.go covers the rest.

var rdMyRules = []Rule{VitaminDDeficiency, SecondaryOsteoporosisLabFlags, CalciumVitaminDCotherapy,
	Bisphosphonate5yReview, Bisphosphonate10yMax, BisphosphonateHolidayReevaluation, FractureOnTreatment}

func rdPieterse(asOf string) Facts {
	return Facts{
		AsOf: rdDay(asOf), Hook: PatientView, Patient: Patient{ID: "pieterse", BirthDate: rdDay("1961-06-15"), Gender: "female"},
		Conditions: []Condition{
			{Source: "Condition/radius", Concepts: []Concept{ConceptFracture}, Code: "SNOMED 263199001", Onset: rdDay("2023-12-01"), Active: true},
			{Source: "Condition/rib", Concepts: []Concept{ConceptFracture}, Code: "rib", Onset: rdDay("2021-03-01")},
			{Source: "Condition/finger", Concepts: []Concept{ConceptFracture, ConceptFractureExcluded}, Code: "finger", Onset: rdDay("2014-03-01")},
		},
		Medications: []MedicationRecord{{Source: "MedicationStatement/budesonide", Kind: KindStatement, Classes: []DrugClass{DrugGlucocorticoidLocal}, Code: "ATC R03BA02", Name: "budesonide", Status: "active", Start: rdDay("2015-01-01"), Route: "inhalation"}},
		DXA: []DXAMeasurement{
			{Source: "Observation/spine-t", Site: SiteLumbarSpine, Measure: TScore, Value: -2.3, Date: rdDay("2024-04-05")},
			{Source: "Observation/hip-t", Site: SiteTotalHip, Measure: TScore, Value: -1.8, Date: rdDay("2024-04-05")},
			{Source: "Observation/neck-t", Site: SiteFemoralNeck, Measure: TScore, Value: -2.4, Date: rdDay("2024-04-05")},
		},
		Labs: []Lab{
			rdLab(AnalyteESR, 27, "2024-04-10"),
			{Source: "Observation/egfr", Analyte: AnalyteEGFR, Value: 60, Comparator: MoreThan, Date: rdDay("2024-04-10")},
			rdLab(AnalyteTSH, 0.23, "2024-04-10"),
			rdLab(AnalyteFT4, 27, "2024-04-10"),
			rdLab(AnalyteVitaminD, 31, "2024-04-10"),
			rdLab(AnalyteAlbumin, 40, "2024-04-10"),
			rdLab(AnalyteALP, 78, "2024-04-10"),
			rdLab(AnalyteCalcium, 2.15, "2024-04-10"),
			rdLab(AnalytePhosphate, 1.4, "2024-04-10"),
		},
	}
}

func rdCasus3(vfaGrade1Counts bool) (Facts, Thresholds) {
	th := DefaultThresholds()
	th.VFAGrade1Counts = vfaGrade1Counts
	return Facts{
		AsOf: rdDay("2025-06-01"), Hook: PatientView, Patient: Patient{ID: "casus3", BirthDate: rdDay("1955-01-15"), Gender: "female"},
		Conditions: []Condition{
			{Source: "Condition/hip", Concepts: []Concept{ConceptFracture, ConceptHipFracture}, Code: "SNOMED 359817006", Onset: rdDay("2020-03-10")},
			{Source: "Condition/op", Concepts: []Concept{ConceptOsteoporosis}, Onset: rdDay("2020-04-01"), Active: true},
			// VFA 2025-05-20: one mild (Genant grade 1) thoracic deformity, onset unknown.
			{Source: "Observation/vfa", Concepts: []Concept{ConceptVertebralFracture}, Code: "VFA Genant grade 1", GenantGrade: 1},
		},
		Medications: []MedicationRecord{
			rdAlendronate("aln", rdDay("2020-04-01")),
			{Source: "MedicationStatement/ca", Kind: KindStatement, Classes: []DrugClass{DrugCalcium, DrugVitaminD}, Code: "ATC A12AX", Name: "calcium/colecalciferol", Status: "active", Start: rdDay("2020-04-01")},
		},
		DXA: []DXAMeasurement{
			{Source: "Observation/spine-bmd-0", Site: SiteLumbarSpine, Measure: BMD, Value: 0.800, Date: rdDay("2020-04-15")},
			{Source: "Observation/neck-bmd-0", Site: SiteFemoralNeck, Measure: BMD, Value: 0.620, Date: rdDay("2020-04-15")},
			{Source: "Observation/spine-t", Site: SiteLumbarSpine, Measure: TScore, Value: -2.6, Date: rdDay("2025-05-20")},
			{Source: "Observation/spine-bmd", Site: SiteLumbarSpine, Measure: BMD, Value: 0.864, Date: rdDay("2025-05-20")},
			{Source: "Observation/neck-t", Site: SiteFemoralNeck, Measure: TScore, Value: -2.4, Date: rdDay("2025-05-20")},
			{Source: "Observation/neck-bmd", Site: SiteFemoralNeck, Measure: BMD, Value: 0.648, Date: rdDay("2025-05-20")},
		},
		Labs: []Lab{rdLab(AnalyteALP, 70, "2025-05-20"), rdLab(AnalyteEGFR, 78, "2025-05-20"), rdLab(AnalyteVitaminD, 65, "2025-05-20"), rdLab(AnalyteCalcium, 2.35, "2025-05-20")},
	}, th
}

func rdCasus4() Facts {
	return Facts{
		AsOf: rdDay("2025-09-15"), Hook: PatientView, Patient: Patient{ID: "casus4", BirthDate: rdDay("1945-05-01"), Gender: "male"},
		Conditions: []Condition{
			{Source: "Condition/humerus", Concepts: []Concept{ConceptFracture}, Code: "SNOMED 66308002", Onset: rdDay("2022-06-10")},
			{Source: "Condition/op", Concepts: []Concept{ConceptOsteoporosis}, Onset: rdDay("2022-07-01"), Active: true},
			{Source: "Condition/l1", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Code: "SNOMED 42157000", Onset: rdDay("2025-08-25"), Active: true},
			// VFA 2025-09-08: a second vertebral infraction, level and onset
			// not given; the Condition carries only recordedDate (as in the
			// seed fixture S6).
			{Source: "Condition/vfa-2", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Code: "VFA infraction", Onset: rdDay("2025-09-08"), RecordedOnly: true},
			{Source: "Condition/hiatal", Concepts: []Concept{ConceptHiatalHernia}, Active: true},
			{Source: "Condition/hypothyroid", Concepts: []Concept{ConceptHypothyroidism}, Active: true},
		},
		Medications: []MedicationRecord{
			rdAlendronate("aln", rdDay("2022-07-15")),
			{Source: "MedicationStatement/ca", Kind: KindStatement, Classes: []DrugClass{DrugCalcium, DrugVitaminD}, Name: "calcium/colecalciferol", Status: "active", Start: rdDay("2022-07-15")},
			{Source: "MedicationStatement/ppi", Kind: KindStatement, Classes: []DrugClass{DrugPPI}, Name: "omeprazole", Status: "active", Start: rdDay("2020-01-01")},
		},
		DXA: []DXAMeasurement{
			{Source: "Observation/spine-t", Site: SiteLumbarSpine, Measure: TScore, Value: -2.4, Date: rdDay("2025-09-08")},
			{Source: "Observation/hip-t", Site: SiteTotalHip, Measure: TScore, Value: -1.9, Date: rdDay("2025-09-08")},
			{Source: "Observation/neck-t", Site: SiteFemoralNeck, Measure: TScore, Value: -2.0, Date: rdDay("2025-09-08")},
		},
	}
}

func TestSeedsBisphosphonateAndLabTopics(t *testing.T) {
	s3c := rdPieterse("2024-07-01")
	s4, th4 := rdCasus3(false)
	s4alt, th4alt := rdCasus3(true)
	tests := []struct {
		name    string
		f       Facts
		th      Thresholds
		must    map[string]Indicator
		mustNot []string
	}{
		{"S3b Pieterse results: thyroid flag and vitamin D 31", rdPieterse("2024-04-15"), DefaultThresholds(),
			map[string]Indicator{TopicSecondaryOsteoporosisLabFlags: Warning, TopicVitaminDDeficiency: Warning},
			[]string{TopicCalciumVitaminDCotherapy, TopicBisphosphonate5yReview, TopicFractureOnTreatment}},
		{"S3c Pieterse consultation: still unresolved", s3c, DefaultThresholds(),
			map[string]Indicator{TopicSecondaryOsteoporosisLabFlags: Warning, TopicVitaminDDeficiency: Warning}, nil},
		{"S4 Casus 3 alendronate 5 y", s4, th4,
			map[string]Indicator{TopicBisphosphonate5yReview: Warning},
			[]string{TopicBisphosphonate10yMax, TopicFractureOnTreatment, TopicVitaminDDeficiency, TopicCalciumVitaminDCotherapy, TopicSecondaryOsteoporosisLabFlags, TopicBisphosphonateHolidayReevaluation}},
		{"S4-alt grade 1 counts", s4alt, th4alt,
			map[string]Indicator{TopicBisphosphonate5yReview: Warning},
			[]string{TopicBisphosphonate10yMax, TopicFractureOnTreatment}},
		{"S6 Casus 4 L1 fracture on alendronate", rdCasus4(), DefaultThresholds(),
			map[string]Indicator{TopicFractureOnTreatment: Warning},
			[]string{TopicBisphosphonate5yReview, TopicBisphosphonate10yMax, TopicBisphosphonateHolidayReevaluation, TopicCalciumVitaminDCotherapy}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]Indicator{}
			for _, f := range rdEval(tc.f, tc.th, rdMyRules...) {
				if f.Topic != TopicInsufficientData {
					got[f.Topic] = f.Indicator
				}
			}
			for topic, ind := range tc.must {
				if got[topic] != ind {
					t.Errorf("must %s:%s, got %q", topic, ind, got[topic])
				}
			}
			for _, topic := range tc.mustNot {
				if _, ok := got[topic]; ok {
					t.Errorf("must not fire: %s", topic)
				}
			}
		})
	}
}

func TestSeedS3bOnlyThyroidFlag(t *testing.T) {
	for _, asOf := range []string{"2024-04-15", "2024-07-01"} {
		if got := rdFlags(rdPieterse(asOf)); !slices.Equal(got, []string{flagThyroid}) {
			t.Errorf("S3 at %s: flags %v, want only thyroid (not ESR 27, calcium 2.15, phosphate 1.4, albumin 40, ALP 78)", asOf, got)
		}
	}
}

func TestSeedS4Decision(t *testing.T) {
	for _, tc := range []struct {
		name      string
		counts    bool
		wantKeys  []string
		recommend string
		wantA     criterionState
	}{
		{"S4: grade 1 uncertain -> stop (drug holiday) primary, continue secondary", false, []string{keyBPStopHoliday, keyBPContinue}, keyBPStopHoliday, criterionUncertain},
		{"S4-alt: grade 1 counts -> switch", true, []string{keyReferralOsteoporosis}, keyReferralOsteoporosis, criterionMet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, th := rdCasus3(tc.counts)
			fs := rdEval(f, th, Bisphosphonate5yReview)
			if len(fs) != 1 {
				t.Fatalf("got %d findings", len(fs))
			}
			var keys []string
			for _, s := range fs[0].Suggestions {
				keys = append(keys, s.Key)
				if (s.Key == tc.recommend) != s.Recommended {
					t.Errorf("suggestion %s recommended=%v", s.Key, s.Recommended)
				}
			}
			if !slices.Equal(keys, tc.wantKeys) {
				t.Errorf("keys %v, want %v", keys, tc.wantKeys)
			}
			c := &Context{Facts: f, Thresholds: th}
			crit := c.continuationCriteria(c.bisphosphonateExposure())
			if crit.NewFracture != tc.wantA || crit.LowHipT != criterionNotMet || crit.RiskFactor != criterionNotMet {
				t.Errorf("criteria a=%v b=%v c=%v, want a=%v b=no c=no", crit.NewFracture, crit.LowHipT, crit.RiskFactor, tc.wantA)
			}
			if !tc.counts {
				follow := fs[0].Suggestions[0].Actions[len(fs[0].Suggestions[0].Actions)-1].Order
				if follow.Kind != OrderFollowUp || FormatDate(follow.Date) != "2028-06-01" {
					t.Errorf("follow-up %v %s, want follow-up 2028-06-01", follow.Kind, FormatDate(follow.Date))
				}
			}
		})
	}
}

func TestSeedS6FractureOnTreatment(t *testing.T) {
	fs := rdEval(rdCasus4(), DefaultThresholds(), FractureOnTreatment)
	if len(fs) != 1 {
		t.Fatalf("got %d findings", len(fs))
	}
	var keys []string
	var panel []Analyte
	for _, s := range fs[0].Suggestions {
		keys = append(keys, s.Key)
		if s.Key == KeyOrderLabPanel {
			panel = s.Actions[0].Order.Analytes
		}
	}
	// DXA 2025-09-08 is after the fracture: no DXA suggestion.
	if want := []string{KeyOrderLabPanel, keyReferralOsteoporosis}; !slices.Equal(keys, want) {
		t.Errorf("suggestions %v, want %v", keys, want)
	}
	for _, a := range []Analyte{AnalyteESR, AnalyteMProtein, AnalyteTSH, AnalyteCalcium, AnalyteAlbumin, AnalyteEGFR, AnalyteVitaminD, AnalytePhosphate} {
		if !slices.Contains(panel, a) {
			t.Errorf("lab panel lacks %s", a)
		}
	}
	// NHGDoc "≥ 2 nieuwe fracturen ondanks behandeling": the VFA deformity
	// of unknown age ("Tweetal wervelinfracties") is not a known new
	// fracture, so one fracture counts and referral is offered, not
	// recommended.
	if fs[0].Suggestions[1].Recommended {
		t.Errorf("1 fracture of known onset: referral should not be recommended")
	}
	f := fs[0]
	if !rdContainsAll(f.Detail.EN, "TSH", "adherence", "is not counted as new") || strings.Contains(f.Detail.EN, "fractures despite treatment") {
		t.Errorf("detail lacks TSH/adherence/unknown-date text or recommends referral: %q", f.Detail.EN)
	}
	if !strings.HasPrefix(f.Summary.NL, "Nieuwe fractuur na") {
		t.Errorf("summary %q, want the single-fracture summary", f.Summary.NL)
	}
	var labels []string
	for _, e := range f.Evidence {
		labels = append(labels, e.Label.NL)
	}
	if want := []string{"Start osteoporosemedicatie", "Fractuur tijdens behandeling (na 37 maanden)", "Fractuur, datum onbekend (vastgelegd 08-09-2025; telt niet mee)"}; !slices.Equal(labels, want) {
		t.Errorf("evidence labels %q, want %q", labels, want)
	}
	// R01 stays silent for the same fracture.
	if got := rdTopics(rdEval(rdCasus4(), DefaultThresholds(), FractureCaseFinding, FractureOnTreatment)); !slices.Equal(got, []string{TopicFractureOnTreatment}) {
		t.Errorf("topics %v, want only fracture-on-treatment", got)
	}
}

func rdContainsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
