package rules

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// This file checks invariants that every registered rule must keep, on a
// set of rich fact fixtures evaluated at every hook. It grows with the
// catalog: a new rule file is checked as soon as it registers itself.

var ctT = fxDate("2025-06-01")

func ctDaysAgo(n int) time.Time { return ctT.AddDate(0, 0, -n) }

// ctKitchenSink is a patient with nearly every datum the rules read, many
// of them abnormal, plus draft orders of every bone drug.
func ctKitchenSink(h Hook) Facts {
	lab := func(id string, a Analyte, v float64, daysAgo int) Lab {
		return Lab{Source: Ref("Observation/" + id), Analyte: a, Value: v, Date: ctDaysAgo(daysAgo), Code: "LOINC " + id}
	}
	refLow := 45.0
	alp := lab("alp", AnalyteALP, 30, 10)
	alp.RefLow = &refLow
	med := func(id string, kind RecordKind, status string, start, end time.Time, classes ...DrugClass) MedicationRecord {
		return MedicationRecord{Source: Ref("MedicationStatement/" + id), Kind: kind, Status: status, Start: start, End: end,
			Classes: classes, Code: "ATC " + id, Name: id}
	}
	draft := func(id string, classes ...DrugClass) MedicationRecord {
		return MedicationRecord{Source: Ref("MedicationRequest/draft-" + id), Kind: KindDraftOrder, Status: "draft", Selected: true,
			Classes: classes, Code: "ATC " + id, Name: id, StrengthMg: 0}
	}
	pred := med("prednisolone", KindStatement, "active", ctDaysAgo(400), time.Time{}, DrugGlucocorticoidSystemic)
	pred.DailyDoseMg = 10
	var dmabDoses []MedicationRecord
	for i := 0; i < 10; i++ {
		d := med(fmt.Sprintf("dmab-%d", i), KindAdministration, "completed", ctDaysAgo(300+183*i), time.Time{}, DrugDenosumab)
		d.SingleDose, d.StrengthMg, d.Name, d.Code = true, 60, "denosumab", "ATC M05BX04"
		dmabDoses = append(dmabDoses, d)
	}
	stopDmab := draft("dmab-stop", DrugDenosumab)
	stopDmab.Status, stopDmab.StrengthMg = "stopped", 60
	return Facts{
		AsOf:    ctT,
		Hook:    h,
		Patient: Patient{ID: "sink", BirthDate: fxDate("1957-03-03"), Gender: "female"},
		Conditions: []Condition{
			{Source: "Condition/vert", Concepts: []Concept{ConceptFracture, ConceptVertebralFracture}, Code: "SNOMED vertebral", Onset: ctDaysAgo(60), Active: true},
			{Source: "Condition/wrist", Concepts: []Concept{ConceptFracture}, Code: "SNOMED wrist", Onset: ctDaysAgo(30), Active: true},
			{Source: "Condition/hip", Concepts: []Concept{ConceptFracture, ConceptHipFracture}, Code: "SNOMED hip", Onset: ctDaysAgo(900), Active: false},
			{Source: "Condition/tibia", Concepts: []Concept{ConceptFracture, ConceptMTXTypicalSite, ConceptStressFracture}, Code: "SNOMED tibia", Onset: ctDaysAgo(20), Active: true},
			{Source: "Condition/pain", Concepts: []Concept{ConceptBonePain}, Code: "SNOMED pain", Onset: ctDaysAgo(15), Active: true},
			{Source: "Condition/op", Concepts: []Concept{ConceptOsteoporosis}, Code: "SNOMED osteoporosis", Onset: ctDaysAgo(2000), Active: true},
			{Source: "Condition/hernia", Concepts: []Concept{ConceptHiatalHernia}, Code: "ICPC D84", Onset: ctDaysAgo(3000), Active: true},
			{Source: "Condition/achalasia", Concepts: []Concept{ConceptOesophagealDisorder}, Code: "SNOMED achalasia", Onset: ctDaysAgo(3000), Active: true},
			{Source: "Condition/hypothyroid", Concepts: []Concept{ConceptHypothyroidism}, Code: "ICPC T86", Onset: ctDaysAgo(3000), Active: true},
			{Source: "Condition/grade1", Concepts: []Concept{ConceptVertebralFracture}, Code: "VFA", GenantGrade: 1, Active: true},
		},
		Labs: []Lab{
			lab("egfr", AnalyteEGFR, 25, 10), lab("crcl", AnalyteCrClCockcroftGault, 27, 10), lab("creat", AnalyteCreatinine, 180, 10),
			alp, lab("ca", AnalyteCalcium, 2.0, 10), lab("ca-corr", AnalyteCalciumCorrected, 2.02, 10),
			lab("vitd", AnalyteVitaminD, 20, 10), lab("tsh", AnalyteTSH, 0.1, 10), lab("ft4", AnalyteFT4, 30, 10),
			lab("esr", AnalyteESR, 50, 10), lab("alb", AnalyteAlbumin, 30, 10), lab("phos", AnalytePhosphate, 0.7, 10),
		},
		DXA: []DXAMeasurement{
			{Source: "Observation/spine-t-old", Site: SiteLumbarSpine, Measure: TScore, Value: -2.2, Date: ctDaysAgo(800)},
			{Source: "Observation/spine-bmd-old", Site: SiteLumbarSpine, Measure: BMD, Value: 0.850, Date: ctDaysAgo(800)},
			{Source: "Observation/hip-bmd-old", Site: SiteTotalHip, Measure: BMD, Value: 0.700, Date: ctDaysAgo(800)},
			{Source: "Observation/spine-t", Site: SiteLumbarSpine, Measure: TScore, Value: -3.0, Date: ctDaysAgo(40)},
			{Source: "Observation/spine-bmd", Site: SiteLumbarSpine, Measure: BMD, Value: 0.800, Date: ctDaysAgo(40)},
			{Source: "Observation/hip-t", Site: SiteTotalHip, Measure: TScore, Value: -2.6, Date: ctDaysAgo(40)},
			{Source: "Observation/hip-bmd", Site: SiteTotalHip, Measure: BMD, Value: 0.800, Date: ctDaysAgo(40)},
			{Source: "Observation/neck-t", Site: SiteFemoralNeck, Measure: TScore, Value: -2.8, Date: ctDaysAgo(40)},
			{Source: "Observation/neck-z", Site: SiteFemoralNeck, Measure: ZScore, Value: -1.8, Date: ctDaysAgo(40)},
		},
		Medications: append([]MedicationRecord{
			med("methotrexate", KindStatement, "active", ctDaysAgo(5*365), time.Time{}, DrugMethotrexate),
			pred,
			med("alendronate", KindStatement, "active", ctDaysAgo(11*365), time.Time{}, DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate),
			med("teriparatide", KindStatement, "active", ctDaysAgo(25*31), time.Time{}, DrugTeriparatide),
			med("romosozumab", KindStatement, "completed", ctDaysAgo(800), ctDaysAgo(435), DrugRomosozumab),
			med("omeprazole", KindStatement, "active", ctDaysAgo(1000), time.Time{}, DrugPPI),
			med("oxazepam", KindStatement, "active", ctDaysAgo(1000), time.Time{}, DrugBenzodiazepine),
			med("levothyroxine", KindStatement, "active", ctDaysAgo(3000), time.Time{}, DrugLevothyroxine),
			med("letrozole", KindStatement, "active", ctDaysAgo(700), time.Time{}, DrugAromataseInhibitor),
			draft("alendronate", DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate),
			draft("zoledronic", DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid),
			draft("denosumab", DrugDenosumab),
			draft("teriparatide", DrugTeriparatide),
			draft("romosozumab", DrugRomosozumab),
			draft("methotrexate", DrugMethotrexate),
			draft("prednisolone", DrugGlucocorticoidSystemic),
			stopDmab,
		}, dmabDoses...),
		ServiceOrder: []ServiceOrder{{Source: "ServiceRequest/dxa", Kind: ServiceDXA, Status: "completed", Date: ctDaysAgo(45)}},
		Falls: []FallRecord{
			{Source: "Observation/falls", Date: ctDaysAgo(30), Count: 3},
			{Source: "Observation/fear", Date: ctDaysAgo(30), Count: 0, FearOfFalling: true},
		},
		Gaps: []Gap{{Source: "Observation/odd-unit", What: Text{NL: "25-OH vitamine D (eenheid µg/dL)", EN: "25-OH vitamin D (unit µg/dL)"}}},
	}
}

