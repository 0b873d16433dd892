package rules

import (
	"strings"
	"testing"
	"time"
)

// Tests of the shared bisphosphonate safety check (bisphosphonate_safety.go)
// on every card that suggests a bisphosphonate.

// bsLabs returns the fresh normal safety labs of rkFullLabs with the given
// analytes replaced.
func bsLabs(over ...Lab) []Lab {
	labs := rkFullLabs(20)
	for _, o := range over {
		replaced := false
		for i := range labs {
			if labs[i].Analyte == o.Analyte {
				labs[i], replaced = o, true
			}
		}
		if !replaced {
			labs = append(labs, o)
		}
	}
	return labs
}

func bsKeys(f Finding) []string {
	var out []string
	for _, s := range f.Suggestions {
		out = append(out, s.Key)
	}
	return out
}

func bsHas(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

func TestOsteoporosisTreatmentIndicationBisphosphonateSafety(t *testing.T) {
	indication := func(labs []Lab, conds []Condition, meds ...MedicationRecord) Facts {
		f := r06Facts(72, r06Spine(-2.8), conds, meds...)
		f.Labs = labs
		return f
	}
	hernia := Condition{Source: "Condition/hernia", Concepts: []Concept{ConceptHiatalHernia}, Code: "hiatal hernia", Onset: rkAgo(900), Active: true}
	stricture := Condition{Source: "Condition/stricture", Concepts: []Concept{ConceptOesophagealDisorder}, Code: "oesophageal stricture", Onset: rkAgo(900), Active: true}
	ppi := rkMed("omeprazole", KindStatement, "active", rkAgo(500), time.Time{}, DrugPPI)
	mtx := rkMed("methotrexate", KindStatement, "active", rkAgo(1500), time.Time{}, DrugMethotrexate)
	tibia := rkFracture("tibia", rkAgo(60), ConceptMTXTypicalSite)
	corrected := rkLab(AnalyteCalciumCorrected, 2.30, rkAgo(20))
	tests := []struct {
		name          string
		facts         Facts
		wantKeys      []string
		wantRecommend bool     // the first bisphosphonate suggestion is recommended
		wantText      []string // in the Dutch detail
		wantSummary   string   // in the Dutch summary
	}{
		{"eGFR 25: no bisphosphonate, refer, consider denosumab",
			indication(bsLabs(rkLab(AnalyteEGFR, 25, rkAgo(20))), nil), nil, false,
			[]string{"Geen bisfosfonaat: eGFR 25 < 30 — verwijs naar internist/reumatoloog; denosumab overwegen"}, "geen bisfosfonaat (eGFR 25 < 30)"},
		{"eGFR 32: alendronate dropped (SmPC < 35), risedronate still offered",
			indication(bsLabs(rkLab(AnalyteEGFR, 32, rkAgo(20))), nil), []string{KeyOrderRisedronate35mg}, false,
			[]string{"Geen alendroninezuur: eGFR 32 < 35"}, "start een bisfosfonaat"},
		{"ALP 30 < 40: no bisphosphonate (hypophosphatasia)",
			indication(bsLabs(rkLab(AnalyteALP, 30, rkAgo(20))), nil), nil, false,
			[]string{"Geen bisfosfonaat: alkalische fosfatase 30 < 40 U/L — sluit eerst hypofosfatasie uit"}, "geen bisfosfonaat"},
		{"ALP 45 below the lab's lower limit 50: no bisphosphonate",
			indication(bsLabs(func() Lab { l := rkLab(AnalyteALP, 45, rkAgo(20)); lo := 50.0; l.RefLow = &lo; return l }()), nil), nil, false,
			[]string{"alkalische fosfatase 45 < 50 U/L"}, "geen bisfosfonaat"},
		{"calcium 2.05: no bisphosphonate until corrected",
			indication(bsLabs(rkLab(AnalyteCalcium, 2.05, rkAgo(20))), nil), nil, false,
			[]string{"calcium 2,05 < 2,1 mmol/L — corrigeer eerst de hypocalciëmie"}, "geen bisfosfonaat"},
		{"total calcium 2.05 but corrected calcium 2.30 the same day: corrected preferred, allowed",
			indication(bsLabs(rkLab(AnalyteCalcium, 2.05, rkAgo(20)), corrected), nil), []string{KeyOrderAlendronate70mg, KeyOrderRisedronate35mg}, true, nil, "start een bisfosfonaat"},
		{"oesophageal stricture: no oral bisphosphonate, consider IV zoledronic acid",
			indication(bsLabs(), []Condition{stricture}), nil, false,
			[]string{"slokdarmaandoening — overweeg zoledroninezuur iv"}, "geen bisfosfonaat"},
		{"hiatal hernia with an active PPI: no oral bisphosphonate",
			indication(bsLabs(), []Condition{hernia}, ppi), nil, false,
			[]string{"hiatushernia met maagzuurremmer"}, "geen bisfosfonaat"},
		{"hiatal hernia without a PPI: bisphosphonates offered",
			indication(bsLabs(), []Condition{hernia}), []string{KeyOrderAlendronate70mg, KeyOrderRisedronate35mg}, true, nil, "start een bisfosfonaat"},
		{"long-term methotrexate with a tibia fracture (MTX osteopathy card fires): no bisphosphonate",
			indication(bsLabs(), []Condition{tibia}, mtx), nil, false,
			[]string{"mogelijke methotrexaat-osteopathie — start niet automatisch een bisfosfonaat"}, "geen bisfosfonaat"},
		// Missing or stale safety labs: the card orders them first (the
		// recommended step); the bisphosphonates stay, not recommended.
		{"no safety labs: bisphosphonates offered but not recommended, labs first",
			indication(nil, nil), []string{KeyOrderLabPanel, KeyOrderAlendronate70mg, KeyOrderRisedronate35mg}, true,
			[]string{"eerst laboratoriumonderzoek", "eGFR/kreatinine, calcium, alkalische fosfatase"}, "eerst lab, dan een bisfosfonaat"},
		{"safety labs 200 days old (stale): not recommended",
			indication(func() []Lab { l := rkFullLabs(200); return l }(), nil), []string{KeyOrderLabPanel, KeyOrderAlendronate70mg, KeyOrderRisedronate35mg}, true,
			[]string{"eerst laboratoriumonderzoek"}, "eerst lab, dan een bisfosfonaat"},
		{"fresh normal safety labs: alendronate recommended",
			indication(bsLabs(), nil), []string{KeyOrderAlendronate70mg, KeyOrderRisedronate35mg}, true, nil, "start een bisfosfonaat"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := rkOne(t, OsteoporosisTreatmentIndication, tc.facts)
			keys := bsKeys(f)
			if strings.Join(keys, ",") != strings.Join(tc.wantKeys, ",") {
				t.Errorf("suggestions %v, want %v", keys, tc.wantKeys)
			}
			if len(f.Suggestions) > 0 && f.Suggestions[0].Recommended != tc.wantRecommend {
				t.Errorf("first suggestion recommended = %v, want %v", f.Suggestions[0].Recommended, tc.wantRecommend)
			}
			rkContains(t, "detail", f.Detail.NL, tc.wantText...)
			rkContains(t, "summary", f.Summary.NL, tc.wantSummary)
			if len(tc.wantKeys) < 2 {
				// A block shows its threshold and its evidence.
				var th []string
				for _, x := range f.Thresholds {
					th = append(th, x.NL)
				}
				if len(f.Thresholds) < 4 {
					t.Errorf("blocking threshold not shown: %v", th)
				}
			}
		})
	}
}

