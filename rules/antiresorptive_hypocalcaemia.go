package rules

// R10 antiresorptive-hypocalcaemia (rules.md §4 R10).
//
// Sources: risedronate core safety profile 4.3 "Hypocalcaemia"
// (contraindication); Aclasta SmPC 4.4 "Pre-existing hypocalcaemia must be
// treated by adequate intake of calcium and vitamin D before initiating
// therapy"; Prolia label (secondary summaries): hypocalcaemia must be
// corrected before starting, with a risk of severe hypocalcaemia at eGFR
// < 30. Reference range: SEED-GP lab table "Calcium 2,10 – 2,55".
//
// Thresholds: CALCIUM_LOW (< 2.10 mmol/L, SEED-GP); LAB_FRESH_DAYS (180:
// older results are the pre-treatment work-up's (R07) concern).
//
// At order-select/order-sign of a bisphosphonate or denosumab 60 mg draft
// (denosumab 120 mg, oncology, is excluded), the latest albumin-corrected
// calcium is used when it is at least as recent as the latest total
// calcium; otherwise the total calcium. The correction formula is not
// computed here (rules.md §7.9). Indicator: critical.

// TopicAntiresorptiveHypocalcaemia is the topic code of R10.
const TopicAntiresorptiveHypocalcaemia = "antiresorptive-hypocalcaemia"

// AntiresorptiveHypocalcaemia is rule R10.
var AntiresorptiveHypocalcaemia = Rule{
	Number: 10,
	Topic:  TopicAntiresorptiveHypocalcaemia,
	Hooks:  []Hook{OrderSelect, OrderSign},
	Eval:   evalAntiresorptiveHypocalcaemia,
}

func init() { register(AntiresorptiveHypocalcaemia) }

// Citations for hypocalcaemia before antiresorptives.
var (
	CiteAclastaHypocalcaemia = Citation{
		Label: "Aclasta (zoledronic acid 5 mg) SmPC 4.4: pre-existing hypocalcaemia must be treated before initiating therapy",
		URL:   "https://www.ema.europa.eu/en/medicines/human/EPAR/aclasta",
	}
	CiteProliaHypocalcaemia = Citation{
		Label: "Prolia (denosumab 60 mg) SmPC 4.3/4.4: hypocalcaemia must be corrected before starting",
		URL:   "https://www.ema.europa.eu/en/medicines/human/EPAR/prolia",
	}
	CiteRisedronateHypocalcaemia = Citation{
		Label: "Risedronate SmPC 4.3: contraindicated in hypocalcaemia",
		URL:   "https://www.ema.europa.eu/en/medicines",
	}
)

// hypocalcaemiaTargets returns the draft orders R10 checks and the calcium
// it fires on; ok is false when R10 does not fire.
func hypocalcaemiaTargets(c *Context) (targets []MedicationRecord, ca Lab, ok bool) {
	if c.Facts.Hook != OrderSelect && c.Facts.Hook != OrderSign {
		return nil, Lab{}, false
	}
	targets = activeDrafts(c, DrugBisphosphonate)
	for _, m := range activeDrafts(c, DrugDenosumab) {
		if !c.IsOncologyDenosumab(m) && !m.Is(DrugBisphosphonate) {
			targets = append(targets, m)
		}
	}
	if len(targets) == 0 {
		return nil, Lab{}, false
	}
	ca, ok = calciumForSafety(c)
	if !ok || !ca.Below(c.Thresholds.CalciumLow) {
		return nil, Lab{}, false
	}
	return targets, ca, true
}

