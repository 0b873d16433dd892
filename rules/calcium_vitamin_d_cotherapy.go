package rules

// R13 calcium-vitamin-d-cotherapy (rules.md §4 R13).
//
// Sources: SEED-GP "Calcium en vitamine D suppletie*" and Casus 3/4
// (alendronate "met calcium en vitamine D suppletie"); NVR/CBO 2011 module
// "Combinatietherapieën" ("Bij een behandeling met anti-osteoporosemedicatie
// is een voldoende inname van calcium en vitamine D noodzakelijk"); Forsteo
// SmPC ("supplemental calcium and vitamin D … if dietary intake is
// inadequate"); Prolia label (calcium 1000 mg + vitamin D ≥ 400 IU daily,
// secondary source).
//
// Thresholds: none. Fires (info only, never escalates: dietary intake can be
// enough) when a bisphosphonate, denosumab 60 mg, teriparatide or
// romosozumab is being ordered (order-select, order-sign) and neither a
// calcium nor a vitamin D product is in use or in the same order session.
// Not at patient-view: the advice belongs to the moment of prescribing,
// not to every opening of the chart (clinical review, issue 12).

// TopicCalciumVitaminDCotherapy is the topic code of R13.
const TopicCalciumVitaminDCotherapy = "calcium-vitamin-d-cotherapy"

// CalciumVitaminDCotherapy is rule R13.
var CalciumVitaminDCotherapy = Rule{
	Number: 13,
	Topic:  TopicCalciumVitaminDCotherapy,
	Hooks:  []Hook{OrderSelect, OrderSign},
	Eval:   evalCalciumVitaminDCotherapy,
}

func init() { register(CalciumVitaminDCotherapy) }

// cotherapyDrugs are the bone drugs that need calcium and vitamin D.
var cotherapyDrugs = []DrugClass{DrugBisphosphonate, DrugDenosumab, DrugTeriparatide, DrugRomosozumab}

func evalCalciumVitaminDCotherapy(c *Context) []Finding {
	var drugs []MedicationRecord
	if c.Facts.Hook != PatientView {
		drugs = c.boneDrugDrafts(cotherapyDrugs...)
	} else {
		for _, cl := range cotherapyDrugs {
			for _, m := range c.Records(cl, false) {
				if c.IsOncologyDenosumab(m) {
					continue
				}
				if c.StatusActive(m) || (!m.End.IsZero() && !m.End.Before(c.Facts.AsOf)) || c.coveredDose(m) {
					drugs = append(drugs, m)
				}
			}
		}
	}
	if len(drugs) == 0 {
		return nil
	}
	for _, cl := range []DrugClass{DrugCalcium, DrugVitaminD} {
		if c.Active(cl) || len(c.DraftOrders(cl)) > 0 {
			return nil
		}
	}
	var ev []Evidence
	seen := map[Ref]bool{}
	for _, m := range drugs {
		if seen[m.Source] {
			continue
		}
		seen[m.Source] = true
		ev = append(ev, Evidence{Label: Text{NL: "Osteoporosemedicatie", EN: "Osteoporosis drug"}, ValueText: displayName(m), Date: m.Start, Source: m.Source})
	}
	ev = append(ev, Evidence{Label: Text{NL: "Calcium- of vitamine D-preparaat", EN: "Calcium or vitamin D product"}, ValueText: Text{NL: "geen", EN: "none"}})
	reason := Text{NL: "calcium en vitamine D bij osteoporosemedicatie", EN: "calcium and vitamin D with osteoporosis treatment"}
	return []Finding{{
		Topic:     TopicCalciumVitaminDCotherapy,
		Indicator: Info,
		Summary: Text{
			NL: "Osteoporosemedicatie zonder calcium/vitamine D: beoordeel inname en suppleer zo nodig",
			EN: "Osteoporosis drug without calcium/vitamin D: check intake and supplement if needed",
		},
		Detail: Text{
			NL: "Bij behandeling met osteoporosemedicatie is een voldoende inname van calcium en vitamine D noodzakelijk. Er staat geen calcium- of vitamine D-preparaat op de medicatielijst. Een voldoende calciuminname via de voeding (zuivel) kan volstaan; vitamine D wordt meestal gesuppleerd.",
			EN: "Osteoporosis treatment needs an adequate intake of calcium and vitamin D. No calcium or vitamin D product is on the medication list. Enough dietary calcium (dairy) can suffice; vitamin D is usually supplemented.",
		},
		Evidence: ev,
		Thresholds: []Text{
			{NL: "geen calcium- of vitamine D-preparaat bij bisfosfonaat, denosumab, teriparatide of romosozumab", EN: "no calcium or vitamin D product with a bisphosphonate, denosumab, teriparatide or romosozumab"},
		},
		Citations: []Citation{
			{Label: "NVR/CBO 2011 Richtlijn Osteoporose: combinatietherapieën (calcium en vitamine D noodzakelijk)", URL: "https://richtlijnendatabase.nl/richtlijn/osteoporose_en_fractuurpreventie/preventie_fracturen_postmenopauzale_vrouwen/overige_medicatie_als_fractuurpreventie/combinatietherapieen_als_fractuurpreventie.html"},
			CiteNHG,
		},
		Suggestions: []Suggestion{SuggestMedication(keyOrderVitaminD, DrugOrderCalciumVitD, c.Facts.AsOf,
			Text{NL: "Calcium/colecalciferol voorschrijven", EN: "Prescribe calcium/colecalciferol"}, reason)},
		OverrideReasons: append([]OverrideReason{{Code: "dietary-intake-sufficient", Display: Text{NL: "Inname via voeding voldoende", EN: "Dietary intake sufficient"}}}, StandardOverrideReasons...),
	}}
}

// coveredDose reports whether T falls within the cover of a single
// injectable dose: denosumab DMAB_INTERVAL_DAYS, zoledronic acid one year.
func (c *Context) coveredDose(m MedicationRecord) bool {
	if !m.SingleDose || m.Start.After(c.Facts.AsOf) {
		return false
	}
	switch {
	case m.Is(DrugDenosumab):
		return m.Start.AddDate(0, 0, c.Thresholds.DmabIntervalDays).After(c.Facts.AsOf)
	case m.Is(DrugZoledronicAcid):
		return c.zolInfusionGiven(m) && m.Start.AddDate(zolYearsPerInfusion, 0, 0).After(c.Facts.AsOf)
	}
	return false
}
