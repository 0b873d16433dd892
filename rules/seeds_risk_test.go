package rules

import (
	"sort"
	"strings"
	"testing"
)

// Seed cases of rules.md §5.2 for the risk-assessment topics R02, R03, R05,
// R06, R07 and R26, as fact literals of their own (seeds_test.go holds the
// shared seed fixtures; these are kept separate so that each file can
// change without the other). Values rules.md marks "synthetic" are marked.

// riskRules are the rules under test here. R03, R07 and R26 consult R01 and
// R17 through Catalog(), so those still take part indirectly.
var riskRules = []Rule{GlucocorticoidBoneRisk, BoneRiskMedication, DexaWHOClassification, OsteoporosisTreatmentIndication, PretreatmentLabWorkup, FallRiskAssessment}

func rsDXA(id string, site Site, m Measure, v float64, date string) DXAMeasurement {
	return DXAMeasurement{Source: Ref("Observation/" + id), Site: site, Measure: m, Value: v, Date: rkDate(date)}
}

func rsLab(id string, a Analyte, cmp Comparator, v float64, date string) Lab {
	return Lab{Source: Ref("Observation/" + id), Analyte: a, Comparator: cmp, Value: v, Date: rkDate(date)}
}

// S1b — SEED-MTX Casus I after the DXA.
func rsS1b() Facts {
	return Facts{
		AsOf: rkDate("2014-01-20"), Hook: PatientView,
		Patient: Patient{ID: "casus1", BirthDate: rkDate("1938-06-01"), Gender: "male"},
		Conditions: []Condition{
			{Source: "Condition/psoriasis", Code: "SNOMED CT 9014002", Onset: rkDate("2009-01-01"), Active: true},
			{Source: "Condition/tibia-fracture", Concepts: []Concept{ConceptFracture, ConceptMTXTypicalSite}, Code: "SNOMED CT 31978002", Onset: rkDate("2013-12-01"), Active: true},
		},
		Medications: []MedicationRecord{{Source: "MedicationStatement/mtx", Kind: KindStatement, Classes: []DrugClass{DrugMethotrexate},
			Code: "ATC L04AX03", Name: "methotrexate", Status: "active", Start: rkDate("2009-11-15")}},
		DXA: []DXAMeasurement{
			rsDXA("s1b-spine-t", SiteLumbarSpine, TScore, -1.4, "2014-01-10"),
			rsDXA("s1b-spine-z", SiteLumbarSpine, ZScore, -0.2, "2014-01-10"),
			rsDXA("s1b-neck-t", SiteFemoralNeck, TScore, -2.4, "2014-01-10"),
			rsDXA("s1b-neck-z", SiteFemoralNeck, ZScore, -0.8, "2014-01-10"),
		},
	}
}

// S2b — SEED-MTX Casus II after the DXA (man, 48).
func rsS2b() Facts {
	return Facts{
		AsOf: rkDate("2021-08-01"), Hook: PatientView,
		Patient: Patient{ID: "casus2", BirthDate: rkDate("1973-03-01"), Gender: "male"},
		Conditions: []Condition{
			{Source: "Condition/psoriasis", Code: "SNOMED CT 200975007", Onset: rkDate("2009-01-01"), Active: true},
			{Source: "Condition/mc5-fracture", Concepts: []Concept{ConceptFracture, ConceptMTXTypicalSite}, Code: "SNOMED CT 208393000", Onset: rkDate("2021-06-05"), Active: true},
		},
		Medications: []MedicationRecord{{Source: "MedicationStatement/mtx", Kind: KindStatement, Classes: []DrugClass{DrugMethotrexate},
			Code: "ATC L04AX03", Name: "methotrexate", Status: "active", Start: rkDate("2016-06-01"), Route: "oral"}},
		DXA: []DXAMeasurement{
			rsDXA("s2b-spine-t", SiteLumbarSpine, TScore, -1.4, "2021-07-20"),
			rsDXA("s2b-spine-z", SiteLumbarSpine, ZScore, -1.1, "2021-07-20"),
			rsDXA("s2b-neck-t", SiteFemoralNeck, TScore, -1.9, "2021-07-20"),
			rsDXA("s2b-neck-z", SiteFemoralNeck, ZScore, -1.2, "2021-07-20"),
		},
	}
}

