package rules

import (
	"strings"
	"unicode/utf8"
)

// Bisphosphonate safety check shared by every card that suggests a
// bisphosphonate order (R02, R06, R19, R20, R22, R25), so that no card
// suggests one the medication-safety cards (R08, R09, R10, R25, R04) would
// then object to.
//
// Sources and thresholds are those of the safety rules:
//   - renal function (R08): EGFR_BP_CONTRAINDICATED (< 30, every
//     bisphosphonate; SEED-GP, risedronate SmPC), EGFR_ALN_ZOL_NOT_RECOMMENDED
//     (< 35: alendronate "not recommended", zoledronic acid
//     "contraindicated"; SmPCs, D4), EGFR_MAX_AGE_DAYS;
//   - alkaline phosphatase (R09): ALP_LOW (< 40 U/L, SEED-GP "AF < 40 geen
//     bisfosfonaten") or below the lab's lower reference limit (D6);
//   - calcium (R10): CALCIUM_LOW (< 2.10 mmol/L, SEED-GP), albumin-corrected
//     calcium preferred, LAB_FRESH_DAYS;
//   - oral bisphosphonates only (R25): an oesophageal disorder, or a hiatal
//     hernia with an active proton-pump inhibitor ([DESIGN]);
//   - a suspected methotrexate osteopathy (R04 fires): SEED-MTX / Robin 2021
//     "do not start a bisphosphonate automatically";
//   - zoledronic acid only: 25-OH vitamin D < VITD_DEFICIENT must be
//     corrected first (Aclasta SmPC 4.4); not a block, the suggestion is
//     kept but not recommended.
//
// A blocked suggestion is dropped (R19 keeps it, not recommended, because
// stopping denosumab without follow-up is worse). When a safety lab
// (eGFR/creatinine, calcium, ALP; for zoledronic acid also vitamin D, and
// eGFR within EGFR_FRESH_DAYS_ZOLEDRONIC) is missing or older than
// LAB_FRESH_DAYS, the suggestion is kept with Recommended=false and the card
// says "eerst laboratoriumonderzoek" (the panel is on the
// pretreatment-lab-workup card).

// bpProblem is one reason not to give (or not yet to recommend) a
// bisphosphonate, with the data behind it.
type bpProblem struct {
	// Reason is the finding, e.g. "eGFR 25 < 30".
	Reason Text
	// Advice is what to do instead.
	Advice    Text
	Threshold Text
	Evidence  []Evidence
	// AllBPs is true when the reason rules out every bisphosphonate, not
	// only this drug.
	AllBPs bool
}

// bpSafety is the outcome of the safety check for one bisphosphonate.
type bpSafety struct {
	Drug Drug
	// Blocks are contraindications: do not suggest the drug.
	Blocks []bpProblem
	// Cautions keep the suggestion but not as recommended.
	Cautions []bpProblem
	// LabsMissing names the safety labs that are missing or stale.
	LabsMissing []Text
}

// bpDrugName names the bisphosphonates the cards order.
func bpDrugName(d Drug) (Text, bool) {
	switch d {
	case DrugOrderAlendronate70mg:
		return Text{NL: "alendroninezuur", EN: "alendronic acid"}, true
	case DrugOrderRisedronate35mg:
		return Text{NL: "risedroninezuur", EN: "risedronic acid"}, true
	case DrugOrderZoledronicAcid5mg:
		return Text{NL: "zoledroninezuur", EN: "zoledronic acid"}, true
	}
	return Text{}, false
}

