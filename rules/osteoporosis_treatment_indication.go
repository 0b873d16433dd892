package rules

// R06 osteoporosis-treatment-indication (rules.md §4 R06).
//
// Sources: NHG-Standaard Fractuurpreventie 2012 "Bij een lage BMD (T-score
// lager of gelijk aan −2,5) of na een doorgemaakte wervelfractuur is er …
// een indicatie voor behandeling met bisfosfonaten"; SEED-GP "Wie behandelen:
// … DEXA scan: osteoporose; … patiënt met wervelinzakking en osteopenie";
// alendronic acid 70 mg once weekly and risedronic acid 35 mg once weekly
// (SmPCs). NHG 2024 and NIV 2022 criteria (FRAX, T ≤ −1 with a vertebral
// fracture) are UNVERIFIED and not used.
//
// Thresholds: CASEFIND_MIN_AGE (age ≥ 50, the NHG risk-group age),
// TSCORE_OSTEOPOROSIS (≤ −2.5, D1), VFA_GRADE1_COUNTS (a Genant grade 1
// deformity is not a vertebral fracture by default, via Context.Fractures).
//
// Fires (warning) when age ≥ 50, no osteoporosis drug is active, and the
// lowest T-score at lumbar spine, total hip or femoral neck of the newest
// DXA examination is ≤ −2.5, or a vertebral fracture is recorded (any T).
// Suggestions are the two first-choice oral bisphosphonates, offered as
// alternatives (selectionBehavior at-most-one, so that two bisphosphonates
// cannot be accepted together). The lab work-up is on the
// pretreatment-lab-workup card (which fires at patient-view whenever this
// card does and labs are missing); calcium/vitamin D is suggested by
// calcium-vitamin-d-cotherapy when the bisphosphonate order is signed.
// This card names both.

import "time"

// TopicOsteoporosisTreatmentIndication is the topic code of R06.
const TopicOsteoporosisTreatmentIndication = "osteoporosis-treatment-indication"

// OsteoporosisTreatmentIndication is rule R06.
var OsteoporosisTreatmentIndication = Rule{
	Number: 6,
	Topic:  TopicOsteoporosisTreatmentIndication,
	Hooks:  []Hook{PatientView},
	Eval:   evalOsteoporosisTreatmentIndication,
}

func init() { register(OsteoporosisTreatmentIndication) }

// Suggestion keys of the first-choice bisphosphonates, shared with other
// cards that may offer the same order.
const (
	KeyOrderAlendronate70mg = "order-alendronate-70mg"
	KeyOrderRisedronate35mg = "order-risedronate-35mg"
	// KeyOrderCalciumVitaminD is the calcium/vitamin D order; it shares the
	// key of vitamin-d-deficiency (R11) and calcium-vitamin-d-cotherapy
	// (R13) so that one response suggests it once.
	KeyOrderCalciumVitaminD = keyOrderVitaminD
)

// recommended marks a suggestion as the recommended one.
func recommended(s Suggestion) Suggestion {
	s.Recommended = true
	return s
}