func evalAntiresorptiveHypocalcaemia(c *Context) []Finding {
	th := c.Thresholds
	targets, ca, ok := hypocalcaemiaTargets(c)
	if !ok {
		return nil
	}
	value := ca.Display()
	valueNL := ca.DisplayText().NL
	kind := Text{NL: "Calcium (totaal)", EN: "Calcium (total)"}
	if ca.Analyte == AnalyteCalciumCorrected {
		kind = Text{NL: "Calcium (gecorrigeerd voor albumine)", EN: "Calcium (albumin-corrected)"}
	}
	ev := []Evidence{{Label: Text{NL: kind.NL + ", " + ca.Code, EN: kind.EN + ", " + ca.Code}, Value: value, Unit: "mmol/L", Date: ca.Date, Source: ca.Source}}
	albumin, hasAlbumin := c.LatestLab(AnalyteAlbumin, th.LabFreshDays)
	if hasAlbumin && ca.Analyte == AnalyteCalcium {
		ev = append(ev, Evidence{Label: Text{NL: "Albumine", EN: "Albumin"}, Value: albumin.Display(), Unit: "g/L", Date: albumin.Date, Source: albumin.Source})
	}
	hasDmab := false
	for _, m := range targets {
		ev = append(ev, Evidence{Label: Text{NL: "Concept-voorschrift", EN: "Draft order"}, ValueText: displayName(m), Source: m.Source})
		hasDmab = hasDmab || m.Is(DrugDenosumab)
	}
	names := shortDrugNames(targets, Text{NL: "antiresorptieve therapie", EN: "antiresorptive therapy"})

	detail := Text{
		NL: "Het calcium (" + valueNL + " mmol/L) is lager dan " + FormatNumberNL(th.CalciumLow) + " mmol/L. Een bestaande hypocalciëmie moet eerst gecorrigeerd worden " +
			"(calcium en vitamine D; zoek de oorzaak) voordat een bisfosfonaat of denosumab wordt gegeven: deze middelen verlagen het calcium verder.",
		EN: "Calcium (" + value + " mmol/L) is below " + FormatNumber(th.CalciumLow) + " mmol/L. Existing hypocalcaemia must be corrected first " +
			"(calcium and vitamin D; look for the cause) before a bisphosphonate or denosumab is given: these drugs lower calcium further.",
	}
	if ca.Analyte == AnalyteCalcium {
		detail.NL += " Dit is het totale calcium; bij een laag albumine kan het vrije calcium normaal zijn. Vraag zo nodig een albumine-gecorrigeerd of geïoniseerd calcium aan."
		detail.EN += " This is total calcium; with low albumin the free calcium may be normal. If needed, ask for an albumin-corrected or ionised calcium."
	}
	if hasDmab {
		detail.NL += "\n\nBij denosumab is het risico op ernstige hypocalciëmie groter bij een eGFR < 30; controleer ook de nierfunctie en vitamine D."
		detail.EN += "\n\nWith denosumab the risk of severe hypocalcaemia is higher at eGFR < 30; also check renal function and vitamin D."
	}
	var sugg []Suggestion
	for _, m := range targets {
		sugg = append(sugg, SuggestDeleteDraft(m, Text{
			NL: "Concept-voorschrift " + displayName(m).NL + " verwijderen tot het calcium gecorrigeerd is",
			EN: "Remove the draft order for " + displayName(m).EN + " until calcium is corrected",
		}))
	}
	return []Finding{{
		Topic:     TopicAntiresorptiveHypocalcaemia,
		Indicator: Critical,
		Summary: Text{
			NL: "Hypocalciëmie (" + valueNL + " mmol/L) eerst corrigeren vóór " + names.NL,
			EN: "Hypocalcaemia (" + value + " mmol/L) must be corrected before " + names.EN,
		},
		Detail:   detail,
		Evidence: ev,
		Thresholds: []Text{
			{NL: kind.NL + " < " + FormatNumberNL(th.CalciumLow) + " mmol/L (referentiewaarden nascholing 2,10–2,55)", EN: kind.EN + " < " + FormatNumber(th.CalciumLow) + " mmol/L (GP training reference 2.10–2.55)"},
			{NL: "uitslag ≤ " + itoa(th.LabFreshDays) + " dagen oud; gecorrigeerd calcium heeft voorrang", EN: "result ≤ " + itoa(th.LabFreshDays) + " days old; corrected calcium preferred"},
		},
		Citations:       []Citation{CiteRisedronateHypocalcaemia, CiteAclastaHypocalcaemia, CiteProliaHypocalcaemia},
		Suggestions:     sugg,
		SelectionAny:    len(sugg) > 1,
		OverrideReasons: StandardOverrideReasons,
	}}
}

// calciumForSafety returns the calcium the rule judges: the latest
// albumin-corrected calcium when it is at least as recent as the latest
// total calcium, else the total calcium; both at most LAB_FRESH_DAYS old.
func calciumForSafety(c *Context) (Lab, bool) {
	corr, okCorr := c.LatestLab(AnalyteCalciumCorrected, c.Thresholds.LabFreshDays)
	total, okTotal := c.LatestLab(AnalyteCalcium, c.Thresholds.LabFreshDays)
	if okCorr && (!okTotal || !corr.Date.Before(total.Date)) {
		return corr, true
	}
	return total, okTotal
}