// ctFixtures are the facts the invariants are checked on: every seed case
// and the kitchen sink (also without birth date, and empty) at every hook.
func ctFixtures() map[string]Facts {
	out := map[string]Facts{}
	hooks := []Hook{PatientView, OrderSelect, OrderSign}
	for _, sc := range seedCases {
		for _, h := range hooks {
			f := sc.facts()
			f.Hook = h
			out[sc.id+"@"+string(h)] = f
		}
	}
	for _, h := range hooks {
		out["kitchen-sink@"+string(h)] = ctKitchenSink(h)
		noBirth := ctKitchenSink(h)
		noBirth.Patient.BirthDate = time.Time{}
		out["kitchen-sink-no-birth-date@"+string(h)] = noBirth
		earlier := ctKitchenSink(h)
		earlier.AsOf = ctT.AddDate(0, -7, 0)
		out["kitchen-sink-7-months-earlier@"+string(h)] = earlier
		out["empty@"+string(h)] = Facts{AsOf: ctT, Hook: h}
		for name, f := range ctTreatmentFixtures() {
			f.Hook = h
			out[name+"@"+string(h)] = f
		}
	}
	return out
}

func TestCatalogRegistration(t *testing.T) {
	numbers, topics := map[int]string{}, map[string]bool{}
	for _, r := range Catalog() {
		if prev, dup := numbers[r.Number]; dup {
			t.Errorf("R%02d registered twice (%s and %s)", r.Number, prev, r.Topic)
		}
		numbers[r.Number] = r.Topic
		if topics[r.Topic] {
			t.Errorf("topic %s registered twice", r.Topic)
		}
		topics[r.Topic] = true
		if r.Eval == nil || len(r.Hooks) == 0 {
			t.Errorf("%s: no Eval or no hooks", r.Topic)
		}
		file := strings.ReplaceAll(r.Topic, "-", "_") + ".go"
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: the rule must live in %s (topic code = file name): %v", r.Topic, file, err)
			continue
		}
		if !strings.Contains(string(src), `"`+r.Topic+`"`) {
			t.Errorf("%s: %s does not contain the topic code", r.Topic, file)
		}
	}
}

