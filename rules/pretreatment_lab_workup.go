package rules

// R07 pretreatment-lab-workup (rules.md §4 R07).
//
// Sources: NIV 2022 laboratory module "Bepaal het serum calcium, albumine,
// creatinine, TSH en 25(OH)D bij patiënten ouder dan 50 jaar: met een
// recente fractuur en een T score ≤ −1.0; of zonder recente fractuur maar met
// een indicatie voor medicatie … Overweeg een serum testosteron bij mannen
// jonger dan 70 jaar", and alkaline phosphatase "indien geen recente
// fractuur"; SEED-GP "Labonderzoek — Secundaire oorzaken — Veiligheid
// starten medicatie" (eGFR, ALP < 40, 25-OH-D, calcium); Aclasta SmPC
// "Creatinine clearance should be calculated … before each Aclasta dose".
//
// Thresholds: LAB_FRESH_DAYS (a result counts when ≤ 180 days old),
// EGFR_FRESH_DAYS_ZOLEDRONIC (≤ 30 days before zoledronic acid),
// LAB_WORKUP_AGE_OVER (NIV "ouder dan 50": age > 50), RECENT_FRACTURE_MONTHS
// and VERTEBRAL_FRACTURE_ANYTIME (recent fracture, as R01),
// TSCORE_OSTEOPENIA_UPPER read with "≤" (NIV "T score ≤ −1.0"; the same
// −1.0 as the WHO osteopenia limit), TESTOSTERONE_UNDER_AGE (men < 70).
//
// Core analytes: calcium, albumin, creatinine or eGFR, TSH, 25-OH vitamin
// D, alkaline phosphatase. The card fires only when at least one has no
// result within LAB_FRESH_DAYS (or, for a zoledronic acid order, no eGFR or
// creatinine within EGFR_FRESH_DAYS_ZOLEDRONIC), and suggests exactly the
// missing ones.
//
//   - order-select / order-sign: a draft order for a bone drug
//     (bisphosphonate, denosumab, teriparatide, romosozumab, SERM) that is
//     meant to be given (draft or active status, not doNotPerform): warning.
//   - patient-view: info, when R01, R06 or R17 fires (computed by running
//     those rules, see fracture_prevention_context.go) or the NIV criterion
//     holds (age > 50, a recent fracture, lowest T-score ≤ −1.0).

import "strings"

// TopicPretreatmentLabWorkup is the topic code of R07.
const TopicPretreatmentLabWorkup = "pretreatment-lab-workup"

// PretreatmentLabWorkup is rule R07.
var PretreatmentLabWorkup = Rule{
	Number: 7,
	Topic:  TopicPretreatmentLabWorkup,
	Hooks:  []Hook{PatientView, OrderSelect, OrderSign},
	Eval:   evalPretreatmentLabWorkup,
}

func init() { register(PretreatmentLabWorkup) }

// KeyOrderTestosterone is the optional testosterone suggestion (NIV: men
// younger than 70).
const KeyOrderTestosterone = "order-testosterone"

// BoneDrugs are the classes whose draft order triggers the pre-treatment
// lab check (rules.md R07 BONE_DRUGS).
var BoneDrugs = []DrugClass{DrugBisphosphonate, DrugDenosumab, DrugTeriparatide, DrugRomosozumab, DrugSERM}

// preTreatmentLab is one core analyte of the NIV panel; any analyte in
// Accepts satisfies it, Order is what the card orders when it is missing.
type preTreatmentLab struct {
	Name    Text
	Short   Text // for the summary, which must stay under 140 runes
	Accepts []Analyte
	Order   []Analyte
}