// bisphosphonateSafety checks drug d for this patient at T.
func bisphosphonateSafety(c *Context, d Drug) bpSafety {
	th := c.Thresholds
	s := bpSafety{Drug: d}
	zol := d == DrugOrderZoledronicAcid5mg
	oral := d == DrugOrderAlendronate70mg || d == DrugOrderRisedronate35mg

	refer := Text{NL: "verwijs naar internist/reumatoloog; denosumab overwegen", EN: "refer to internal medicine/rheumatology; consider denosumab"}
	if renal, ok := latestRenal(c); ok {
		measure := Text{NL: "eGFR", EN: "eGFR"}
		if renal.Analyte == AnalyteCrClCockcroftGault {
			measure = Text{NL: "kreatinineklaring", EN: "creatinine clearance"}
		}
		ev := labEvidence(Text{NL: "Nierfunctie (" + measure.NL + ")", EN: "Renal function (" + measure.EN + ")"}, renal)
		limit := th.EGFRBPContraindicated
		all := renal.Below(limit)
		// Zoledronic acid is contraindicated below 35 (Aclasta SmPC 4.3):
		// its reason names 35 even when the value is below 30 too, so the
		// card does not read "eGFR 25 < 30 — contraindicated < 35".
		if (!all && d == DrugOrderAlendronate70mg) || zol {
			limit = th.EGFRAlnZolNotRecommended
		}
		if renal.Below(limit) {
			p := bpProblem{
				Reason: Text{NL: measure.NL + " " + renal.DisplayText().NL + " < " + FormatNumberNL(limit), EN: measure.EN + " " + renal.Display() + " < " + FormatNumber(limit)},
				Advice: refer,
				Threshold: Text{
					NL: "nierfunctie < " + FormatNumberNL(th.EGFRBPContraindicated) + ": geen bisfosfonaat (NHG, risedronaat-SmPC); < " + FormatNumberNL(th.EGFRAlnZolNotRecommended) + ": alendroninezuur niet aanbevolen, zoledroninezuur gecontra-indiceerd (SmPC)",
					EN: "renal function < " + FormatNumber(th.EGFRBPContraindicated) + ": no bisphosphonate (NHG, risedronate SmPC); < " + FormatNumber(th.EGFRAlnZolNotRecommended) + ": alendronic acid not recommended, zoledronic acid contraindicated (SmPC)",
				},
				Evidence: []Evidence{ev},
				AllBPs:   all && !zol,
			}
			if zol {
				p.Advice = Text{
					NL: "zoledroninezuur gecontra-indiceerd bij eGFR < " + FormatNumberNL(th.EGFRAlnZolNotRecommended) + ": overleg met specialist over alternatief",
					EN: "zoledronic acid contraindicated at eGFR < " + FormatNumber(th.EGFRAlnZolNotRecommended) + ": discuss an alternative with a specialist",
				}
			}
			s.Blocks = append(s.Blocks, p)
		}
	}
	if alp, ok := c.LatestLab(AnalyteALP, 0); ok {
		limit := th.ALPLow
		low := alp.Below(limit)
		if !low && alp.RefLow != nil && alp.Below(*alp.RefLow) {
			limit, low = *alp.RefLow, true
		}
		if low {
			s.Blocks = append(s.Blocks, bpProblem{
				Reason: Text{NL: "alkalische fosfatase " + alp.DisplayText().NL + " < " + FormatNumberNL(limit) + " U/L", EN: "alkaline phosphatase " + alp.Display() + " < " + FormatNumber(limit) + " U/L"},
				Advice: Text{NL: "sluit eerst hypofosfatasie uit", EN: "exclude hypophosphatasia first"},
				Threshold: Text{
					NL: "alkalische fosfatase < " + FormatNumberNL(th.ALPLow) + " U/L of onder de ondergrens van het laboratorium: geen bisfosfonaat (nascholing huisartsen)",
					EN: "alkaline phosphatase < " + FormatNumber(th.ALPLow) + " U/L or below the laboratory's lower limit: no bisphosphonate (GP training course)",
				},
				Evidence: []Evidence{labEvidence(Text{NL: "Alkalische fosfatase", EN: "Alkaline phosphatase"}, alp)},
				AllBPs:   true,
			})
		}
	}
	if ca, ok := calciumForSafety(c); ok && ca.Below(th.CalciumLow) {
		kind := Text{NL: "calcium", EN: "calcium"}
		if ca.Analyte == AnalyteCalciumCorrected {
			kind = Text{NL: "gecorrigeerd calcium", EN: "corrected calcium"}
		}
		s.Blocks = append(s.Blocks, bpProblem{
			Reason: Text{NL: kind.NL + " " + ca.DisplayText().NL + " < " + FormatNumberNL(th.CalciumLow) + " mmol/L", EN: kind.EN + " " + ca.Display() + " < " + FormatNumber(th.CalciumLow) + " mmol/L"},
			Advice: Text{NL: "corrigeer eerst de hypocalciëmie", EN: "correct the hypocalcaemia first"},
			Threshold: Text{
				NL: "calcium < " + FormatNumberNL(th.CalciumLow) + " mmol/L (gecorrigeerd calcium heeft voorrang): eerst corrigeren (SmPC's; nascholing huisartsen 2,10–2,55)",
				EN: "calcium < " + FormatNumber(th.CalciumLow) + " mmol/L (corrected calcium preferred): correct first (SmPCs; GP training course 2.10–2.55)",
			},
			Evidence: []Evidence{labEvidence(Text{NL: "Calcium", EN: "Calcium"}, ca)},
			AllBPs:   true,
		})
	}
	if oral {
		if oes, hernia, ppis, ok := oesophagealRisk(c); ok {
			reason := Text{NL: "slokdarmaandoening", EN: "oesophageal disorder"}
			var ev []Evidence
			for _, cond := range oes {
				ev = append(ev, Evidence{Label: Text{NL: "Slokdarmaandoening", EN: "Oesophageal disorder"}, ValueText: conditionName(cond), Date: cond.Onset, Source: cond.Source})
			}
			if len(oes) == 0 {
				reason = Text{NL: "hiatushernia met maagzuurremmer", EN: "hiatal hernia on a proton-pump inhibitor"}
				for _, cond := range hernia {
					ev = append(ev, Evidence{Label: Text{NL: "Hiatushernia / refluxziekte", EN: "Hiatal hernia / reflux disease"}, ValueText: conditionName(cond), Date: cond.Onset, Source: cond.Source})
				}
				for _, m := range ppis {
					ev = append(ev, Evidence{Label: Text{NL: "Protonpompremmer in gebruik", EN: "Proton-pump inhibitor in use"}, ValueText: displayName(m), Date: m.Start, Source: m.Source})
				}
			}
			s.Blocks = append(s.Blocks, bpProblem{
				Reason: reason,
				Advice: Text{NL: "overweeg zoledroninezuur iv", EN: "consider IV zoledronic acid"},
				Threshold: Text{
					NL: "oraal bisfosfonaat: geen bij een slokdarmaandoening, of hiatushernia met een protonpompremmer",
					EN: "oral bisphosphonate: not with an oesophageal disorder, or a hiatal hernia on a proton-pump inhibitor",
				},
				Evidence: ev,
			})
		}
	}
	if trig, ok := mtxOsteopathyTrigger(c); ok {
		s.Blocks = append(s.Blocks, bpProblem{
			Reason: Text{NL: "mogelijke methotrexaat-osteopathie", EN: "possible methotrexate osteopathy"},
			Advice: Text{NL: "start niet automatisch een bisfosfonaat; bespreek methotrexaat met de voorschrijver", EN: "do not start a bisphosphonate automatically; discuss methotrexate with the prescriber"},
			Threshold: Text{
				NL: "langdurig methotrexaat met fractuur of botpijn: geen bisfosfonaat automatisch (casuïstiek MTX-osteopathie; Robin 2021)",
				EN: "long-term methotrexate with a fracture or bone pain: no bisphosphonate automatically (MTX osteopathy case series; Robin 2021)",
			},
			Evidence: []Evidence{{Label: Text{NL: "Fractuur of botpijn bij langdurig methotrexaat", EN: "Fracture or bone pain on long-term methotrexate"}, ValueText: conditionName(trig), Date: trig.Onset, Source: trig.Source}},
			AllBPs:   true,
		})
	}

	// Safety labs present and fresh?
	renalDays := th.LabFreshDays
	if zol {
		renalDays = th.EGFRFreshDaysZoledronic
	}
	fresh := func(days int, as ...Analyte) bool {
		for _, a := range as {
			if _, ok := c.LatestLab(a, days); ok {
				return true
			}
		}
		return false
	}
	if !fresh(renalDays, AnalyteEGFR, AnalyteCrClCockcroftGault, AnalyteCreatinine) {
		s.LabsMissing = append(s.LabsMissing, Text{NL: "eGFR/kreatinine", EN: "eGFR/creatinine"})
	}
	if !fresh(th.LabFreshDays, AnalyteCalcium, AnalyteCalciumCorrected) {
		s.LabsMissing = append(s.LabsMissing, Text{NL: "calcium", EN: "calcium"})
	}
	if !fresh(th.LabFreshDays, AnalyteALP) {
		s.LabsMissing = append(s.LabsMissing, Text{NL: "alkalische fosfatase", EN: "alkaline phosphatase"})
	}
	if zol {
		if vd, ok := c.LatestLab(AnalyteVitaminD, th.LabFreshDays); !ok {
			s.LabsMissing = append(s.LabsMissing, Text{NL: "25-OH vitamine D", EN: "25-OH vitamin D"})
		} else if vd.Below(th.VitDDeficient) {
			s.Cautions = append(s.Cautions, bpProblem{
				Reason: Text{NL: "25-OH vitamine D " + vd.DisplayText().NL + " < " + FormatNumberNL(th.VitDDeficient) + " nmol/L", EN: "25-OH vitamin D " + vd.Display() + " < " + FormatNumber(th.VitDDeficient) + " nmol/L"},
				Advice: Text{NL: "vul eerst vitamine D aan", EN: "replete vitamin D first"},
				Threshold: Text{
					NL: "vóór zoledroninezuur: 25-OH vitamine D ≥ " + FormatNumberNL(th.VitDDeficient) + " nmol/L (Aclasta-SmPC; nascholing huisartsen)",
					EN: "before zoledronic acid: 25-OH vitamin D ≥ " + FormatNumber(th.VitDDeficient) + " nmol/L (Aclasta SmPC; GP training course)",
				},
				Evidence: []Evidence{labEvidence(Text{NL: "25-OH vitamine D", EN: "25-OH vitamin D"}, vd)},
			})
		}
	}
	return s
}

