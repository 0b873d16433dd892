package rules

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// plLab is a lab result n days before dmabT.
func plLab(a Analyte, v float64, daysAgo int) Lab {
	return Lab{Source: Ref("Observation/" + string(a)), Analyte: a, Value: v, Date: rbDaysAgo(daysAgo)}
}

// plSafeLabs are fresh normal safety labs (renal function, calcium, ALP,
// vitamin D), measured 10 days before dmabT.
func plSafeLabs(over ...Lab) []Lab {
	labs := []Lab{plLab(AnalyteEGFR, 70, 10), plLab(AnalyteCalcium, 2.35, 10), plLab(AnalyteALP, 80, 10), plLab(AnalyteVitaminD, 75, 10)}
	for _, o := range over {
		for i := range labs {
			if labs[i].Analyte == o.Analyte {
				labs[i] = o
			}
		}
	}
	return labs
}

// plWithSafeLabs gives f fresh normal safety labs, for rule tests about
// something else than the lab-first plan (TestLabsBeforeBisphosphonate).
func plWithSafeLabs(f Facts) Facts {
	f.Labs = plSafeLabs()
	return f
}

// plZolDraft is a zoledronic acid 5 mg order in the order session.
func plZolDraft(selected bool) MedicationRecord {
	return MedicationRecord{
		Source: "MedicationRequest/zol", Kind: KindDraftOrder, Status: "draft", Selected: selected,
		Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid},
		Code:    "ATC M05BA08", Name: "zoledronic acid", NameNL: "zoledroninezuur", StrengthMg: 5, Route: "intravenous",
	}
}

// plCreates reports whether any card suggests creating an order of drug d.
func plCreates(fs []Finding, d Drug) bool {
	for _, f := range fs {
		for _, s := range f.Suggestions {
			for _, a := range s.Actions {
				if a.Type == Create && a.Order != nil && a.Order.Kind == OrderMedication && a.Order.Drug == d {
					return true
				}
			}
		}
	}
	return false
}

// plOrders reports whether any card orders a lab panel with analyte an.
func plOrders(fs []Finding, an Analyte) bool {
	for _, f := range fs {
		for _, s := range f.Suggestions {
			for _, a := range s.Actions {
				if a.Order != nil && a.Order.Kind == OrderLabPanel && containsAnalyte(a.Order.Analytes, an) {
					return true
				}
			}
		}
	}
	return false
}

func plKey(fs []Finding, key string) bool {
	for _, f := range fs {
		for _, s := range f.Suggestions {
			if s.Key == key {
				return true
			}
		}
	}
	return false
}

func plTopic(fs []Finding, topic string) bool {
	for _, f := range fs {
		if f.Topic == topic {
			return true
		}
	}
	return false
}

func plDetail(fs []Finding) string {
	var sb strings.Builder
	for _, f := range fs {
		sb.WriteString(f.Detail.NL)
		sb.WriteString("\n")
	}
	return sb.String()
}