var preTreatmentLabs = []preTreatmentLab{
	{Text{NL: "Calcium", EN: "Calcium"}, Text{NL: "Ca", EN: "Ca"}, []Analyte{AnalyteCalcium, AnalyteCalciumCorrected}, []Analyte{AnalyteCalcium}},
	{Text{NL: "Albumine", EN: "Albumin"}, Text{NL: "albumine", EN: "albumin"}, []Analyte{AnalyteAlbumin}, []Analyte{AnalyteAlbumin}},
	{Text{NL: "Creatinine/eGFR", EN: "Creatinine/eGFR"}, Text{NL: "creat/eGFR", EN: "creat/eGFR"}, []Analyte{AnalyteEGFR, AnalyteCreatinine, AnalyteCrClCockcroftGault}, []Analyte{AnalyteCreatinine, AnalyteEGFR}},
	{Text{NL: "TSH", EN: "TSH"}, Text{NL: "TSH", EN: "TSH"}, []Analyte{AnalyteTSH}, []Analyte{AnalyteTSH}},
	{Text{NL: "25-OH-vitamine D", EN: "25-OH vitamin D"}, Text{NL: "25-OH-D", EN: "25-OH-D"}, []Analyte{AnalyteVitaminD}, []Analyte{AnalyteVitaminD}},
	{Text{NL: "Alkalische fosfatase", EN: "Alkaline phosphatase"}, Text{NL: "AF", EN: "ALP"}, []Analyte{AnalyteALP}, []Analyte{AnalyteALP}},
}

// latestOfAnalytes returns the newest result of any of the analytes, at
// most maxAgeDays old (≤ 0: any age).
func latestOfAnalytes(c *Context, analytes []Analyte, maxAgeDays int) (Lab, bool) {
	var best Lab
	found := false
	for _, a := range analytes {
		if l, ok := c.LatestLab(a, maxAgeDays); ok && (!found || l.Date.After(best.Date)) {
			best, found = l, true
		}
	}
	return best, found
}

func labEvidenceOf(name Text, l Lab) Evidence {
	return Evidence{Label: name, Value: l.Display(), Unit: l.Analyte.CanonicalUnit(), Date: l.Date, Source: l.Source}
}

// missingPreTreatmentLabs returns the analytes to order because their core
// analyte has no result within LAB_FRESH_DAYS (renal function within
// EGFR_FRESH_DAYS_ZOLEDRONIC when zoledronic), the names of the missing
// analytes, and evidence for every core analyte.
func missingPreTreatmentLabs(c *Context, zoledronic bool) (order []Analyte, names, short []Text, ev []Evidence) {
	th := c.Thresholds
	// Each group adds exactly one piece of evidence.
	ev = make([]Evidence, 0, len(preTreatmentLabs))
	for _, g := range preTreatmentLabs {
		maxAge := th.LabFreshDays
		renal := g.Order[0] == AnalyteCreatinine
		if renal && zoledronic && th.EGFRFreshDaysZoledronic < maxAge {
			maxAge = th.EGFRFreshDaysZoledronic
		}
		if l, ok := latestOfAnalytes(c, g.Accepts, maxAge); ok {
			ev = append(ev, labEvidenceOf(g.Name, l))
			continue
		}
		order = append(order, g.Order...)
		names = append(names, g.Name)
		short = append(short, g.Short)
		none := Evidence{Label: g.Name, ValueText: Text{NL: "geen in de laatste " + itoa(maxAge) + " dagen", EN: "none in the last " + itoa(maxAge) + " days"}}
		if l, ok := latestOfAnalytes(c, g.Accepts, 0); ok {
			old := labEvidenceOf(Text{NL: g.Name.NL + " (te oud, > " + itoa(maxAge) + " d)", EN: g.Name.EN + " (too old, > " + itoa(maxAge) + " d)"}, l)
			ev = append(ev, old)
			continue
		}
		ev = append(ev, none)
	}
	return order, names, short, ev
}

func joinTexts(ts []Text, sep string) Text {
	var nl, en []string
	for _, t := range ts {
		nl = append(nl, t.NL)
		en = append(en, t.EN)
	}
	return Text{NL: strings.Join(nl, sep), EN: strings.Join(en, sep)}
}