func evalOsteoporosisTreatmentIndication(c *Context) []Finding {
	th := c.Thresholds
	age, ok := c.Age()
	if !ok || age < th.CaseFindMinAge {
		return nil
	}
	if c.ActiveOsteoporosisDrug() {
		return nil
	}
	ev := []Evidence{{Label: Text{NL: "Leeftijd", EN: "Age"}, Value: itoa(age), UnitText: Text{NL: "jaar", EN: "years"}}}
	byT := false
	if exam, ok := newestDXAExam(c); ok {
		if low, ok := lowestAtCentralSites(exam.TScores); ok && low.Value <= th.TScoreOsteoporosis {
			byT = true
			ev = append(ev, dxaEvidenceOf(low))
		}
	}
	vertebral := fracturesUntilNow(c, true)
	if !byT && len(vertebral) == 0 {
		return nil
	}
	for _, f := range vertebral {
		ev = append(ev, fractureEvidenceOf(f))
	}
	ev = append(ev, Evidence{Label: Text{NL: "Actief osteoporosemiddel", EN: "Active osteoporosis drug"}, ValueText: Text{NL: "geen", EN: "none"}})

	why := Text{NL: "T-score ≤ " + FormatNumberNL(th.TScoreOsteoporosis), EN: "T-score ≤ " + FormatNumber(th.TScoreOsteoporosis)}
	switch {
	case byT && len(vertebral) > 0:
		why = Text{NL: why.NL + " en wervelfractuur", EN: why.EN + " and vertebral fracture"}
	case !byT:
		why = Text{NL: "wervelfractuur", EN: "vertebral fracture"}
	}
	// Whether Genant grade 1 counts is a setting (VFAGrade1Counts; off by
	// default, the guidelines are not explicit): a note for reviewers, the
	// card only says which applies.
	grade1 := Text{NL: "Genant graad 1 telt niet mee", EN: "Genant grade 1 not counted"}
	if th.VFAGrade1Counts {
		grade1 = Text{NL: "Genant graad 1 telt mee", EN: "Genant grade 1 counted"}
	}
	reason := Text{NL: "fractuurpreventie (" + why.NL + ")", EN: "fracture prevention (" + why.EN + ")"}
	f := Finding{
		Topic:     TopicOsteoporosisTreatmentIndication,
		Indicator: Warning,
		Summary: Text{
			NL: "Indicatie voor fractuurpreventieve medicatie (" + why.NL + "): start een bisfosfonaat",
			EN: "Indication for fracture-prevention medication (" + why.EN + "): start a bisphosphonate",
		},
		Detail: Text{
			NL: "Volgens de NHG-Standaard is er bij een T-score ≤ " + FormatNumberNL(th.TScoreOsteoporosis) + " of na een wervelfractuur een indicatie voor een bisfosfonaat; eerste keus is een oraal bisfosfonaat (alendroninezuur 70 mg of risedroninezuur 35 mg eenmaal per week). " +
				"Rond eerst het laboratoriumonderzoek af (nierfunctie, calcium, vitamine D, alkalische fosfatase). Geef het bisfosfonaat samen met calcium/vitamine D; dat wordt voorgesteld bij het ondertekenen van de order. " +
				"Kies één van de twee middelen.",
			EN: "Per the NHG guideline a T-score ≤ " + FormatNumber(th.TScoreOsteoporosis) + " or a vertebral fracture is an indication for a bisphosphonate; first choice is an oral bisphosphonate (alendronic acid 70 mg or risedronic acid 35 mg once weekly). " +
				"Complete the laboratory work-up first (renal function, calcium, vitamin D, alkaline phosphatase). Give the bisphosphonate with calcium/vitamin D, which is suggested when the order is signed. " +
				"Choose one of the two drugs.",
		},
		Evidence: ev,
		Thresholds: []Text{
			{NL: "leeftijd ≥ " + itoa(th.CaseFindMinAge) + " jaar", EN: "age ≥ " + itoa(th.CaseFindMinAge) + " years"},
			{NL: "laagste T-score (wervelkolom, totale heup, heuphals) ≤ " + FormatNumberNL(th.TScoreOsteoporosis) + " of een wervelfractuur (" + grade1.NL + ")",
				EN: "lowest T-score (spine, total hip, femoral neck) ≤ " + FormatNumber(th.TScoreOsteoporosis) + " or a vertebral fracture (" + grade1.EN + ")"},
			{NL: "geen actief osteoporosemiddel", EN: "no active osteoporosis drug"},
		},
		Citations: []Citation{CiteNHG, CiteAlendronateSmPC, CiteRisedronateSmPC},
		Suggestions: []Suggestion{
			recommended(SuggestMedication(KeyOrderAlendronate70mg, DrugOrderAlendronate70mg, time.Time{},
				Text{NL: "Alendroninezuur 70 mg eenmaal per week", EN: "Alendronic acid 70 mg once weekly"}, reason)),
			SuggestMedication(KeyOrderRisedronate35mg, DrugOrderRisedronate35mg, time.Time{},
				Text{NL: "Risedroninezuur 35 mg eenmaal per week (alternatief)", EN: "Risedronic acid 35 mg once weekly (alternative)"}, reason),
		},
		OverrideReasons: StandardOverrideReasons,
	}
	// Contraindications and missing safety labs (bisphosphonate_safety.go).
	if res := applyBPSafety(c, &f, false); res.AllBlocked {
		f.Summary = bpBlockedSummary(Text{
			NL: "Indicatie voor fractuurpreventieve medicatie (" + why.NL + ")",
			EN: "Indication for fracture-prevention medication (" + why.EN + ")",
		}, res.FirstReason)
	}
	return []Finding{f}
}