func TestCatalogInvariants(t *testing.T) {
	th := DefaultThresholds()
	rulesByTopic := map[string]Rule{}
	for _, r := range Catalog() {
		rulesByTopic[r.Topic] = r
	}
	fired := map[string]bool{}
	for name, facts := range ctFixtures() {
		t.Run(name, func(t *testing.T) {
			first := Evaluate(facts, th)
			second := Evaluate(facts, th)
			if diff := cmp.Diff(first, second); diff != "" {
				t.Errorf("Evaluate is not deterministic (-first +second):\n%s", diff)
			}
			insufficient := 0
			for i, f := range first {
				fired[f.Topic] = true
				where := fmt.Sprintf("finding %d (%s)", i, f.Topic)
				if f.Topic == TopicInsufficientData {
					insufficient++
				} else if r, ok := rulesByTopic[f.Topic]; !ok {
					t.Errorf("%s: topic is not a registered rule's topic", where)
				} else if !runsOn(r, facts.Hook) {
					t.Errorf("%s: fired on %s, which the rule does not declare", where, facts.Hook)
				}
				ctCheckFinding(t, where, f)
			}
			if insufficient > 1 {
				t.Errorf("%d insufficient-data cards, want at most one", insufficient)
			}
		})
	}
	for _, topic := range []string{TopicFractureCaseFinding, TopicMTXDexaOnIndication, TopicBisphosphonateEGFRContraindication,
		TopicBisphosphonateLowALP, TopicAntiresorptiveHypocalcaemia, TopicInsufficientData} {
		if !fired[topic] {
			t.Errorf("fixtures never made %s fire: the invariants were not exercised for it", topic)
		}
	}
	for _, r := range Catalog() {
		if !fired[r.Topic] {
			t.Logf("note: no fixture makes %s fire; add one to ctKitchenSink", r.Topic)
		}
	}
}