func evalPretreatmentLabWorkup(c *Context) []Finding {
	if c.Facts.Hook == PatientView {
		return labWorkupAtPatientView(c)
	}
	return labWorkupAtOrder(c)
}

// labWorkupDrafts returns the draft orders for bone drugs that are meant to
// be given (a stop or a doNotPerform order needs no work-up).
func labWorkupDrafts(c *Context) []MedicationRecord {
	var out []MedicationRecord
	seen := map[Ref]bool{}
	for _, cl := range BoneDrugs {
		for _, m := range c.DraftOrders(cl) {
			if seen[m.Source] || !c.StatusActive(m) {
				continue
			}
			seen[m.Source] = true
			out = append(out, m)
		}
	}
	return out
}

func labWorkupAtOrder(c *Context) []Finding {
	th := c.Thresholds
	drafts := labWorkupDrafts(c)
	if len(drafts) == 0 {
		return nil
	}
	zoledronic := false
	var ev []Evidence
	var drugNL, drugEN []string
	for _, m := range drafts {
		if m.Is(DrugZoledronicAcid) {
			zoledronic = true
		}
		name := displayName(m)
		drugNL, drugEN = append(drugNL, name.NL), append(drugEN, name.EN)
		ev = append(ev, Evidence{Label: Text{NL: "Conceptorder", EN: "Draft order"}, ValueText: name, Source: m.Source})
	}
	order, names, short, labEv := missingPreTreatmentLabs(c, zoledronic)
	if len(order) == 0 {
		return nil
	}
	ev = append(ev, labEv...)
	missing, missingShort := joinTexts(names, ", "), joinTexts(short, ", ")
	drugs := Text{NL: strings.Join(drugNL, ", "), EN: strings.Join(drugEN, ", ")}
	detail := Text{
		NL: "Voor de start van " + drugs.NL + " ontbreekt recent laboratoriumonderzoek: " + missing.NL + ". " +
			"Het laboratoriumonderzoek zoekt secundaire oorzaken (hyperparathyreoïdie, hyperthyreoïdie, malabsorptie, osteomalacie) en toetst de veiligheid: geen bisfosfonaat bij een nierfunctie < " + FormatNumberNL(th.EGFRBPContraindicated) + ", alkalische fosfatase < " + FormatNumberNL(th.ALPLow) + " of hypocalciëmie; vitamine D-tekort eerst aanvullen.",
		EN: "Recent laboratory results are missing before starting " + drugs.EN + ": " + missing.EN + ". " +
			"The work-up looks for secondary causes (hyperparathyroidism, hyperthyroidism, malabsorption, osteomalacia) and checks safety: no bisphosphonate at renal function < " + FormatNumber(th.EGFRBPContraindicated) + ", alkaline phosphatase < " + FormatNumber(th.ALPLow) + " or hypocalcaemia; correct vitamin D deficiency first.",
	}
	thresholds := []Text{
		{NL: "resultaat telt als het ≤ " + itoa(th.LabFreshDays) + " dagen oud is", EN: "a result counts when ≤ " + itoa(th.LabFreshDays) + " days old"},
	}
	citations := []Citation{CiteNIVLab, CiteNHG}
	if zoledronic {
		detail = appendParagraph(detail, Text{
			NL: "Zoledroninezuur: bepaal de nierfunctie vóór elke infusie (≤ " + itoa(th.EGFRFreshDaysZoledronic) + " dagen oud).",
			EN: "Zoledronic acid: measure renal function before each infusion (≤ " + itoa(th.EGFRFreshDaysZoledronic) + " days old).",
		})
		thresholds = append(thresholds, Text{
			NL: "zoledroninezuur: eGFR/creatinine ≤ " + itoa(th.EGFRFreshDaysZoledronic) + " dagen oud (Aclasta SmPC \"vóór elke dosis\")",
			EN: "zoledronic acid: eGFR/creatinine ≤ " + itoa(th.EGFRFreshDaysZoledronic) + " days old (Aclasta SmPC \"before each dose\")",
		})
		citations = append(citations, CiteAclastaSmPC)
	}
	reason := Text{NL: "laboratoriumonderzoek vóór start " + drugs.NL, EN: "laboratory work-up before starting " + drugs.EN}
	return []Finding{{
		Topic:     TopicPretreatmentLabWorkup,
		Indicator: Warning,
		Summary: Text{
			NL: "Lab ontbreekt vóór start botmiddel (o.a. " + missingShort.NL + ")",
			EN: "Laboratory work-up missing before starting a bone drug (incl. " + missingShort.EN + ")",
		},
		Detail:          detail,
		Evidence:        ev,
		Thresholds:      thresholds,
		Citations:       citations,
		Suggestions:     labWorkupSuggestions(c, order, reason),
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}}
}