// bpSafetyResult tells a card what applyBPSafety did.
type bpSafetyResult struct {
	// Suggested is true when the card had a bisphosphonate suggestion.
	Suggested bool
	// AllBlocked is true when every bisphosphonate suggestion was blocked.
	AllBlocked bool
	// FirstReason is the first blocking reason, for a summary line.
	FirstReason Text
}

// applyBPSafety runs the safety check on every bisphosphonate order that f
// suggests. Blocked suggestions are removed (kept, not recommended, when
// keepBlocked), suggestions with missing/stale safety labs or a caution are
// kept with Recommended=false, and the card's detail, evidence and
// thresholds say why.
func applyBPSafety(c *Context, f *Finding, keepBlocked bool) bpSafetyResult {
	var res bpSafetyResult
	checked := map[Drug]bpSafety{}
	var order []Drug
	var kept []Suggestion
	for _, s := range f.Suggestions {
		var drugs []Drug
		for _, a := range s.Actions {
			if a.Order != nil && a.Order.Kind == OrderMedication {
				if _, ok := bpDrugName(a.Order.Drug); ok {
					drugs = append(drugs, a.Order.Drug)
				}
			}
		}
		if len(drugs) == 0 {
			kept = append(kept, s)
			continue
		}
		res.Suggested = true
		blocked := false
		for _, d := range drugs {
			sf, seen := checked[d]
			if !seen {
				sf = bisphosphonateSafety(c, d)
				checked[d] = sf
				order = append(order, d)
			}
			if len(sf.Blocks) > 0 {
				blocked = true
			}
			if len(sf.Blocks) > 0 || len(sf.Cautions) > 0 || len(sf.LabsMissing) > 0 {
				s.Recommended = false
			}
		}
		if blocked && !keepBlocked {
			continue
		}
		kept = append(kept, s)
	}
	if !res.Suggested {
		return res
	}
	f.Suggestions = kept

	res.AllBlocked = true
	var paragraphs []Text
	var missing []Text
	var blockedDrugs []Drug
	for _, d := range order {
		sf := checked[d]
		if len(sf.Blocks) == 0 {
			res.AllBlocked = false
		} else {
			blockedDrugs = append(blockedDrugs, d)
		}
		for _, m := range sf.LabsMissing {
			if !containsText(missing, m) {
				missing = append(missing, m)
			}
		}
	}
	if len(blockedDrugs) > 0 {
		res.FirstReason = checked[blockedDrugs[0]].Blocks[0].Reason
	}
	// A reason that rules out every bisphosphonate names "bisfosfonaat", so
	// that two drugs blocked by it share one line.
	for _, d := range blockedDrugs {
		name, _ := bpDrugName(d)
		general := true
		for _, p := range checked[d].Blocks {
			general = general && p.AllBPs
		}
		if general {
			name = Text{NL: "bisfosfonaat", EN: "bisphosphonate"}
		}
		reasons, advice := joinReasons(checked[d].Blocks), joinAdvice(checked[d].Blocks)
		line := Text{
			NL: "Geen " + name.NL + ": " + reasons.NL + " — " + advice.NL + ".",
			EN: "No " + name.EN + ": " + reasons.EN + " — " + advice.EN + ".",
		}
		if keepBlocked {
			line = Text{
				NL: "Let op, contra-indicatie voor " + name.NL + ": " + reasons.NL + " — " + advice.NL + ". Het voorstel " + name.NL + " is daarom niet aanbevolen.",
				EN: "Caution, contraindication to " + name.EN + ": " + reasons.EN + " — " + advice.EN + ". The " + name.EN + " suggestion is therefore not recommended.",
			}
		}
		addText(&paragraphs, line)
	}
	for _, d := range order {
		sf := checked[d]
		if len(sf.Blocks) > 0 || len(sf.Cautions) == 0 {
			continue
		}
		name, _ := bpDrugName(d)
		paragraphs = append(paragraphs, Text{
			NL: name.NL + " nog niet aanbevolen: " + joinReasons(sf.Cautions).NL + " — " + joinAdvice(sf.Cautions).NL + ".",
			EN: name.EN + " not yet recommended: " + joinReasons(sf.Cautions).EN + " — " + joinAdvice(sf.Cautions).EN + ".",
		})
	}
	if len(missing) > 0 && !res.AllBlocked {
		var nl, en []string
		for _, m := range missing {
			nl, en = append(nl, m.NL), append(en, m.EN)
		}
		paragraphs = append(paragraphs, Text{
			NL: "Bisfosfonaat nog niet aanbevolen: eerst laboratoriumonderzoek (ontbreekt of verouderd: " + strings.Join(nl, ", ") + ").",
			EN: "Bisphosphonate not yet recommended: laboratory tests first (missing or out of date: " + strings.Join(en, ", ") + ").",
		})
		f.SeeAlso = append(f.SeeAlso, SeeAlso{Topic: TopicPretreatmentLabWorkup, What: Text{NL: "het laboratoriumonderzoek", EN: "the laboratory work-up"}})
		addText(&f.Thresholds, Text{
			NL: "veiligheidslab vóór een bisfosfonaat (eGFR/kreatinine, calcium, alkalische fosfatase) ≤ " + itoa(c.Thresholds.LabFreshDays) + " dagen oud; vóór zoledroninezuur eGFR ≤ " + itoa(c.Thresholds.EGFRFreshDaysZoledronic) + " dagen en 25-OH vitamine D (Aclasta-SmPC)",
			EN: "safety labs before a bisphosphonate (eGFR/creatinine, calcium, alkaline phosphatase) ≤ " + itoa(c.Thresholds.LabFreshDays) + " days old; before zoledronic acid eGFR ≤ " + itoa(c.Thresholds.EGFRFreshDaysZoledronic) + " days and 25-OH vitamin D (Aclasta SmPC)",
		})
	}
	for _, d := range order {
		sf := checked[d]
		for _, p := range append(append([]bpProblem(nil), sf.Blocks...), sf.Cautions...) {
			addText(&f.Thresholds, p.Threshold)
			for _, e := range p.Evidence {
				addEvidence(&f.Evidence, e)
			}
		}
	}
	if keepBlocked && len(blockedDrugs) > 0 {
		// Prominent: the contraindication comes first.
		var first Text
		for _, p := range paragraphs {
			first = appendParagraph(first, p)
		}
		f.Detail = appendParagraph(first, f.Detail)
	} else {
		for _, p := range paragraphs {
			f.Detail = appendParagraph(f.Detail, p)
		}
	}
	if len(blockedDrugs) == 0 {
		res.AllBlocked = false
	}
	return res
}