func ctCheckFinding(t *testing.T, where string, f Finding) {
	t.Helper()
	if f.Indicator.Rank() == 0 {
		t.Errorf("%s: indicator %q is not info/warning/critical", where, f.Indicator)
	}
	for lang, s := range map[string]string{"nl": f.Summary.NL, "en": f.Summary.EN} {
		if n := utf8.RuneCountInString(s); n == 0 || n >= 140 {
			t.Errorf("%s: %s summary has %d runes, want 1..139: %q", where, lang, n, s)
		}
	}
	if (f.Detail.NL == "") != (f.Detail.EN == "") {
		t.Errorf("%s: detail present in only one language", where)
	}
	if f.Topic != TopicInsufficientData {
		if len(f.Evidence) == 0 {
			t.Errorf("%s: no evidence", where)
		}
		https := false
		for _, c := range f.Citations {
			https = https || (strings.HasPrefix(c.URL, "https://") && c.Label != "")
		}
		if !https {
			t.Errorf("%s: no citation with a label and an https URL: %+v", where, f.Citations)
		}
	}
	for _, e := range f.Evidence {
		if e.Label.NL == "" || e.Label.EN == "" {
			t.Errorf("%s: evidence without a label in both languages: %+v", where, e)
		}
	}
	for _, th := range f.Thresholds {
		if th.NL == "" || th.EN == "" {
			t.Errorf("%s: threshold text missing a language: %+v", where, th)
		}
	}
	for _, s := range f.Suggestions {
		if s.Label.NL == "" || s.Label.EN == "" {
			t.Errorf("%s: suggestion %q without a label in both languages", where, s.Key)
		}
		if len(s.Actions) == 0 {
			t.Errorf("%s: suggestion %q has no action", where, s.Key)
		}
		for _, a := range s.Actions {
			switch a.Type {
			case Delete:
				if a.ResourceID == "" {
					t.Errorf("%s: suggestion %q: delete without ResourceID", where, s.Key)
				}
			case Create:
				if a.Order == nil {
					t.Errorf("%s: suggestion %q: create without an Order", where, s.Key)
				}
			case Update:
				if a.ResourceID == "" {
					t.Errorf("%s: suggestion %q: update without ResourceID", where, s.Key)
				}
			default:
				t.Errorf("%s: suggestion %q: action type %q", where, s.Key, a.Type)
			}
		}
	}
	for _, o := range f.OverrideReasons {
		if o.Code == "" || o.Display.NL == "" || o.Display.EN == "" {
			t.Errorf("%s: override reason without code or display: %+v", where, o)
		}
	}
}

// ctTreatmentFixtures are plain patients on (or after) one bone drug, so
// that the treatment-course rules fire without the kitchen sink's noise.
func ctTreatmentFixtures() map[string]Facts {
	woman := Patient{ID: "w", BirthDate: fxDate("1955-01-15"), Gender: "female"}
	aln := func(status string, start, end time.Time) MedicationRecord {
		return MedicationRecord{Source: "MedicationStatement/aln", Kind: KindStatement, Status: status, Start: start, End: end,
			Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugAlendronate}, Code: "ATC M05BA04", Name: "alendronic acid"}
	}
	hipT := func(v float64, daysAgo int) DXAMeasurement {
		return DXAMeasurement{Source: "Observation/hip-t", Site: SiteFemoralNeck, Measure: TScore, Value: v, Date: ctDaysAgo(daysAgo)}
	}
	var doses []MedicationRecord
	for i := 0; i < 10; i++ {
		doses = append(doses, MedicationRecord{Source: Ref(fmt.Sprintf("MedicationAdministration/dmab-%d", i)), Kind: KindAdministration,
			Status: "completed", Start: ctDaysAgo(250 + 183*i), SingleDose: true, StrengthMg: 60,
			Classes: []DrugClass{DrugDenosumab}, Code: "ATC M05BX04", Name: "denosumab"})
	}
	return map[string]Facts{
		"alendronate-5y": {AsOf: ctT, Patient: woman, Medications: []MedicationRecord{aln("active", ctDaysAgo(5*365+60), time.Time{})},
			DXA: []DXAMeasurement{hipT(-2.4, 20)}},
		"alendronate-11y": {AsOf: ctT, Patient: woman, Medications: []MedicationRecord{aln("active", ctDaysAgo(11*365), time.Time{})}},
		"alendronate-holiday-3.5y": {AsOf: ctT, Patient: woman,
			Medications: []MedicationRecord{aln("stopped", ctDaysAgo(9*365), ctDaysAgo(3*365+180))}},
		"denosumab-5y-overdue": {AsOf: ctT, Patient: woman, Medications: doses},
		"untreated-t-2.7":      {AsOf: ctT, Patient: woman, DXA: []DXAMeasurement{hipT(-2.7, 20)}},
		"prednisolone-10mg-400d": {AsOf: ctT, Patient: woman, Medications: []MedicationRecord{{
			Source: "MedicationStatement/pred", Kind: KindStatement, Status: "active", Start: ctDaysAgo(400), DailyDoseMg: 10, Route: "oral",
			Classes: []DrugClass{DrugGlucocorticoidSystemic}, Code: "ATC H02AB06", Name: "prednisolone"}}},
		"teriparatide-ended-200d": {AsOf: ctT, Patient: woman, Medications: []MedicationRecord{{
			Source: "MedicationStatement/tptd", Kind: KindStatement, Status: "completed", Start: ctDaysAgo(930), End: ctDaysAgo(200),
			Classes: []DrugClass{DrugTeriparatide}, Code: "ATC H05AA02", Name: "teriparatide"}}},
	}
}