// labWorkupSuggestions returns the panel of missing analytes and, for men
// younger than TESTOSTERONE_UNDER_AGE without a recent testosterone, the
// optional testosterone order.
func labWorkupSuggestions(c *Context, order []Analyte, reason Text) []Suggestion {
	out := []Suggestion{SuggestLabPanel(order, reason)}
	age, ok := c.Facts.Patient.AgeAt(c.Facts.AsOf)
	if !ok || c.Facts.Patient.Gender != "male" || age >= c.Thresholds.TestosteroneUnderAge {
		return out
	}
	if _, fresh := c.LatestLab(AnalyteTestosterone, c.Thresholds.LabFreshDays); fresh {
		return out
	}
	t := SuggestLabPanel([]Analyte{AnalyteTestosterone}, Text{NL: "man < " + itoa(c.Thresholds.TestosteroneUnderAge) + " jaar (NIV: overweeg testosteron)", EN: "man < " + itoa(c.Thresholds.TestosteroneUnderAge) + " years (NIV: consider testosterone)"})
	t.Key = KeyOrderTestosterone
	t.Recommended = false
	t.Label = Text{NL: "Testosteron aanvragen (optioneel)", EN: "Order testosterone (optional)"}
	t.Actions[0].Description = t.Label
	return append(out, t)
}