// S3 — SEED-GP Casus 1, Mw. Pieterse; asOf selects S3a, S3b or S3c.
func rsPieterse(asOf string, withResults bool) Facts {
	f := Facts{
		AsOf: rkDate(asOf), Hook: PatientView,
		Patient: Patient{ID: "pieterse", BirthDate: rkDate("1961-06-15"), Gender: "female"},
		Conditions: []Condition{
			{Source: "Condition/asthma", Code: "ICPC R96", Onset: rkDate("2000-01-01"), Active: true}, // onset synthetic
			{Source: "Condition/wrist-fracture", Concepts: []Concept{ConceptFracture}, Code: "SNOMED CT 263199001", Onset: rkDate("2023-12-01"), Active: true},
			{Source: "Condition/rib-fracture", Concepts: []Concept{ConceptFracture}, Code: "rib fracture", Onset: rkDate("2021-03-01")},
			{Source: "Condition/finger-fracture", Concepts: []Concept{ConceptFractureExcluded}, Code: "finger phalanx fracture", Onset: rkDate("2014-03-01")},
		},
		// "Corticosteroïden: alleen inhalatie medicatie"
		Medications: []MedicationRecord{{Source: "MedicationStatement/budesonide", Kind: KindStatement, Classes: []DrugClass{DrugGlucocorticoidLocal},
			Code: "ATC R03BA02", Name: "budesonide", Status: "active", Start: rkDate("2015-01-01"), Route: "inhalation"}}, // start synthetic
	}
	if withResults {
		f.DXA = []DXAMeasurement{
			rsDXA("p-spine-t", SiteLumbarSpine, TScore, -2.3, "2024-04-05"),
			rsDXA("p-hip-t", SiteTotalHip, TScore, -1.8, "2024-04-05"),
			rsDXA("p-neck-t", SiteFemoralNeck, TScore, -2.4, "2024-04-05"),
		}
		f.Labs = []Lab{
			rsLab("p-esr", AnalyteESR, Exact, 27, "2024-04-10"),
			rsLab("p-egfr", AnalyteEGFR, MoreThan, 60, "2024-04-10"),
			rsLab("p-tsh", AnalyteTSH, Exact, 0.23, "2024-04-10"),
			rsLab("p-ft4", AnalyteFT4, Exact, 27, "2024-04-10"),
			rsLab("p-vitd", AnalyteVitaminD, Exact, 31, "2024-04-10"),
			rsLab("p-alb", AnalyteAlbumin, Exact, 40, "2024-04-10"),
			rsLab("p-alp", AnalyteALP, Exact, 78, "2024-04-10"),
			rsLab("p-ca", AnalyteCalcium, Exact, 2.15, "2024-04-10"),
			rsLab("p-phos", AnalytePhosphate, Exact, 1.4, "2024-04-10"),
		}
	}
	// S3c: falls only while doing sport, no fall tendency → no FallRecord.
	return f
}