func TestGlucocorticoidHighDoseNoAlendronateWhenContraindicated(t *testing.T) {
	f := r02Facts(PatientView, 70, nil, r02Pred(10, 120))
	f.Labs = bsLabs(rkLab(AnalyteEGFR, 25, rkAgo(20)))
	fd := rkOne(t, GlucocorticoidBoneRisk, f)
	if bsHas(bsKeys(fd), KeyOrderAlendronate70mg) {
		t.Errorf("alendronate suggested at eGFR 25: %v", bsKeys(fd))
	}
	rkContains(t, "detail", fd.Detail.NL, "Geen bisfosfonaat: eGFR 25 < 30")
	found := false
	for _, e := range fd.Evidence {
		found = found || e.ValueIn("en") == "25" && e.Unit == "mL/min/1.73m2"
	}
	if !found {
		t.Errorf("eGFR evidence missing: %+v", fd.Evidence)
	}
}

func TestDenosumabStopZoledronicAcidContraindicatedKeepsDenosumabRecommended(t *testing.T) {
	facts := rbFacts(OrderSign, dmabAdmin("a1", rbDay("2024-07-05")), dmabAdmin("a2", rbDay("2025-01-05")), dmabDraft("d1", "stopped"))
	facts.Labs = []Lab{{Source: "Observation/egfr", Analyte: AnalyteEGFR, Value: 32, Date: rbDaysAgo(10)}}
	var fd Finding
	for _, f := range rbEval(t, facts, DefaultThresholds(), DenosumabNoStopWithoutFollowup) {
		if f.Topic == TopicDenosumabNoStopWithoutFollowup && f.Indicator == Critical {
			fd = f
		}
	}
	if fd.Topic == "" {
		t.Fatal("no critical stop card")
	}
	var zol, keep *Suggestion
	for i := range fd.Suggestions {
		switch fd.Suggestions[i].Key {
		case KeyOrderZolAfterDenosumab:
			zol = &fd.Suggestions[i]
		case KeyOrderDenosumab60mg:
			keep = &fd.Suggestions[i]
		}
	}
	// The planner's safety veto (issue 12): a contraindicated drug is
	// never offered, not even unrecommended; continuing denosumab is.
	if zol != nil || keep == nil {
		t.Fatalf("want keep denosumab and no zoledronic acid: %v", bsKeys(fd))
	}
	if !keep.Recommended {
		t.Errorf("keep denosumab recommended=%v (want true)", keep.Recommended)
	}
	// First what to do (the planner's lead), then the contraindication.
	if paras := strings.SplitN(fd.Detail.NL, "\n\n", 3); len(paras) < 2 || !strings.HasPrefix(paras[0], "Te doen:") || !strings.HasPrefix(paras[1], "Let op") {
		t.Errorf("contraindication not first in the detail:\n%s", fd.Detail.NL)
	}
	rkContains(t, "detail", fd.Detail.NL, "zoledroninezuur gecontra-indiceerd bij eGFR < 35: overleg met specialist over alternatief")
	rkContains(t, "summary", fd.Summary.NL, "gecontra-indiceerd")
}

