package rules

import (
	"path"
	"sort"
	"testing"
)

// Seed cases S4, S6 and S7 (rules.md §5.2) as fact literals, checked for
// the DXA-change, GI-caution and monitoring topics (R23, R24, R25, R27):
// the other topics of these cases belong to other rule files.

// dxaSeedRules are the rules this file checks.
func dxaSeedRules() []Rule {
	return []Rule{DexaChangeLSC, DexaChangeImplausible, OralBisphosphonateGICaution, TreatmentMonitoringSchedule}
}

// dxaSeedFacts returns S4, S6 or S7 (S6gi: S6 at order-select of an oral
// bisphosphonate).
func dxaSeedFacts(id string) Facts {
	aln := func(ref, start string) MedicationRecord {
		return MedicationRecord{Source: Ref(ref), Kind: KindStatement,
			Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
			Code:    "ATC M05BA04", Name: "alendronic acid", Status: "active", Start: fxDate(start), Route: "oral"}
	}
	cavd := func(ref, start string) MedicationRecord {
		return MedicationRecord{Source: Ref(ref), Kind: KindStatement, Classes: []DrugClass{DrugCalcium, DrugVitaminD},
			Code: "ATC A12AX", Name: "calcium/colecalciferol", Status: "active", Start: fxDate(start)}
	}
	switch id {
	case "S4":
		return Facts{
			AsOf: fxDate("2025-06-01"), Hook: PatientView,
			Patient: Patient{ID: "s4-pat", BirthDate: fxDate("1955-01-15"), Gender: "female"},
			Conditions: []Condition{
				{Source: "Condition/s4-hip-fracture", Concepts: []Concept{ConceptFracture, ConceptHipFracture}, Code: "SNOMED CT 359817006", Onset: fxDate("2020-03-10"), Active: true},
				{Source: "Condition/s4-osteoporosis", Concepts: []Concept{ConceptOsteoporosis}, Code: "SNOMED CT 64859006", Onset: fxDate("2020-04-01"), Active: true},
				// VFA: one mild (Genant grade 1) thoracic deformity, onset unknown.
				{Source: "Condition/s4-vertebral-deformity", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture, ConceptOsteoporosis}, Code: "SNOMED CT 240198002", GenantGrade: 1, Active: true},
			},
			DXA: []DXAMeasurement{
				fxDXA("Observation/s4-dxa-2020-spine-bmd", SiteLumbarSpine, BMD, 0.800, "2020-04-15"), // synthetic
				fxDXA("Observation/s4-dxa-2020-neck-bmd", SiteFemoralNeck, BMD, 0.620, "2020-04-15"),  // synthetic
				fxDXA("Observation/s4-dxa-spine-t", SiteLumbarSpine, TScore, -2.6, "2025-05-20"),
				fxDXA("Observation/s4-dxa-spine-bmd", SiteLumbarSpine, BMD, 0.864, "2025-05-20"),
				fxDXA("Observation/s4-dxa-neck-t", SiteFemoralNeck, TScore, -2.4, "2025-05-20"),
				fxDXA("Observation/s4-dxa-neck-bmd", SiteFemoralNeck, BMD, 0.648, "2025-05-20"),
			},
			Labs: []Lab{
				fxLab("Observation/s4-alp", AnalyteALP, Exact, 70, "2025-05-20"),
				fxLab("Observation/s4-egfr", AnalyteEGFR, Exact, 78, "2025-05-20"),
				fxLab("Observation/s4-vitd", AnalyteVitaminD, Exact, 65, "2025-05-20"),
				fxLab("Observation/s4-calcium", AnalyteCalcium, Exact, 2.35, "2025-05-20"),
			},
			Medications: []MedicationRecord{aln("MedicationStatement/s4-alendronate", "2020-04-01"), cavd("MedicationStatement/s4-calcium-vitd", "2020-04-01")},
		}
	case "S6":
		return Facts{
			AsOf: fxDate("2025-09-15"), Hook: PatientView,
			Patient: Patient{ID: "s6-pat", BirthDate: fxDate("1945-05-01"), Gender: "male"},
			Conditions: []Condition{
				{Source: "Condition/s6-humerus-fracture", Concepts: []Concept{ConceptFracture}, Code: "SNOMED CT 66308002", Onset: fxDate("2022-06-10"), Active: true},
				{Source: "Condition/s6-osteoporosis", Concepts: []Concept{ConceptOsteoporosis}, Code: "SNOMED CT 64859006", Onset: fxDate("2022-07-01"), Active: true},
				{Source: "Condition/s6-l1-fracture", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Code: "SNOMED CT 42157000", Onset: fxDate("2025-08-25"), Active: true},
				{Source: "Condition/s6-vertebral-infraction-2", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture, ConceptOsteoporosis}, Code: "SNOMED CT 240198002", Onset: fxDate("2025-09-08"), Active: true},
				{Source: "Condition/s6-hiatal-hernia", Concepts: []Concept{ConceptHiatalHernia}, Code: "SNOMED CT 84089009", Active: true},
				{Source: "Condition/s6-hypothyroidism", Concepts: []Concept{ConceptHypothyroidism}, Code: "SNOMED CT 40930008", Active: true},
				{Source: "Condition/s6-hypertension", Code: "SNOMED CT 38341003", Active: true},
				{Source: "Condition/s6-bph", Code: "SNOMED CT 266569009", Active: true},
			},
			DXA: []DXAMeasurement{
				fxDXA("Observation/s6-dxa-prev-spine-bmd", SiteLumbarSpine, BMD, 0.853, "2022-07-05"), // synthetic
				fxDXA("Observation/s6-dxa-prev-hip-bmd", SiteTotalHip, BMD, 0.733, "2022-07-05"),      // synthetic
				fxDXA("Observation/s6-dxa-spine-bmd", SiteLumbarSpine, BMD, 0.878, "2025-09-08"),
				fxDXA("Observation/s6-dxa-spine-t", SiteLumbarSpine, TScore, -2.4, "2025-09-08"),
				fxDXA("Observation/s6-dxa-hip-bmd", SiteTotalHip, BMD, 0.747, "2025-09-08"),
				fxDXA("Observation/s6-dxa-hip-t", SiteTotalHip, TScore, -1.9, "2025-09-08"),
				fxDXA("Observation/s6-dxa-neck-bmd", SiteFemoralNeck, BMD, 0.664, "2025-09-08"),
				fxDXA("Observation/s6-dxa-neck-t", SiteFemoralNeck, TScore, -2.0, "2025-09-08"),
			},
			Medications: []MedicationRecord{
				aln("MedicationStatement/s6-alendronate", "2022-07-15"),
				cavd("MedicationStatement/s6-calcium-vitd", "2022-07-15"),
				{Source: "MedicationStatement/s6-omeprazole", Kind: KindStatement, Classes: []DrugClass{DrugPPI},
					Code: "ATC A02BC01", Name: "omeprazole", Status: "active", Start: fxDate("2019-01-01"), Route: "oral"},
			},
		}
	case "S6gi":
		f := dxaSeedFacts("S6")
		f.Hook = OrderSelect
		f.Medications = append(f.Medications, MedicationRecord{Source: "MedicationRequest/s6-draft-aln", Kind: KindDraftOrder,
			Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate},
			Code:    "ATC M05BA04", Name: "alendronic acid", Status: "draft", Selected: true, Route: "oral"})
		return f
	case "S7":
		return Facts{
			AsOf: fxDate("2024-10-01"), Hook: PatientView,
			Patient: Patient{ID: "s7-pat", BirthDate: fxDate("1956-09-20"), Gender: "female"}, // synthetic
			DXA: []DXAMeasurement{
				fxDXA("Observation/s7-dxa-prev-spine-bmd", SiteLumbarSpine, BMD, 0.944, "2022-09-12"), // synthetic
				fxDXA("Observation/s7-dxa-prev-neck-bmd", SiteFemoralNeck, BMD, 0.704, "2022-09-12"),  // synthetic
				fxDXA("Observation/s7-dxa-spine-bmd", SiteLumbarSpine, BMD, 0.930, "2024-09-16"),
				fxDXA("Observation/s7-dxa-spine-t", SiteLumbarSpine, TScore, -1.4, "2024-09-16"),
				fxDXA("Observation/s7-dxa-hip-bmd", SiteTotalHip, BMD, 0.907, "2024-09-16"),
				fxDXA("Observation/s7-dxa-hip-t", SiteTotalHip, TScore, -0.3, "2024-09-16"),
				fxDXA("Observation/s7-dxa-neck-bmd", SiteFemoralNeck, BMD, 0.812, "2024-09-16"),
				fxDXA("Observation/s7-dxa-neck-t", SiteFemoralNeck, TScore, -0.3, "2024-09-16"),
			},
		}
	}
	panic("unknown seed case " + id)
}