func joinReasons(ps []bpProblem) Text {
	var nl, en []string
	for _, p := range ps {
		nl, en = append(nl, p.Reason.NL), append(en, p.Reason.EN)
	}
	return Text{NL: strings.Join(nl, "; "), EN: strings.Join(en, "; ")}
}

func joinAdvice(ps []bpProblem) Text {
	var nl, en []string
	for _, p := range ps {
		if !containsString(nl, p.Advice.NL) {
			nl, en = append(nl, p.Advice.NL), append(en, p.Advice.EN)
		}
	}
	return Text{NL: strings.Join(nl, "; "), EN: strings.Join(en, "; ")}
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func containsText(xs []Text, x Text) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func addText(xs *[]Text, x Text) {
	if !containsText(*xs, x) {
		*xs = append(*xs, x)
	}
}

// addEvidence appends e unless the card already shows that datum.
func addEvidence(evs *[]Evidence, e Evidence) {
	for _, x := range *evs {
		if x.Source == e.Source && x.Source != "" && x.Value == e.Value {
			return
		}
	}
	*evs = append(*evs, e)
}

// bpBlockedSummary returns base + ": geen bisfosfonaat (reason)" within the
// 140-rune summary limit, shortening to the bare statement when needed.
func bpBlockedSummary(base Text, reason Text) Text {
	s := Text{NL: base.NL + ": geen bisfosfonaat (" + reason.NL + ")", EN: base.EN + ": no bisphosphonate (" + reason.EN + ")"}
	if utf8.RuneCountInString(s.NL) >= 140 || utf8.RuneCountInString(s.EN) >= 140 {
		s = Text{NL: base.NL + ": geen bisfosfonaat (contra-indicatie)", EN: base.EN + ": no bisphosphonate (contraindication)"}
	}
	return s
}