func labWorkupAtPatientView(c *Context) []Finding {
	th := c.Thresholds
	var ev []Evidence
	var why Text
	if fired := firingTopics(c, TopicFractureCaseFinding, TopicOsteoporosisTreatmentIndication, topicFractureOnTreatmentRef); len(fired) > 0 {
		why = Text{
			NL: "Er is een fractuurpreventie-advies; daarvoor is laboratoriumonderzoek nodig.",
			EN: "Fracture prevention is advised; this needs a laboratory work-up.",
		}
	} else {
		nivEv, ok := nivLabCriterion(c)
		if !ok {
			return nil
		}
		ev = nivEv
		why = Text{
			NL: "NIV: bij patiënten ouder dan " + itoa(th.LabWorkupAgeOver) + " jaar met een recente fractuur en een T-score ≤ " + FormatNumberNL(th.TScoreOsteopeniaUpper) + " is laboratoriumonderzoek geïndiceerd, ook zonder indicatie voor medicatie.",
			EN: "NIV: patients older than " + itoa(th.LabWorkupAgeOver) + " with a recent fracture and a T-score ≤ " + FormatNumber(th.TScoreOsteopeniaUpper) + " need a laboratory work-up, even without a drug indication.",
		}
	}
	order, names, short, labEv := missingPreTreatmentLabs(c, false)
	if len(order) == 0 {
		return nil
	}
	ev = append(ev, labEv...)
	missing, missingShort := joinTexts(names, ", "), joinTexts(short, ", ")
	detail := appendParagraph(why, Text{
		NL: "Ontbrekend of ouder dan " + itoa(th.LabFreshDays) + " dagen: " + missing.NL + ". Doel: secundaire oorzaken opsporen en de veiligheid van medicatie toetsen.",
		EN: "Missing or older than " + itoa(th.LabFreshDays) + " days: " + missing.EN + ". Purpose: find secondary causes and check the safety of medication.",
	})
	if recentNonVertebralFracture(c) && containsAnalyte(order, AnalyteALP) {
		detail = appendParagraph(detail, Text{
			NL: "Alkalische fosfatase stijgt na een recente fractuur; interpreteer een verhoogde waarde voorzichtig (NIV).",
			EN: "Alkaline phosphatase rises after a recent fracture; interpret a raised value with care (NIV).",
		})
	}
	reason := Text{NL: "laboratoriumonderzoek bij verhoogd fractuurrisico", EN: "laboratory work-up for raised fracture risk"}
	return []Finding{{
		Topic:     TopicPretreatmentLabWorkup,
		Indicator: Info,
		Summary: Text{
			NL: "Lab bij verhoogd fractuurrisico ontbreekt (o.a. " + missingShort.NL + ")",
			EN: "Laboratory work-up for raised fracture risk missing (incl. " + missingShort.EN + ")",
		},
		Detail: detail,
		Brief: Text{
			NL: "Laboratorium (NIV): ontbrekend of ouder dan " + itoa(th.LabFreshDays) + " dagen: " + missing.NL + "; doel: secundaire oorzaken en veiligheid van medicatie.",
			EN: "Laboratory (NIV): missing or older than " + itoa(th.LabFreshDays) + " days: " + missing.EN + "; purpose: secondary causes and drug safety.",
		},
		Evidence: ev,
		Thresholds: []Text{
			{NL: "NIV: leeftijd > " + itoa(th.LabWorkupAgeOver) + " jaar, recente fractuur (< " + itoa(th.RecentFractureMonths) + " maanden, wervelfractuur altijd) en T-score ≤ " + FormatNumberNL(th.TScoreOsteopeniaUpper) + "; of een indicatie voor medicatie",
				EN: "NIV: age > " + itoa(th.LabWorkupAgeOver) + " years, recent fracture (< " + itoa(th.RecentFractureMonths) + " months, vertebral at any time) and T-score ≤ " + FormatNumber(th.TScoreOsteopeniaUpper) + "; or a drug indication"},
			{NL: "resultaat telt als het ≤ " + itoa(th.LabFreshDays) + " dagen oud is", EN: "a result counts when ≤ " + itoa(th.LabFreshDays) + " days old"},
		},
		Citations:       []Citation{CiteNIVLab, CiteNHG},
		Suggestions:     labWorkupSuggestions(c, order, reason),
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}}
}

// nivLabCriterion checks NIV 2022: age > 50, a recent fracture and a lowest
// T-score ≤ −1.0 in the newest DXA examination.
func nivLabCriterion(c *Context) ([]Evidence, bool) {
	th := c.Thresholds
	age, ok := c.Age()
	if !ok || age <= th.LabWorkupAgeOver {
		return nil, false
	}
	var recent []Condition
	for _, f := range c.Fractures() {
		if c.RecentOrVertebral(f) && !f.Onset.After(c.Facts.AsOf) {
			recent = append(recent, f)
		}
	}
	if len(recent) == 0 {
		return nil, false
	}
	exam, ok := newestDXAExam(c)
	if !ok {
		return nil, false
	}
	low, ok := lowestAtWHOSites(exam.TScores)
	if !ok || low.Value > th.TScoreOsteopeniaUpper {
		return nil, false
	}
	ev := []Evidence{{Label: Text{NL: "Leeftijd", EN: "Age"}, Value: itoa(age), UnitText: Text{NL: "jaar", EN: "years"}}}
	for _, f := range recent {
		ev = append(ev, fractureEvidenceOf(f))
	}
	return append(ev, dxaEvidenceOf(low)), true
}

func recentNonVertebralFracture(c *Context) bool {
	for _, f := range c.Fractures() {
		if !f.Has(ConceptVertebralFracture) && c.RecentOrVertebral(f) {
			return true
		}
	}
	return false
}

func containsAnalyte(as []Analyte, a Analyte) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}