// S4 — SEED-GP Casus 3: alendronate for 5 years.
func rsS4() Facts {
	return Facts{
		AsOf: rkDate("2025-06-01"), Hook: PatientView,
		Patient: Patient{ID: "casus3", BirthDate: rkDate("1955-01-15"), Gender: "female"},
		Conditions: []Condition{
			{Source: "Condition/hip-fracture", Concepts: []Concept{ConceptFracture, ConceptHipFracture}, Code: "SNOMED CT 359817006", Onset: rkDate("2020-03-10"), Active: true},
			{Source: "Condition/osteoporosis", Concepts: []Concept{ConceptOsteoporosis}, Code: "SNOMED CT 64859006", Onset: rkDate("2020-04-01"), Active: true},
			// VFA: one mild (Genant 1) thoracic deformity, onset unknown.
			{Source: "Observation/vfa-grade1", Concepts: []Concept{ConceptVertebralFracture}, Code: "VFA Genant 1", GenantGrade: 1, Active: true},
		},
		Medications: []MedicationRecord{
			{Source: "MedicationStatement/alendronate", Kind: KindStatement, Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
				Code: "ATC M05BA04", Name: "alendronic acid", Status: "active", Start: rkDate("2020-04-01"), StrengthMg: 70},
			{Source: "MedicationStatement/calcium-d", Kind: KindStatement, Classes: []DrugClass{DrugCalcium, DrugVitaminD},
				Code: "ATC A12AX", Name: "calcium/colecalciferol", Status: "active", Start: rkDate("2020-04-01")},
		},
		DXA: []DXAMeasurement{
			rsDXA("s4-spine-bmd-2020", SiteLumbarSpine, BMD, 0.800, "2020-04-15"), // synthetic
			rsDXA("s4-neck-bmd-2020", SiteFemoralNeck, BMD, 0.620, "2020-04-15"),  // synthetic
			rsDXA("s4-spine-t", SiteLumbarSpine, TScore, -2.6, "2025-05-20"),
			rsDXA("s4-spine-bmd", SiteLumbarSpine, BMD, 0.864, "2025-05-20"),
			rsDXA("s4-neck-t", SiteFemoralNeck, TScore, -2.4, "2025-05-20"),
			rsDXA("s4-neck-bmd", SiteFemoralNeck, BMD, 0.648, "2025-05-20"),
		},
		Labs: []Lab{
			rsLab("s4-alp", AnalyteALP, Exact, 70, "2025-05-20"),
			rsLab("s4-egfr", AnalyteEGFR, Exact, 78, "2025-05-20"),
			rsLab("s4-vitd", AnalyteVitaminD, Exact, 65, "2025-05-20"),
			rsLab("s4-ca", AnalyteCalcium, Exact, 2.35, "2025-05-20"),
		},
	}
}

// S6 — SEED-GP Casus 4: 80-year-old man with an L1 fracture on alendronate.
func rsS6() Facts {
	return Facts{
		AsOf: rkDate("2025-09-15"), Hook: PatientView,
		Patient: Patient{ID: "casus4", BirthDate: rkDate("1945-05-01"), Gender: "male"},
		Conditions: []Condition{
			{Source: "Condition/humerus-fracture", Concepts: []Concept{ConceptFracture}, Code: "SNOMED CT 66308002", Onset: rkDate("2022-06-10"), Active: true},
			{Source: "Condition/osteoporosis", Concepts: []Concept{ConceptOsteoporosis}, Code: "SNOMED CT 64859006", Onset: rkDate("2022-07-01"), Active: true},
			{Source: "Condition/l1-fracture", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Code: "SNOMED CT 42157000", Onset: rkDate("2025-08-25"), Active: true},
			{Source: "Observation/vfa-second", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Code: "VFA vertebral infraction", Onset: rkDate("2025-09-08"), Active: true},
			{Source: "Condition/hiatal-hernia", Concepts: []Concept{ConceptHiatalHernia}, Code: "hernia diafragmatica", Active: true},
			{Source: "Condition/hypothyroidism", Concepts: []Concept{ConceptHypothyroidism}, Code: "hypothyroidism", Active: true},
		},
		Medications: []MedicationRecord{
			{Source: "MedicationStatement/alendronate", Kind: KindStatement, Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
				Code: "ATC M05BA04", Name: "alendronic acid", Status: "active", Start: rkDate("2022-07-15"), StrengthMg: 70},
			{Source: "MedicationStatement/calcium-d", Kind: KindStatement, Classes: []DrugClass{DrugCalcium, DrugVitaminD},
				Code: "ATC A12AX", Name: "calcium/colecalciferol", Status: "active", Start: rkDate("2022-07-15")},
			{Source: "MedicationStatement/omeprazole", Kind: KindStatement, Classes: []DrugClass{DrugPPI},
				Code: "ATC A02BC01", Name: "omeprazole", Status: "active", Start: rkDate("2020-01-01")}, // start synthetic
		},
		DXA: []DXAMeasurement{
			rsDXA("s6-spine-t", SiteLumbarSpine, TScore, -2.4, "2025-09-08"),
			rsDXA("s6-spine-bmd", SiteLumbarSpine, BMD, 0.878, "2025-09-08"),
			rsDXA("s6-hip-t", SiteTotalHip, TScore, -1.9, "2025-09-08"),
			rsDXA("s6-neck-t", SiteFemoralNeck, TScore, -2.0, "2025-09-08"),
		},
		// "Valrisico: nee": the one fall that caused the L1 fracture.
		Falls: []FallRecord{{Source: "Observation/fall-step", Date: rkDate("2025-08-25"), Count: 1}},
	}
}