// TestPlannerVetoes covers each safety veto of issue 12 with the clinical
// case the review found: the forbidden suggestion is gone from the whole
// response, the card says why, and the safe action is offered.
func TestPlannerVetoes(t *testing.T) {
	dmabHistory := []MedicationRecord{dmabAdmin("a1", rbDay("2024-07-05")), dmabAdmin("a2", rbDay("2025-01-05"))}
	overdue := []MedicationRecord{dmabAdmin("a1", rbDaysAgo(425)), dmabAdmin("a2", rbDaysAgo(242))}
	withLabs := func(f Facts, labs []Lab) Facts { f.Labs = labs; return f }
	tests := []struct {
		name  string
		facts Facts
		check func(t *testing.T, fs []Finding)
	}{
		{"eGFR 25 with a denosumab stop at order-sign: no zoledronic acid anywhere, continue denosumab offered",
			withLabs(rbFacts(OrderSign, append(dmabHistory[:2:2], dmabDraft("d1", "stopped"))...), plSafeLabs(plLab(AnalyteEGFR, 25, 10))),
			func(t *testing.T, fs []Finding) {
				if plCreates(fs, DrugOrderZoledronicAcid5mg) {
					t.Error("zoledronic acid suggested at eGFR 25")
				}
				if !plCreates(fs, DrugOrderDenosumab60mg) {
					t.Error("continuing denosumab is not offered")
				}
				if !plTopic(fs, TopicDenosumabNoStopWithoutFollowup) {
					t.Error("the critical stop card is gone")
				}
			}},
		{"eGFR 25 with a zoledronic acid order after a denosumab stop: the order is not moved to a later date",
			withLabs(rbFacts(OrderSign, append(dmabHistory[:2:2], dmabTherapy("s1", "stopped", rbDay("2024-07-05"), rbDay("2025-03-01")), plZolDraft(false))...), plSafeLabs(plLab(AnalyteEGFR, 25, 10))),
			func(t *testing.T, fs []Finding) {
				if plCreates(fs, DrugOrderZoledronicAcid5mg) {
					t.Error("zoledronic acid suggested (moved) at eGFR 25")
				}
			}},
		{"calcium 2.02 and 25-OH-D 22 with denosumab overdue: no 'give denosumab now', correct calcium/vitamin D first",
			withLabs(rbFacts(PatientView, overdue...), plSafeLabs(plLab(AnalyteCalcium, 2.02, 10), plLab(AnalyteVitaminD, 22, 10))),
			func(t *testing.T, fs []Finding) {
				if !plTopic(fs, TopicDenosumabDoseOverdue) {
					t.Fatal("the overdue card is gone")
				}
				if plCreates(fs, DrugOrderDenosumab60mg) {
					t.Error("denosumab suggested with calcium 2.02")
				}
				if !plCreates(fs, DrugOrderCalciumVitD) && !plCreates(fs, DrugOrderColecalciferol) {
					t.Error("calcium/vitamin D correction not offered")
				}
				if !strings.Contains(plDetail(fs), "calcium 2,02 < 2,1 mmol/L") {
					t.Errorf("no card says why:\n%s", plDetail(fs))
				}
			}},
		{"25-OH-D 20 with a zoledronic acid order at order-select: infusion postponed, vitamin D first",
			withLabs(rbFacts(OrderSelect, plZolDraft(true)), plSafeLabs(plLab(AnalyteVitaminD, 20, 10))),
			func(t *testing.T, fs []Finding) {
				if plCreates(fs, DrugOrderZoledronicAcid5mg) {
					t.Error("zoledronic acid suggested with 25-OH-D 20")
				}
				if !plCreates(fs, DrugOrderCalciumVitD) && !plCreates(fs, DrugOrderColecalciferol) {
					t.Error("vitamin D not offered")
				}
				if !plKey(fs, "delete-MedicationRequest/zol") {
					t.Error("postponing the infusion is not offered")
				}
				if !strings.Contains(plDetail(fs), "Stel het zoledroninezuurinfuus uit") {
					t.Errorf("no card says to postpone:\n%s", plDetail(fs))
				}
			}},
		{"teriparatide 25 months: the follow-on antiresorptive is offered",
			withLabs(rbFacts(PatientView, tptdActiveFor(25, 0)), plSafeLabs()),
			func(t *testing.T, fs []Finding) {
				if !plCreates(fs, DrugOrderZoledronicAcid5mg) || !plCreates(fs, DrugOrderDenosumab60mg) {
					t.Error("no follow-on zoledronic acid / denosumab")
				}
			}},
		{"teriparatide 25 months at eGFR 25: denosumab follows, zoledronic acid is vetoed",
			withLabs(rbFacts(PatientView, tptdActiveFor(25, 0)), plSafeLabs(plLab(AnalyteEGFR, 25, 10))),
			func(t *testing.T, fs []Finding) {
				if plCreates(fs, DrugOrderZoledronicAcid5mg) || !plCreates(fs, DrugOrderDenosumab60mg) {
					t.Error("want denosumab and no zoledronic acid")
				}
			}},
		{"repeat teriparatide course blocked at order-select: no lab card 'before starting'",
			withLabs(rbFacts(OrderSelect, tptdActiveFor(24, 0), tptdDraft("d1", 28, true)), nil),
			func(t *testing.T, fs []Finding) {
				if plTopic(fs, TopicPretreatmentLabWorkup) {
					t.Error("lab card for a course that is blocked")
				}
				if !plTopic(fs, TopicTeriparatideMax24Months) {
					t.Error("the block card is gone")
				}
			}},
		{"TSH 0.23 / FT4 27 five days ago: internist referral, TSH and FT4 not ordered again",
			rdWorkup(rdLab(AnalyteTSH, 0.23, "2024-04-10"), rdLab(AnalyteFT4, 27, "2024-04-10")),
			func(t *testing.T, fs []Finding) {
				if !plKey(fs, keyReferHyperthyroidism) {
					t.Error("no referral for overt hyperthyroidism")
				}
				if plOrders(fs, AnalyteTSH) || plOrders(fs, AnalyteFT4) {
					t.Error("TSH/FT4 measured 5 days ago ordered again")
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := DefaultThresholds()
			fs := Evaluate(tc.facts, th)
			tc.check(t, fs)
			for _, p := range PlanViolations(tc.facts, th, fs) {
				t.Error(p)
			}
			for _, f := range fs {
				if f.Indicator == Critical && len(f.Suggestions) == 0 {
					t.Errorf("critical card %s offers no action", f.Topic)
				}
			}
		})
	}
}

// Nothing dated after T drives a card (`fracturecds eval --as-of` before a
// fracture): a fracture, a lab result and a recorded dose after T are not
// in the facts the rules see.
func TestAsOfIgnoresDataAfterT(t *testing.T) {
	future := cfFacts(cfFracture(cfT.AddDate(0, 0, 10)))
	if fs := Evaluate(future, DefaultThresholds()); plTopic(fs, TopicFractureCaseFinding) {
		t.Error("a fracture 10 days after T opened case finding")
	}
	past := cfFacts(cfFracture(cfT.AddDate(0, 0, -10)))
	if fs := Evaluate(past, DefaultThresholds()); !plTopic(fs, TopicFractureCaseFinding) {
		t.Error("a fracture 10 days before T did not open case finding")
	}

	f := rbFacts(PatientView, dmabAdmin("a1", rbDaysAgo(425)), dmabAdmin("a2", rbDaysAgo(242)), dmabAdmin("late", dmabT.AddDate(0, 0, 5)))
	f.Labs = []Lab{plLab(AnalyteCalcium, 2.35, 10), {Source: "Observation/ca-late", Analyte: AnalyteCalcium, Value: 1.9, Date: dmabT.AddDate(0, 0, 3)}}
	got := f.asOf()
	if len(got.Labs) != 1 || len(got.Medications) != 2 {
		t.Errorf("as-of view keeps %d labs and %d doses, want 1 and 2", len(got.Labs), len(got.Medications))
	}
	fs := Evaluate(f, DefaultThresholds())
	if !plTopic(fs, TopicDenosumabDoseOverdue) || !plCreates(fs, DrugOrderDenosumab60mg) {
		t.Error("a dose and a low calcium after T changed the overdue card")
	}
	// Facts without anything after T are used as they are.
	plain := cfFacts(cfFracture(cfT.AddDate(0, -1, 0)))
	if v := plain.asOf(); &v.Conditions[0] != &plain.Conditions[0] {
		t.Error("facts without future data were copied")
	}
	_ = time.Time{}
}

// The planner keeps at most MaxCards cards, dropping informational cards
// without an action first.
func TestCapCardsKeepsTheActionableCards(t *testing.T) {
	card := func(topic string, ind Indicator, actionable bool) Finding {
		f := Finding{Topic: topic, Indicator: ind}
		if actionable {
			f.Suggestions = []Suggestion{{Key: topic}}
		}
		return f
	}
	got := capCards([]Finding{
		card("a", Critical, true), card("b", Warning, true), card("c", Info, true),
		card("d", Info, false), card("e", Info, true), card("f", Info, false),
	})
	var topics []string
	for _, f := range got {
		topics = append(topics, f.Topic)
	}
	if strings.Join(topics, ",") != "a,b,c,e" {
		t.Errorf("kept %v, want a,b,c,e", topics)
	}
}

// A reference is written only when its card is in the response.
func TestReferencesOnlyToCardsPresent(t *testing.T) {
	got := writeReferences([]Finding{
		{Topic: "a", Summary: Text{NL: "Kaart A", EN: "Card A"}, SeeAlso: []SeeAlso{{Topic: "b", What: Text{NL: "x", EN: "x"}}, {Topic: "gone", What: Text{NL: "y", EN: "y"}}}},
		{Topic: "b", Summary: Text{NL: "Kaart B", EN: "Card B"}},
	})
	if got[0].Detail.EN != `For x: see the card "Card B".` {
		t.Errorf("detail %q", got[0].Detail.EN)
	}
	if got[0].SeeAlso != nil {
		t.Error("references left unresolved")
	}
}

// S3c (Mw. Pieterse at the consultation): smoking a pack a day and 5
// units of alcohol a day are on record; the advice goes on the card of
// the situation (the DXA result), with the values as evidence.
func TestLifestyleS3c(t *testing.T) {
	f := rdWorkup(rdLab(AnalyteVitaminD, 31, "2024-04-10"))
	f.Lifestyle = []LifestyleRecord{
		{Source: "Observation/smk", Factor: LifestyleSmoking, Value: 1, Date: rdDay("2024-04-01")},
		{Source: "Observation/alc", Factor: LifestyleAlcohol, Value: 5, Date: rdDay("2024-04-01")},
		{Source: "Observation/ca", Factor: LifestyleCalciumIntake, Value: 1100, Date: rdDay("2024-04-01")},
	}
	c := &Context{Facts: f, Thresholds: DefaultThresholds()}
	var factors []LifestyleFactor
	for _, r := range lifestyleRisks(c) {
		factors = append(factors, r.Record.Factor)
	}
	if len(factors) != 2 || factors[0] != LifestyleSmoking || factors[1] != LifestyleAlcohol {
		t.Errorf("risks %v, want smoking and alcohol (calcium 1100 mg is enough)", factors)
	}
	fs := Evaluate(f, DefaultThresholds())
	var host *Finding
	for i := range fs {
		if strings.Contains(fs[i].Detail.NL, "Leefstijl") {
			if host != nil {
				t.Errorf("lifestyle advice on %s and %s", host.Topic, fs[i].Topic)
			}
			host = &fs[i]
		}
	}
	if host == nil || host.Topic != TopicDexaWHOClassification {
		t.Fatalf("lifestyle advice not on the DXA card: %v", host)
	}
	if !strings.Contains(host.Detail.NL, "roken (1 pakje per dag): adviseer stoppen") || !strings.Contains(host.Detail.NL, "alcohol 5 eenheden per dag (≥ 3)") {
		t.Errorf("detail:\n%s", host.Detail.NL)
	}
	// Alcohol below 3 units and no smoking: nothing to add.
	f.Lifestyle = []LifestyleRecord{{Source: "Observation/alc", Factor: LifestyleAlcohol, Value: 2, Date: rdDay("2024-04-01")}}
	for _, x := range Evaluate(f, DefaultThresholds()) {
		if strings.Contains(x.Detail.NL, "Leefstijl") {
			t.Errorf("lifestyle advice at 2 units a day on %s", x.Topic)
		}
	}
}

// plCard returns the card of topic in fs.
func plCard(t *testing.T, fs []Finding, topic string) Finding {
	t.Helper()
	for _, f := range fs {
		if f.Topic == topic {
			return f
		}
	}
	t.Fatalf("no %s card in %v", topic, fs)
	return Finding{}
}

// plLabOrder returns the analytes of the lab panel suggested on f.
func plLabOrder(f Finding) ([]Analyte, bool) {
	for _, s := range f.Suggestions {
		for _, a := range s.Actions {
			if a.Order != nil && a.Order.Kind == OrderLabPanel && s.Key == KeyOrderLabPanel {
				return a.Order.Analytes, true
			}
		}
	}
	return nil, false
}

// TestLabsBeforeBisphosphonate is the clinical review of issue 12: a card
// that proposes a bisphosphonate while its safety labs are missing carries
// the laboratory order itself, first and recommended, keeps the drug as an
// option that is not recommended, and its first sentence says "labs first".
func TestLabsBeforeBisphosphonate(t *testing.T) {
	dmabHistory := []MedicationRecord{dmabAdmin("a1", rbDay("2024-07-05")), dmabAdmin("a2", rbDay("2025-01-05"))}
	stop := func(labs []Lab) Facts {
		f := rbFacts(OrderSign, append(dmabHistory[:2:2], dmabDraft("d1", "stopped"))...)
		f.Labs = labs
		return f
	}
	indication := r06Facts(70, r06Spine(-3.0), nil)
	tests := []struct {
		name   string
		facts  Facts
		topic  string
		drug   Drug
		want   []Analyte // nil: no lab order on the card
		absent []Analyte
	}{
		{"S5c denosumab stop without any labs: the critical card orders the safety labs before zoledronic acid",
			stop(nil), TopicDenosumabNoStopWithoutFollowup, DrugOrderZoledronicAcid5mg,
			[]Analyte{AnalyteCreatinine, AnalyteEGFR, AnalyteCalcium, AnalyteALP, AnalyteVitaminD}, nil},
		{"denosumab stop, eGFR 40 days old (zoledronic acid needs <= 30): only renal function is ordered",
			stop(plSafeLabs(plLab(AnalyteEGFR, 70, 40))), TopicDenosumabNoStopWithoutFollowup, DrugOrderZoledronicAcid5mg,
			[]Analyte{AnalyteEGFR}, []Analyte{AnalyteCalcium, AnalyteALP, AnalyteVitaminD}},
		{"patient-view treatment indication without labs: the card that proposes alendronate carries the labs",
			indication, TopicOsteoporosisTreatmentIndication, DrugOrderAlendronate70mg,
			[]Analyte{AnalyteCalcium, AnalyteALP}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := DefaultThresholds()
			fs := Evaluate(tc.facts, th)
			for _, p := range PlanViolations(tc.facts, th, fs) {
				t.Error(p)
			}
			f := plCard(t, fs, tc.topic)
			if !plCreates([]Finding{f}, tc.drug) {
				t.Fatalf("the drug option %s is gone", tc.drug)
			}
			got, ok := plLabOrder(f)
			if !ok {
				t.Fatalf("%s proposes %s without a lab order on the card; detail:\n%s", tc.topic, tc.drug, f.Detail.NL)
			}
			for _, a := range tc.want {
				if !containsAnalyte(got, a) {
					t.Errorf("lab order %v lacks %s", got, a)
				}
			}
			for _, a := range tc.absent {
				if containsAnalyte(got, a) {
					t.Errorf("lab order %v has %s, measured recently", got, a)
				}
			}
			for _, s := range f.Suggestions {
				if s.Key == KeyOrderLabPanel {
					if !s.Recommended {
						t.Error("the lab order is not recommended")
					}
					break
				}
				if plCreates([]Finding{{Suggestions: []Suggestion{s}}}, tc.drug) {
					t.Errorf("%q comes before the lab order", s.Label.NL)
				}
			}
			for _, s := range f.Suggestions {
				if s.Recommended && s.Key != KeyOrderLabPanel {
					t.Errorf("%q recommended before the labs are known", s.Label.NL)
				}
			}
			if !strings.Contains(f.Summary.NL, "eerst lab") || !strings.Contains(f.Summary.EN, "labs first") {
				t.Errorf("summary does not say labs first: %q / %q", f.Summary.NL, f.Summary.EN)
			}
			if !strings.HasPrefix(f.Detail.NL, "Eerst laboratoriumonderzoek aanvragen") || !strings.HasPrefix(f.Detail.EN, "First order laboratory tests") {
				t.Errorf("first sentence does not say labs first:\n%s", f.Detail.NL)
			}
			n := 0
			for _, g := range fs {
				for _, s := range g.Suggestions {
					if s.Key == KeyOrderLabPanel {
						n++
					}
				}
			}
			if n != 1 {
				t.Errorf("%d lab orders in the response, want 1", n)
			}
		})
	}
	t.Run("fresh safety labs: no lab order, the drug leads", func(t *testing.T) {
		fs := Evaluate(stop(plSafeLabs()), DefaultThresholds())
		f := plCard(t, fs, TopicDenosumabNoStopWithoutFollowup)
		if _, ok := plLabOrder(f); ok || strings.HasPrefix(f.Detail.NL, "Eerst laboratoriumonderzoek") {
			t.Errorf("labs first although they are fresh:\n%s", f.Detail.NL)
		}
	})
}