func TestSeedCasesDXAAndMonitoring(t *testing.T) {
	tests := []struct {
		id      string
		th      func(*Thresholds)
		must    map[string]Indicator
		mustNot []string
	}{
		{id: "S4", must: map[string]Indicator{TopicDexaChangeLSC: Info},
			mustNot: []string{TopicDexaChangeImplausible, TopicOralBisphosphonateGICaution, TopicTreatmentMonitoringSchedule}},
		{id: "S4", th: func(th *Thresholds) { th.VFAGrade1Counts = true }, must: map[string]Indicator{TopicDexaChangeLSC: Info},
			mustNot: []string{TopicDexaChangeImplausible}},
		// S6: alendronate since 2022-07-15; the year-3 check was due
		// 2025-07-15, 62 days before T: outside the window.
		{id: "S6", must: map[string]Indicator{TopicDexaChangeLSC: Info},
			mustNot: []string{TopicDexaChangeImplausible, TopicTreatmentMonitoringSchedule}},
		{id: "S7", must: map[string]Indicator{TopicDexaChangeLSC: Info, TopicDexaChangeImplausible: Warning},
			mustNot: []string{TopicOralBisphosphonateGICaution, TopicTreatmentMonitoringSchedule}},
		// S6 if_order_select_oral_BP: hiatal hernia + PPI ([DESIGN] trigger).
		{id: "S6gi", must: map[string]Indicator{TopicOralBisphosphonateGICaution: Warning},
			mustNot: []string{"dexa-change-*"}},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			th := DefaultThresholds()
			if tc.th != nil {
				tc.th(&th)
			}
			got := map[string]Indicator{}
			for _, f := range EvaluateRules(dxaSeedRules(), dxaSeedFacts(tc.id), th) {
				if _, dup := got[f.Topic]; dup {
					t.Errorf("topic %s twice", f.Topic)
				}
				got[f.Topic] = f.Indicator
			}
			var topics []string
			for topic := range tc.must {
				topics = append(topics, topic)
			}
			sort.Strings(topics)
			for _, topic := range topics {
				if ind, ok := got[topic]; !ok || ind != tc.must[topic] {
					t.Errorf("%s: got %q, want %s (all: %v)", topic, ind, tc.must[topic], got)
				}
			}
			for _, pattern := range tc.mustNot {
				for topic := range got {
					if ok, _ := path.Match(pattern, topic); ok {
						t.Errorf("unexpected %s:%s", topic, got[topic])
					}
				}
			}
		})
	}
}

// S4: both changes significant increases; S6: spine not significant and
// unreliable, hip not significant; S7: spine not significant, neck
// implausible.
func TestSeedDXAChangeSites(t *testing.T) {
	tests := []struct {
		id   string
		want []dcSite
	}{
		{"S4", []dcSite{{SiteLumbarSpine, 8.0, true, false, false, false}, {SiteFemoralNeck, 4.5, true, false, false, false}}},
		{"S6", []dcSite{{SiteLumbarSpine, 2.9, false, true, false, false}, {SiteTotalHip, 1.9, false, false, false, false}}},
		{"S7", []dcSite{{SiteLumbarSpine, -1.5, false, false, false, false}, {SiteFemoralNeck, 15.3, true, false, true, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			got := dcAnalyse(dxaSeedFacts(tc.id), DefaultThresholds())
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("site %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}