// S7 — SEED-GP DEXA report example; "T: any", no patient data in the seed.
func rsS7() Facts {
	return Facts{
		AsOf: rkDate("2025-03-01"), Hook: PatientView, // T and DXA date synthetic
		DXA: []DXAMeasurement{
			rsDXA("s7-spine-t", SiteLumbarSpine, TScore, -1.4, "2025-02-20"),
			rsDXA("s7-spine-bmd", SiteLumbarSpine, BMD, 0.930, "2025-02-20"),
			rsDXA("s7-hip-t", SiteTotalHip, TScore, -0.3, "2025-02-20"),
			rsDXA("s7-neck-t", SiteFemoralNeck, TScore, -0.3, "2025-02-20"),
		},
	}
}

func TestSeedCasesRiskTopics(t *testing.T) {
	tests := []struct {
		id      string
		facts   Facts
		must    map[string]Indicator
		mustNot []string
		// summaries holds parts the English summary of a topic must contain.
		summaries map[string][]string
		details   map[string][]string
	}{
		{
			id: "S1b-mtx-casus1-post-dxa", facts: rsS1b(),
			must:      map[string]Indicator{TopicDexaWHOClassification: Info, TopicPretreatmentLabWorkup: Info},
			mustNot:   []string{TopicOsteoporosisTreatmentIndication, TopicGlucocorticoidBoneRisk, TopicFallRiskAssessment, TopicBoneRiskMedication},
			summaries: map[string][]string{TopicDexaWHOClassification: {"-2.4 (femoral neck): osteopenia"}},
			details:   map[string][]string{TopicPretreatmentLabWorkup: {"NIV: patients older than 50 with a recent fracture"}},
		},
		{
			id: "S2b-mtx-casus2-post-dxa", facts: rsS2b(),
			must:      map[string]Indicator{TopicDexaWHOClassification: Info},
			mustNot:   []string{TopicOsteoporosisTreatmentIndication, TopicPretreatmentLabWorkup, TopicGlucocorticoidBoneRisk, TopicFallRiskAssessment},
			summaries: map[string][]string{TopicDexaWHOClassification: {"Z-score -1.2", "within the expected range for age"}},
			details:   map[string][]string{TopicDexaWHOClassification: {"\"osteopenia\""}},
		},
		{
			// R01 fires here (recent wrist fracture, no DXA), so the lab
			// work-up card follows it (its panel is on the R01 card).
			id: "S3a-pieterse-casefinding", facts: rsPieterse("2024-03-01", false),
			must:    map[string]Indicator{TopicPretreatmentLabWorkup: Info},
			mustNot: []string{TopicGlucocorticoidBoneRisk, TopicOsteoporosisTreatmentIndication, TopicDexaWHOClassification, TopicBoneRiskMedication, TopicFallRiskAssessment},
		},
		{
			id: "S3b-pieterse-results", facts: rsPieterse("2024-04-15", true),
			must:      map[string]Indicator{TopicDexaWHOClassification: Info},
			mustNot:   []string{TopicOsteoporosisTreatmentIndication, TopicGlucocorticoidBoneRisk, TopicPretreatmentLabWorkup, TopicFallRiskAssessment, TopicBoneRiskMedication},
			summaries: map[string][]string{TopicDexaWHOClassification: {"-2.4 (femoral neck): osteopenia (WHO)"}},
		},
		{
			id: "S3c-pieterse-consultation", facts: rsPieterse("2024-07-01", true),
			mustNot: []string{TopicOsteoporosisTreatmentIndication, TopicFallRiskAssessment, TopicGlucocorticoidBoneRisk, TopicPretreatmentLabWorkup},
		},
		{
			id: "S4-casus3-alendronate-5y", facts: rsS4(),
			must:      map[string]Indicator{TopicDexaWHOClassification: Info},
			mustNot:   []string{TopicOsteoporosisTreatmentIndication, TopicGlucocorticoidBoneRisk, TopicPretreatmentLabWorkup, TopicFallRiskAssessment, TopicBoneRiskMedication},
			summaries: map[string][]string{TopicDexaWHOClassification: {"-2.6 (lumbar spine)", "osteoporosis"}},
		},
		{
			id: "S6-casus4-fracture-on-treatment", facts: rsS6(),
			must:    map[string]Indicator{TopicDexaWHOClassification: Info, TopicBoneRiskMedication: Info},
			mustNot: []string{TopicOsteoporosisTreatmentIndication, TopicFallRiskAssessment, TopicGlucocorticoidBoneRisk},
			summaries: map[string][]string{
				TopicDexaWHOClassification: {"-2.4", "osteopenia", "established osteoporosis"},
				TopicBoneRiskMedication:    {"omeprazole"},
			},
		},
		{
			id: "S7-dexa-report-example", facts: rsS7(),
			must:      map[string]Indicator{TopicDexaWHOClassification: Info},
			mustNot:   []string{TopicOsteoporosisTreatmentIndication, TopicPretreatmentLabWorkup, TopicFallRiskAssessment, TopicBoneRiskMedication},
			summaries: map[string][]string{TopicDexaWHOClassification: {"-1.4 (lumbar spine): osteopenia"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			got := map[string]Finding{}
			for _, f := range EvaluateRules(riskRules, tc.facts, DefaultThresholds()) {
				if _, dup := got[f.Topic]; dup {
					t.Errorf("topic %s appears twice", f.Topic)
				}
				got[f.Topic] = f
			}
			var topics []string
			for topic := range tc.must {
				topics = append(topics, topic)
			}
			sort.Strings(topics)
			for _, topic := range topics {
				f, ok := got[topic]
				if !ok {
					t.Errorf("missing %s:%s", topic, tc.must[topic])
					continue
				}
				if f.Indicator != tc.must[topic] {
					t.Errorf("%s: indicator %s, want %s", topic, f.Indicator, tc.must[topic])
				}
				rkInvariants(t, f)
				rkContains(t, topic+" summary", f.Summary.EN, tc.summaries[topic]...)
				rkContains(t, topic+" detail", f.Detail.EN, tc.details[topic]...)
			}
			for _, topic := range tc.mustNot {
				if f, ok := got[topic]; ok {
					t.Errorf("unexpected %s:%s %q", topic, f.Indicator, f.Summary.EN)
				}
			}
		})
	}
}

// S6: the dexa card names both vertebral fractures as evidence; S4: the
// Genant grade 1 deformity is not evidence of a fracture (default).
func TestSeedRiskFractureEvidence(t *testing.T) {
	labels := func(f Facts) []string {
		var out []string
		for _, fd := range EvaluateRules([]Rule{DexaWHOClassification}, f, DefaultThresholds()) {
			for _, e := range fd.Evidence {
				if strings.Contains(e.Label.EN, "racture") {
					out = append(out, string(e.Source))
				}
			}
		}
		return out
	}
	if got := labels(rsS6()); strings.Join(got, ",") != "Condition/l1-fracture,Observation/vfa-second" {
		t.Errorf("S6 fracture evidence = %v", got)
	}
	if got := labels(rsS4()); strings.Join(got, ",") != "Condition/hip-fracture" {
		t.Errorf("S4 fracture evidence = %v (hip fracture only; grade 1 not counted)", got)
	}
}