// TestVetoedDrugLeavesTheText covers the reviewer's variants of Casus 3
// (/tmp/review/var: s5b-hypoca, s5c-egfr25, s5c-vitd20, s6os-egfr25): when a
// veto removes a drug, no summary or detail still recommends it, the safe
// action is offered, and the zoledronic acid limit reads 35.
func TestVetoedDrugLeavesTheText(t *testing.T) {
	s5 := seedS5Doses("2020-07-05")
	s5b := seedS5Doses("2020-04-02")
	withLabs := func(f Facts, labs ...Lab) Facts { f.Labs = plSafeLabs(labs...); return f }
	hernia := Condition{Source: "Condition/hernia", Concepts: []Concept{ConceptHiatalHernia}, Code: "SNOMED CT 84089009", Active: true}
	ppi := MedicationRecord{Source: "MedicationStatement/ppi", Kind: KindStatement, Classes: []DrugClass{DrugPPI}, Code: "ATC A02BC01", Name: "omeprazole", Status: "active", Start: rbDay("2020-01-01")}
	ris := MedicationRecord{Source: "MedicationRequest/ris", Kind: KindDraftOrder, Classes: []DrugClass{DrugBisphosphonate, DrugBisphosphonateOral, DrugRisedronate},
		Code: "ATC M05BA07", Name: "risedronic acid", Status: "draft", Selected: true}
	s6 := func() Facts {
		f := withLabs(Facts{AsOf: dmabT, Hook: OrderSelect, Patient: Patient{ID: "p", BirthDate: rbDay("1948-01-01"), Gender: "female"},
			Conditions: []Condition{hernia}, Medications: []MedicationRecord{ppi, ris}}, plLab(AnalyteEGFR, 25, 10))
		return f
	}()
	tests := []struct {
		name    string
		facts   Facts
		topic   string
		notSaid []string // in the card's Dutch summary or detail
		said    []string
		safe    []string // one of these suggestion keys is offered somewhere
	}{
		{"s5b-hypoca: denosumab overdue with calcium 2.02: no 'geef nu', calcium first",
			withLabs(seedS5(PatientView, s5b), plLab(AnalyteCalcium, 2.02, 12), plLab(AnalyteVitaminD, 22, 12)),
			TopicDenosumabDoseOverdue,
			[]string{"geef nu", "zo snel mogelijk"}, []string{"Geen denosumab nu: calcium 2,02 < 2,1 mmol/L"},
			[]string{keyOrderVitaminD, keyRecheckCalciumVitD}},
		{"s5b-hypoca: the 5-year review does not offer 'stop with zoledronic acid'",
			withLabs(seedS5(PatientView, s5b), plLab(AnalyteCalcium, 2.02, 12), plLab(AnalyteVitaminD, 22, 12)),
			TopicDenosumab5yReview,
			[]string{"stoppen mét zoledroninezuur"}, []string{"zoledroninezuur nu niet (calcium 2,02 < 2,1 mmol/L)"},
			[]string{keyOrderVitaminD, keyRecheckCalciumVitD}},
		{"s5c-egfr25: the contraindication names 35, not 30",
			withLabs(seedS5(OrderSign, s5, dmabDraft("prolia-stop", "stopped")), plLab(AnalyteEGFR, 25, 10)),
			TopicDenosumabNoStopWithoutFollowup,
			[]string{"eGFR 25 < 30", "geef eenmalig zoledroninezuur"}, []string{"eGFR 25 < 35"},
			[]string{KeyOrderDenosumab60mg}},
		{"s5c-vitd20: zoledronic acid after vitamin D correction, not 'give zoledronic acid'",
			withLabs(seedS5(OrderSign, s5, dmabDraft("prolia-stop", "stopped")), plLab(AnalyteVitaminD, 20, 10)),
			TopicDenosumabNoStopWithoutFollowup,
			[]string{"geef eenmalig zoledroninezuur"}, []string{"eerst calcium/vitamine D corrigeren, dan zoledroninezuur", "kan nu niet: 25-OH vitamine D 20 < 50 nmol/L"},
			[]string{keyOrderVitaminD, keyRecheckCalciumVitD}},
		{"s6os-egfr25: the GI caution does not advise zoledronic acid at eGFR 25",
			s6, TopicOralBisphosphonateGICaution,
			[]string{"overweeg zoledroninezuur", "Overweeg zoledroninezuur"}, []string{"zoledroninezuur iv nu niet (eGFR 25 < 35)"},
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := DefaultThresholds()
			fs := Evaluate(tc.facts, th)
			for _, p := range PlanViolations(tc.facts, th, fs) {
				t.Error(p)
			}
			f := plCard(t, fs, tc.topic)
			text := f.Summary.NL + "\n" + f.Detail.NL
			for _, s := range tc.notSaid {
				if strings.Contains(text, s) {
					t.Errorf("card still says %q:\n%s", s, text)
				}
			}
			for _, s := range tc.said {
				if !strings.Contains(text, s) {
					t.Errorf("card does not say %q:\n%s", s, text)
				}
			}
			if len(tc.safe) > 0 {
				ok := false
				for _, k := range tc.safe {
					ok = ok || plKey(fs, k)
				}
				if !ok {
					t.Errorf("no safe action (%v) offered", tc.safe)
				}
			}
			for _, g := range fs {
				if utf8.RuneCountInString(g.Summary.NL) >= 140 || utf8.RuneCountInString(g.Summary.EN) >= 140 {
					t.Errorf("%s: summary ≥ 140 runes", g.Topic)
				}
			}
		})
	}
}