func TestDenosumab5yReviewNoZoledronicAcidWhenContraindicated(t *testing.T) {
	facts := rbFacts(PatientView, dmabSeries(rbDay("2020-07-05"), 10, 6)...)
	facts.Labs = []Lab{{Source: "Observation/egfr", Analyte: AnalyteEGFR, Value: 32, Date: rbDaysAgo(10)}}
	fs := rbEval(t, facts, DefaultThresholds(), Denosumab5yReview)
	if len(fs) == 0 {
		t.Fatal("no review card")
	}
	keys := bsKeys(fs[0])
	if bsHas(keys, KeyDenosumabSwitchZol) || bsHas(keys, KeyDenosumabStopZol) || !bsHas(keys, KeyOrderDenosumab60mg) {
		t.Errorf("suggestions %v: want only continue denosumab at eGFR 32", keys)
	}
	rkContains(t, "detail", fs[0].Detail.NL, "Geen zoledroninezuur: eGFR 32 < 35")
}

func TestAnabolicFollowupNoZoledronicAcidAtLowEGFR(t *testing.T) {
	end := rbDaysAgo(200)
	facts := rbFacts(PatientView, tptdStatement("t1", "completed", end.AddDate(0, -24, 1), end))
	facts.Labs = []Lab{{Source: "Observation/egfr", Analyte: AnalyteEGFR, Value: 25, Date: rbDaysAgo(10)}}
	fs := rbEval(t, facts, DefaultThresholds(), AnabolicFollowupAntiresorptive)
	if len(fs) == 0 {
		t.Fatal("no follow-up card")
	}
	keys := bsKeys(fs[0])
	if bsHas(keys, "anabolic-followup-zoledronic-acid") || !bsHas(keys, KeyOrderDenosumab60mg) {
		t.Errorf("suggestions %v: want denosumab only at eGFR 25", keys)
	}
}

func TestOralBisphosphonateGICautionNoZoledronicAlternativeAtLowEGFR(t *testing.T) {
	stricture := Condition{Source: "Condition/stricture", Concepts: []Concept{ConceptOesophagealDisorder}, Code: "stricture", Onset: sfT.AddDate(-1, 0, 0), Active: true}
	f := sfFacts(OrderSign, sfEGFR(32), sfDraftALN)
	f.Conditions = []Condition{stricture}
	fd := fxFinding(t, OralBisphosphonateGICaution, f)
	if bsHas(bsKeys(fd), KeyOrderZoledronicAcid) {
		t.Errorf("zoledronic acid offered as alternative at eGFR 32: %v", bsKeys(fd))
	}
}
