package rules

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The planner turns the findings of all rules into one response, so that
// the clinician reads a coherent answer instead of independent cards
// (issue 12; architecture.md "One pass through a request": assess, plan,
// render). Its steps, in order:
//
//  1. one card per situation: the laboratory work-up of a fracture is part
//     of the case-finding card (and of the fracture-on-treatment and the
//     treatment-indication card), not a card of its own;
//  2. safety vetoes over the whole response: no suggestion anywhere may
//     start, move or continue a drug that a finding in the same response
//     forbids (renal function below the agent's limit, hypocalcaemia,
//     vitamin D deficiency before zoledronic acid or a first denosumab
//     dose, low alkaline phosphatase, a blocked repeat teriparatide
//     course). The card says why and offers the safe action instead
//     (calcium/vitamin D, or a recheck of both when already supplemented),
//     and its summary and detail no longer recommend the drug
//     (vetoRewordings);
//  3. no order that is already active or ordered, and no test measured in
//     the last RECENT_ORDER_DAYS (30) days;
//  4. each order once, on the most urgent card that proposes it;
//  4a. labs before a bisphosphonate: a card that proposes a bisphosphonate
//     whose safety labs are missing or stale carries the laboratory order
//     itself and says "first laboratory tests" in its first sentence
//     (labsBeforeBisphosphonates);
//  5. at most MaxCards cards, the most urgent first;
//  6. the lifestyle risk factors on record are added to the card of the
//     situation (lifestyle.go);
//  7. every detail starts with what to do (writeLeads);
//  8. references between cards are written last, from the cards actually
//     in the response (SeeAlso), or not at all.
//
// Sources: Prolia SmPC 4.4 (correct hypocalcaemia before denosumab);
// Aclasta SmPC 4.3/4.4 (creatinine clearance < 35 contraindicated;
// correct hypocalcaemia and vitamin D deficiency before the infusion);
// SEED-GP "AF < 40 geen bisfosfonaten", "eGFR < 30 geen bisfosfonaten";
// Forsteo SmPC (24 months once in a lifetime).

// MaxCards is the largest number of cards one response carries. Five or
// more cards are not read at the point of care (clinical review, issue 12).
const MaxCards = 4

// SeeAlso is a reference from one card to another card of the same
// response. The planner writes it as a sentence naming that card's summary
// only when the card is in the response.
type SeeAlso struct {
	// Topic is the topic code of the card referred to.
	Topic string
	// What says what the other card holds, e.g. "het laboratoriumonderzoek".
	What Text
}

// plan is the planning step of EvaluateRules (see the file comment).
// findings are sorted most urgent first, then in catalog order.
func plan(c *Context, findings []Finding) []Finding {
	for i := range findings {
		// Own the slices the planner edits: rules may share them.
		findings[i].Suggestions = slices.Clone(findings[i].Suggestions)
		findings[i].SeeAlso = slices.Clone(findings[i].SeeAlso)
	}
	findings = absorbLabWorkup(findings)
	findings = applyVetoes(c, findings)
	findings = dropKnownOrders(c, findings)
	findings = dedupeSuggestions(findings)
	findings, labsFirst := labsBeforeBisphosphonates(c, findings)
	findings = capCards(findings)
	findings = addLifestyle(c, findings)
	findings = writeLeads(findings, labsFirst)
	return writeReferences(findings)
}

// labHosts are the cards that carry the laboratory work-up of their
// situation, in order of preference.
var labHosts = []string{topicFractureOnTreatmentRef, TopicFractureCaseFinding, TopicOsteoporosisTreatmentIndication}

// absorbLabWorkup moves the patient-view laboratory work-up onto the card
// of the situation that needs it (rules.md §0.3 "one card per situation";
// issue 12: "a fracture's case finding carries DXA + VFA and the lab
// panel; a fracture on treatment carries its labs").
func absorbLabWorkup(findings []Finding) []Finding {
	lab := -1
	for i, f := range findings {
		if f.Topic == TopicPretreatmentLabWorkup && f.Indicator == Info {
			lab = i
			break
		}
	}
	if lab < 0 {
		return findings
	}
	host := firstOfTopics(findings, labHosts)
	if host < 0 {
		return findings
	}
	h, l := &findings[host], findings[lab]
	h.Suggestions = append(h.Suggestions, l.Suggestions...)
	h.SelectionAny = true
	if l.Brief.NL != "" {
		h.Detail = appendParagraph(h.Detail, l.Brief)
	}
	// Only measured values: the missing tests are named in Brief.
	h.Evidence = slices.Clone(h.Evidence)
	for _, e := range l.Evidence {
		if !e.Date.IsZero() {
			h.Evidence = append(h.Evidence, e)
		}
	}
	for i := range findings {
		for j, r := range findings[i].SeeAlso {
			if r.Topic == TopicPretreatmentLabWorkup {
				findings[i].SeeAlso[j].Topic = h.Topic
			}
		}
	}
	for _, cit := range l.Citations {
		if !slices.Contains(h.Citations, cit) {
			h.Citations = append(slices.Clone(h.Citations), cit)
		}
	}
	return slices.Delete(findings, lab, lab+1)
}

// veto is one reason, found in this response, not to give a drug now.
type veto struct {
	Reason Text
	// Safe is the safe action offered instead.
	Safe safeAction
}

// safeAction is what a card offers when a veto removes its drug.
type safeAction int

const (
	safeRefer safeAction = iota
	safeCorrectCalciumVitD
	safeContinueDenosumab
)

// drugVeto returns why drug d must not be ordered now, if it must not.
// The bisphosphonate verdicts are the ones of bisphosphonateSafety, the one
// place that decides renal function, calcium and alkaline phosphatase for
// bisphosphonates; vitamin D deficiency blocks zoledronic acid here (the
// Aclasta SmPC: correct first, then infuse).
func drugVeto(c *Context, d Drug) (veto, bool) {
	th := c.Thresholds
	switch d {
	case DrugOrderZoledronicAcid5mg, DrugOrderAlendronate70mg, DrugOrderRisedronate35mg:
		s := bisphosphonateSafety(c, d)
		if len(s.Blocks) > 0 {
			b := s.Blocks[0]
			safe := safeRefer
			if b.Advice == (Text{NL: "corrigeer eerst de hypocalciëmie", EN: "correct the hypocalcaemia first"}) {
				safe = safeCorrectCalciumVitD
			}
			return veto{Reason: b.Reason, Safe: safe}, true
		}
		if d == DrugOrderZoledronicAcid5mg {
			for _, p := range s.Cautions {
				return veto{Reason: p.Reason, Safe: safeCorrectCalciumVitD}, true
			}
		}
	case DrugOrderDenosumab60mg:
		if ca, ok := calciumForSafety(c); ok && ca.Below(th.CalciumLow) {
			return veto{Reason: Text{
				NL: "calcium " + ca.DisplayText().NL + " < " + FormatNumberNL(th.CalciumLow) + " mmol/L",
				EN: "calcium " + ca.Display() + " < " + FormatNumber(th.CalciumLow) + " mmol/L",
			}, Safe: safeCorrectCalciumVitD}, true
		}
		if len(denosumabDoses(c)) == 0 {
			if vd, ok := c.LatestLab(AnalyteVitaminD, th.LabFreshDays); ok && vd.Below(th.VitDDeficient) {
				return veto{Reason: Text{
					NL: "25-OH-vitamine D " + vd.DisplayText().NL + " < " + FormatNumberNL(th.VitDDeficient) + " nmol/L",
					EN: "25-OH vitamin D " + vd.Display() + " < " + FormatNumber(th.VitDDeficient) + " nmol/L",
				}, Safe: safeCorrectCalciumVitD}, true
			}
		}
	}
	return veto{}, false
}

// drugLabel names the drugs the cards order, for veto sentences.
func drugLabel(d Drug) Text {
	if t, ok := bpDrugName(d); ok {
		return t
	}
	switch d {
	case DrugOrderDenosumab60mg:
		return Text{NL: "denosumab", EN: "denosumab"}
	case DrugOrderColecalciferol:
		return Text{NL: "colecalciferol", EN: "colecalciferol"}
	case DrugOrderCalciumVitD:
		return Text{NL: "calcium/vitamine D", EN: "calcium/vitamin D"}
	}
	return Text{NL: string(d), EN: string(d)}
}

// applyVetoes removes every suggestion that orders a vetoed drug, says why
// on its card and offers the safe action instead. A pre-treatment lab card
// for a repeat teriparatide course that is blocked is dropped: there is
// nothing to prepare.
func applyVetoes(c *Context, findings []Finding) []Finding {
	findings = dropBlockedCourseWorkup(c, findings)
	memo := map[Drug]*veto{}
	vetoOf := func(d Drug) *veto {
		if v, ok := memo[d]; ok {
			return v
		}
		var p *veto
		if v, ok := drugVeto(c, d); ok {
			p = &v
		}
		memo[d] = p
		return p
	}
	for i := range findings {
		f := &findings[i]
		var kept []Suggestion
		var safes []safeAction
		var said []Text
		for _, s := range f.Suggestions {
			var v *veto
			var drug Drug
			for _, a := range s.Actions {
				if a.Type == Create && a.Order != nil && a.Order.Kind == OrderMedication {
					if v = vetoOf(a.Order.Drug); v != nil {
						drug = a.Order.Drug
						break
					}
				}
			}
			if v == nil {
				kept = append(kept, s)
				continue
			}
			name := drugLabel(drug)
			line := Text{
				NL: "Geen " + name.NL + " nu: " + v.Reason.NL + ".",
				EN: "No " + name.EN + " now: " + v.Reason.EN + ".",
			}
			if !slices.Contains(said, line) && !strings.Contains(f.Detail.NL, v.Reason.NL) {
				said = append(said, line)
			}
			if !slices.Contains(safes, v.Safe) {
				safes = append(safes, v.Safe)
			}
		}
		if len(said) == 0 && len(safes) == 0 {
			continue
		}
		f.Suggestions = kept
		for _, line := range said {
			f.Detail = prependParagraph(f.Detail, line)
		}
		for _, sa := range safes {
			if s, ok := safeSuggestion(c, f, sa); ok {
				f.Suggestions = append(f.Suggestions, s)
			}
		}
		if f.Indicator == Critical && len(f.Suggestions) == 0 {
			f.Suggestions = append(f.Suggestions, referralSuggestion(Text{NL: "veiligheidsbezwaar tegen osteoporosemedicatie", EN: "safety concern about osteoporosis drug"}, true))
		}
		if len(f.Suggestions) > 1 {
			f.SelectionAny = true
		}
	}
	for i := range findings {
		rewordVetoed(c, &findings[i])
	}
	return findings
}

// safeSuggestion is the safe action of kind sa for finding f, when one
// applies that f does not already offer.
func safeSuggestion(c *Context, f *Finding, sa safeAction) (Suggestion, bool) {
	has := func(key string) bool {
		for _, s := range f.Suggestions {
			if s.Key == key {
				return true
			}
		}
		return false
	}
	switch sa {
	case safeCorrectCalciumVitD:
		if has(keyOrderVitaminD) || has(keyRecheckCalciumVitD) {
			return Suggestion{}, false
		}
		if c.Active(DrugCalcium) || c.Active(DrugVitaminD) {
			// Already supplemented: check dose and adherence, and recheck
			// calcium and vitamin D before the drug (a confirmation, so
			// ordered although measured recently).
			s := SuggestLabPanel([]Analyte{AnalyteCalcium, AnalyteAlbumin, AnalyteVitaminD},
				Text{NL: "controle calcium en vitamine D vóór botmiddel", EN: "recheck calcium and vitamin D before a bone drug"})
			s.Key = keyRecheckCalciumVitD
			s.Label = Text{NL: "Calcium en vitamine D opnieuw bepalen (na correctie, vóór het botmiddel)", EN: "Recheck calcium and vitamin D (after correction, before the bone drug)"}
			s.Actions[0].Description = s.Label
			s.Actions[0].Order.Confirmation = true
			return s, true
		}
		s := SuggestMedication(keyOrderVitaminD, DrugOrderCalciumVitD, c.Facts.AsOf,
			Text{NL: "Eerst calcium/vitamine D suppleren (daarna controleren)", EN: "Supplement calcium/vitamin D first (then recheck)"},
			Text{NL: "calcium en vitamine D corrigeren vóór botmiddel", EN: "correct calcium and vitamin D before a bone drug"})
		s.Recommended = true
		return s, true
	case safeContinueDenosumab:
		if has(KeyOrderDenosumab60mg) {
			return Suggestion{}, false
		}
		if _, vetoed := drugVeto(c, DrugOrderDenosumab60mg); vetoed {
			return Suggestion{}, false
		}
		s := suggestDenosumab(c, time.Time{}, Text{NL: "Denosumab voortzetten (volgende injectie)", EN: "Continue denosumab (next injection)"})
		s.Recommended = true
		return s, true
	}
	if has(keyReferralOsteoporosis) {
		return Suggestion{}, false
	}
	if f.Topic == TopicDenosumabNoStopWithoutFollowup || f.Topic == TopicDenosumab5yReview {
		// Stopping denosumab without a follow-on drug causes rebound
		// vertebral fractures: continuing it is the safe action.
		if s, ok := safeSuggestion(c, f, safeContinueDenosumab); ok {
			return s, true
		}
	}
	recommended := true
	for _, s := range f.Suggestions {
		recommended = recommended && !s.Recommended
	}
	return referralSuggestion(Text{NL: "veiligheidsbezwaar tegen osteoporosemedicatie", EN: "safety concern about osteoporosis drug"}, recommended), true
}

// dropBlockedCourseWorkup removes the order-time laboratory card when the
// only bone drug being ordered is a teriparatide course that
// teriparatide-max-24-months blocks.
func dropBlockedCourseWorkup(c *Context, findings []Finding) []Finding {
	if c.Facts.Hook == PatientView {
		return findings
	}
	blocked := false
	for _, f := range findings {
		if f.Topic == TopicTeriparatideMax24Months && f.Indicator == Critical {
			blocked = true
		}
	}
	if !blocked {
		return findings
	}
	for _, m := range c.boneDrugDrafts(OsteoporosisDrugs...) {
		if !m.Is(DrugTeriparatide) {
			return findings
		}
	}
	return slices.DeleteFunc(findings, func(f Finding) bool { return f.Topic == TopicPretreatmentLabWorkup })
}

// dropKnownOrders removes orders the record already holds: a DXA that is
// ordered or was done in the last RECENT_ORDER_DAYS, laboratory tests
// measured in that window, and daily drugs already in use. A suggestion
// left without actions is removed.
func dropKnownOrders(c *Context, findings []Finding) []Finding {
	for i := range findings {
		f := &findings[i]
		var kept []Suggestion
		for _, s := range f.Suggestions {
			s, ok := withoutKnownOrders(c, s)
			if ok {
				kept = append(kept, s)
			}
		}
		f.Suggestions = kept
	}
	return findings
}

func withoutKnownOrders(c *Context, s Suggestion) (Suggestion, bool) {
	var actions []Action
	changed := false
	for _, a := range s.Actions {
		if a.Type != Create || a.Order == nil {
			actions = append(actions, a)
			continue
		}
		o := *a.Order
		switch o.Kind {
		case OrderDXA:
			if c.dxaKnown() {
				changed = true
				continue
			}
		case OrderLabPanel:
			if o.Confirmation {
				break
			}
			var left []Analyte
			for _, an := range o.Analytes {
				if c.measuredRecently(an) {
					changed = true
					continue
				}
				left = append(left, an)
			}
			if len(left) == 0 {
				continue
			}
			o.Analytes = left
			a.Order = &o
		case OrderMedication:
			if cl, daily := dailyDrugClass(o.Drug); daily && o.Date.IsZero() && c.Active(cl) {
				changed = true
				continue
			}
		}
		actions = append(actions, a)
	}
	if !changed {
		return s, true
	}
	if len(actions) == 0 {
		return Suggestion{}, false
	}
	s.Actions = actions
	return s, true
}

// dailyDrugClass is the class of a daily drug the cards order; a daily drug
// in use is not ordered again. Injections (denosumab, zoledronic acid) are
// dose events and are judged by their own rules.
func dailyDrugClass(d Drug) (DrugClass, bool) {
	switch d {
	case DrugOrderAlendronate70mg:
		return DrugAlendronate, true
	case DrugOrderRisedronate35mg:
		return DrugRisedronate, true
	case DrugOrderColecalciferol, DrugOrderCalciumVitD:
		return DrugVitaminD, true
	}
	return "", false
}

// dxaKnown reports whether a DXA is ordered (active, on hold or drafted)
// or was done in the last RECENT_ORDER_DAYS.
func (c *Context) dxaKnown() bool {
	for _, s := range c.ServiceOrdersOf(ServiceDXA) {
		switch {
		case s.Draft, s.Status == "active", s.Status == "on-hold", s.Status == "draft":
			return true
		}
	}
	for _, d := range c.Facts.DXA {
		if (d.Measure == TScore || d.Measure == BMD) && !d.Date.After(c.Facts.AsOf) && DaysBetween(d.Date, c.Facts.AsOf) <= c.Thresholds.RecentOrderDays {
			return true
		}
	}
	return false
}

// measuredRecently reports whether analyte a has a result in the last
// RECENT_ORDER_DAYS. Renal function counts for creatinine and eGFR alike,
// calcium for total and corrected calcium.
func (c *Context) measuredRecently(a Analyte) bool {
	same := []Analyte{a}
	switch a {
	case AnalyteEGFR, AnalyteCreatinine:
		same = []Analyte{AnalyteEGFR, AnalyteCreatinine, AnalyteCrClCockcroftGault}
	case AnalyteCalcium, AnalyteCalciumCorrected:
		same = []Analyte{AnalyteCalcium, AnalyteCalciumCorrected}
	}
	for _, x := range same {
		if _, ok := c.LatestLab(x, c.Thresholds.RecentOrderDays); ok {
			return true
		}
	}
	return false
}

// capCards keeps at most MaxCards cards. Findings arrive most urgent first;
// the cards dropped are the least urgent informational cards without a
// suggestion, then the last ones.
func capCards(findings []Finding) []Finding {
	for len(findings) > MaxCards {
		drop := len(findings) - 1
		for i := len(findings) - 1; i >= 0; i-- {
			if findings[i].Indicator == Info && len(findings[i].Suggestions) == 0 {
				drop = i
				break
			}
		}
		findings = slices.Delete(findings, drop, drop+1)
	}
	return findings
}

// writeReferences turns each SeeAlso whose card is in the response into a
// sentence naming that card by its summary; the others are left out.
func writeReferences(findings []Finding) []Finding {
	summary := map[string]Text{}
	for _, f := range findings {
		if _, ok := summary[f.Topic]; !ok {
			summary[f.Topic] = f.Summary
		}
	}
	for i := range findings {
		f := &findings[i]
		var done []string
		for _, r := range f.SeeAlso {
			s, ok := summary[r.Topic]
			if !ok || r.Topic == f.Topic || slices.Contains(done, r.Topic+r.What.NL) {
				continue
			}
			done = append(done, r.Topic+r.What.NL)
			f.Detail = appendParagraph(f.Detail, Text{
				NL: "Voor " + r.What.NL + ": zie de kaart \"" + s.NL + "\".",
				EN: "For " + r.What.EN + ": see the card \"" + s.EN + "\".",
			})
		}
		f.SeeAlso = nil
	}
	return findings
}

func prependParagraph(t, p Text) Text { return appendParagraph(p, t) }

// PlanViolations checks findings (the output of Evaluate for facts) against
// the whole-response invariants that need the patient's record: no
// suggestion orders a drug that a finding in the same response forbids
// (drugVeto); no order that is already active or ordered, and no test
// measured in the last RECENT_ORDER_DAYS unless it confirms an abnormal
// value; each order key once; at most MaxCards cards. Tests run it over
// every seed case, so that a new rule cannot break these silently.
func PlanViolations(facts Facts, th Thresholds, findings []Finding) []string {
	c := &Context{Facts: facts.asOf(), Thresholds: th}
	var out []string
	if len(findings) > MaxCards {
		out = append(out, "more than "+itoa(MaxCards)+" cards")
	}
	keys := map[string]string{}
	for _, f := range findings {
		for _, s := range f.Suggestions {
			if prev, ok := keys[s.Key]; ok && s.Key != "" {
				out = append(out, "suggestion "+s.Key+" on "+prev+" and "+f.Topic)
			}
			keys[s.Key] = f.Topic
			for _, a := range s.Actions {
				if a.Type != Create || a.Order == nil {
					continue
				}
				o := a.Order
				switch o.Kind {
				case OrderMedication:
					if v, vetoed := drugVeto(c, o.Drug); vetoed {
						out = append(out, f.Topic+": suggests "+string(o.Drug)+" although "+v.Reason.EN)
					}
					if cl, daily := dailyDrugClass(o.Drug); daily && o.Date.IsZero() && c.Active(cl) {
						out = append(out, f.Topic+": suggests "+string(o.Drug)+", already in use")
					}
				case OrderDXA:
					if c.dxaKnown() {
						out = append(out, f.Topic+": suggests a DXA that is ordered or recent")
					}
				case OrderLabPanel:
					if o.Confirmation {
						continue
					}
					for _, an := range o.Analytes {
						if c.measuredRecently(an) {
							out = append(out, f.Topic+": orders "+string(an)+", measured in the last "+itoa(th.RecentOrderDays)+" days")
						}
					}
				}
			}
		}
		if len(f.SeeAlso) > 0 {
			out = append(out, f.Topic+": unresolved card references")
		}
		if d, ok := bpAwaitingLabs(c, f); ok && !labOrderFor(findings, f) {
			out = append(out, f.Topic+": suggests "+string(d)+" with safety labs missing but no laboratory order")
		}
	}
	return out
}

// bpAwaitingLabs returns a bisphosphonate that f suggests whose safety
// labs are missing or stale.
func bpAwaitingLabs(c *Context, f Finding) (Drug, bool) {
	for _, s := range f.Suggestions {
		for _, a := range s.Actions {
			if a.Type != Create || a.Order == nil || a.Order.Kind != OrderMedication {
				continue
			}
			if _, ok := bpDrugName(a.Order.Drug); ok && len(bisphosphonateSafety(c, a.Order.Drug).LabsMissing) > 0 {
				return a.Order.Drug, true
			}
		}
	}
	return "", false
}

// labOrderFor reports whether f carries a laboratory order, or the
// order-time pretreatment-lab-workup card of the response does.
func labOrderFor(findings []Finding, f Finding) bool {
	for _, g := range findings {
		if g.Topic != f.Topic && g.Topic != TopicPretreatmentLabWorkup {
			continue
		}
		for _, s := range g.Suggestions {
			if s.Key == KeyOrderLabPanel {
				return true
			}
		}
	}
	return false
}

// staticLeads are the first sentences of cards that offer no suggestion:
// what to do with the information, in one sentence (issue 12: "first
// sentence says what to do").
var staticLeads = map[string]Text{
	TopicDexaWHOClassification: {NL: "Gebruik de uitslag voor het beleid: behandel het fractuurrisico, niet de DXA-uitslag.",
		EN: "Use the result for the plan: treat the fracture risk, not the DXA result."},
	TopicDexaChangeLSC: {NL: "Beoordeel het effect van de behandeling met de verandering per meetplaats.",
		EN: "Judge the effect of treatment by the change per site."},
	TopicDexaChangeImplausible: {NL: "Overleg met de DXA-afdeling voordat u beleid op deze uitslag baseert.",
		EN: "Discuss the result with the DXA department before basing decisions on it."},
	TopicBoneRiskMedication: {NL: "Beoordeel indicatie, dosis en alternatief van deze middelen.",
		EN: "Review indication, dose and alternatives of these drugs."},
	TopicMTXDexaOnIndication: {NL: "Bespreek methotrexaat met de voorschrijver (denk aan MTX-osteopathie).",
		EN: "Discuss methotrexate with the prescriber (consider MTX osteopathy)."},
}

// writeLeads starts every card's detail with what to do: the labels of
// its recommended suggestions (else of all its suggestions), so the first
// sentence and the actions always agree, or the topic's static lead.
func writeLeads(findings []Finding, labsFirst map[string]bool) []Finding {
	for i := range findings {
		f := &findings[i]
		if labsFirst[f.Topic] {
			if lead, ok := labsFirstLead(f); ok {
				f.Detail = prependParagraph(f.Detail, lead)
				continue
			}
		}
		var nl, en []string
		for _, s := range f.Suggestions {
			if s.Recommended {
				nl, en = append(nl, s.Label.NL), append(en, s.Label.EN)
			}
		}
		if len(nl) == 0 {
			for _, s := range f.Suggestions {
				nl, en = append(nl, s.Label.NL), append(en, s.Label.EN)
			}
		}
		var lead Text
		switch {
		case len(nl) > 1 && !f.SelectionAny:
			// Alternatives (at most one is chosen): say so.
			lead = Text{NL: "Kies één: " + joinList(nl, "; of ") + ".", EN: "Choose one: " + joinList(en, "; or ") + "."}
		case len(nl) > 0:
			lead = Text{NL: "Te doen: " + joinList(nl, "; ") + ".", EN: "To do: " + joinList(en, "; ") + "."}
		default:
			l, ok := staticLeads[f.Topic]
			if !ok {
				continue
			}
			lead = l
		}
		f.Detail = prependParagraph(f.Detail, lead)
	}
	return findings
}

// labsBeforeBisphosphonates makes every card that proposes a bisphosphonate
// whose safety labs (renal function, calcium, alkaline phosphatase; before
// zoledronic acid also 25-OH vitamin D and an eGFR of at most
// EGFR_FRESH_DAYS_ZOLEDRONIC days) are missing or stale carry the
// laboratory order, first, and keeps the drug as a non-recommended option
// for after the results. It returns the topics of those cards, whose first
// sentence then says "first laboratory tests" (writeLeads).
//
// Why the drug stays: for the critical denosumab-exit card the timing of
// zoledronic acid (about 6 months after the last injection, ECTS 2021) is
// the point of the card; dropping it would leave "stop without follow-up"
// or "continue". The NHG-Standaard Fractuurpreventie (2016, "Aanvullend
// onderzoek") and the NIV 2022 laboratory module ask for calcium,
// creatinine/eGFR, alkaline phosphatase and 25-OH vitamin D before a
// bisphosphonate; the Aclasta SmPC 4.3/4.4 contraindicates zoledronic acid
// at a creatinine clearance < 35 and requires hypocalcaemia and vitamin D
// deficiency to be corrected before the infusion (SEED Casus 3: zoledronic
// acid once eGFR >= 35, Ca >= 2.10 and 25-OH-D >= 50 are known). A careful
// GP reads "order the labs now, give the drug when they allow it".
//
// Each order once: the lab panel already in the response (folded from the
// work-up onto the case-finding card, say) moves onto the drug card, which
// widens it with the safety analytes; the card it left refers to it. A lab
// panel on the order-time pretreatment-lab-workup card stays there (that
// card is the work-up of the order being signed) and the drug card refers
// to it.
func labsBeforeBisphosphonates(c *Context, findings []Finding) ([]Finding, map[string]bool) {
	first := map[string]bool{}
	for i := range findings {
		f := &findings[i]
		if _, missing := bpAwaitingLabs(c, *f); !missing {
			continue
		}
		zol := plCreatesDrug(*f, DrugOrderZoledronicAcid5mg)
		analytes, _, _, _ := missingPreTreatmentLabs(c, zol)
		var need []Analyte
		for _, a := range analytes {
			if !c.measuredRecently(a) {
				need = append(need, a)
			}
		}
		if len(need) == 0 {
			continue
		}
		lab := SuggestLabPanel(need, Text{NL: "veiligheidslab vóór bisfosfonaat", EN: "safety laboratory tests before a bisphosphonate"})
		owner, at := -1, -1
		for j := range findings {
			for k, s := range findings[j].Suggestions {
				if s.Key == KeyOrderLabPanel {
					owner, at = j, k
				}
			}
		}
		first[f.Topic] = true
		switch {
		case owner == i:
			kept := &f.Suggestions[at]
			mergeOrders(kept, lab)
			kept.Recommended = true
			// The labs come before the first bisphosphonate.
			for k, s := range f.Suggestions[:at] {
				if plCreatesDrugIn(s, bpDrugs...) {
					moved := f.Suggestions[at]
					f.Suggestions = slices.Insert(slices.Delete(f.Suggestions, at, at+1), k, moved)
					break
				}
			}
		case owner >= 0 && (findings[owner].Topic == TopicPretreatmentLabWorkup || first[findings[owner].Topic]):
			o := &findings[owner].Suggestions[at]
			mergeOrders(o, lab)
			f.SeeAlso = append(f.SeeAlso, SeeAlso{Topic: findings[owner].Topic, What: Text{NL: "het laboratoriumonderzoek", EN: "the laboratory work-up"}})
		case owner >= 0:
			o := &findings[owner]
			moved := o.Suggestions[at]
			mergeOrders(&moved, lab)
			moved.Recommended = true
			o.Suggestions = slices.Delete(o.Suggestions, at, at+1)
			o.SeeAlso = append(o.SeeAlso, SeeAlso{Topic: f.Topic, What: Text{NL: "het laboratoriumonderzoek", EN: "the laboratory work-up"}})
			if o.Topic == TopicFractureCaseFinding {
				// Its summary promised the lab panel, which is now on f.
				o.Summary.NL = strings.Replace(o.Summary.NL, "DXA met VFA en lab aan", "DXA met VFA aan", 1)
				o.Summary.EN = strings.Replace(o.Summary.EN, "DXA with VFA and a lab panel", "DXA with VFA", 1)
			}
			f.Suggestions = append([]Suggestion{moved}, f.Suggestions...)
		default:
			f.Suggestions = append([]Suggestion{lab}, f.Suggestions...)
		}
		if len(f.Suggestions) > 1 {
			f.SelectionAny = true
		}
		for _, w := range labsFirstSummaries {
			sum := Text{NL: strings.Replace(f.Summary.NL, w[0].NL, w[1].NL, 1), EN: strings.Replace(f.Summary.EN, w[0].EN, w[1].EN, 1)}
			if utf8.RuneCountInString(sum.NL) < 140 && utf8.RuneCountInString(sum.EN) < 140 {
				f.Summary = sum
			}
		}
	}
	return findings, first
}

// labsFirstSummaries put "labs first" into the summaries that tell to give
// a bisphosphonate, when its safety labs are missing: old, new.
var labsFirstSummaries = [][2]Text{
	{{NL: ": geef eenmalig zoledroninezuur", EN: ": give zoledronic acid once"}, {NL: ": eerst lab, dan eenmalig zoledroninezuur", EN: ": labs first, then zoledronic acid once"}},
	{{NL: ": start een bisfosfonaat", EN: ": start a bisphosphonate"}, {NL: ": eerst lab, dan een bisfosfonaat", EN: ": labs first, then a bisphosphonate"}},
}

// labsFirstLead is the first sentence of a card whose bisphosphonate waits
// for laboratory results: the labs first, then the options.
func labsFirstLead(f *Finding) (Text, bool) {
	var nl, en []string
	hasLab := false
	for _, s := range f.Suggestions {
		if s.Key == KeyOrderLabPanel {
			hasLab = true
			continue
		}
		nl, en = append(nl, s.Label.NL), append(en, s.Label.EN)
	}
	lead := Text{NL: "Eerst laboratoriumonderzoek aanvragen", EN: "First order laboratory tests"}
	if !hasLab {
		lead = Text{NL: "Eerst laboratoriumonderzoek (aanvraag op de kaart van het laboratoriumonderzoek)", EN: "First laboratory tests (ordered on the laboratory work-up card)"}
	}
	lead.NL += "; een bisfosfonaat pas als de uitslagen het toelaten."
	lead.EN += "; a bisphosphonate only when the results allow it."
	if len(nl) == 0 {
		return lead, true
	}
	choose := Text{NL: "Daarna: ", EN: "Then: "}
	if len(nl) > 1 {
		choose = Text{NL: "Kies daarna één: ", EN: "Then choose one: "}
	}
	return Text{
		NL: lead.NL + " " + choose.NL + joinList(nl, "; of ") + ".",
		EN: lead.EN + " " + choose.EN + joinList(en, "; or ") + ".",
	}, true
}

// bpDrugs are the bisphosphonates the cards order.
var bpDrugs = []Drug{DrugOrderAlendronate70mg, DrugOrderRisedronate35mg, DrugOrderZoledronicAcid5mg}

// plCreatesDrug reports whether f suggests creating an order of drug d.
func plCreatesDrug(f Finding, d Drug) bool {
	for _, s := range f.Suggestions {
		if plCreatesDrugIn(s, d) {
			return true
		}
	}
	return false
}

// plCreatesDrugIn reports whether s creates an order of one of drugs.
func plCreatesDrugIn(s Suggestion, drugs ...Drug) bool {
	for _, a := range s.Actions {
		if a.Type == Create && a.Order != nil && a.Order.Kind == OrderMedication && slices.Contains(drugs, a.Order.Drug) {
			return true
		}
	}
	return false
}

// keyRecheckCalciumVitD is the safe action of a calcium or vitamin D veto
// when calcium/vitamin D is already in use.
const keyRecheckCalciumVitD = "order-recheck-calcium-vitamin-d"

// vetoRewording is how a card's text changes when the planner vetoes the
// drug that the card's summary recommends: the summary and the body must
// not still recommend it (clinical review of issue 12: "geef nu" next to
// "Geen denosumab nu"). Old is replaced by New(reason) in the summary and
// the detail.
type vetoRewording struct {
	Topic string
	Drugs []Drug
	Old   Text
	New   func(reason Text) Text
}

var vetoRewordings = []vetoRewording{
	{TopicDenosumabDoseOverdue, []Drug{DrugOrderDenosumab60mg},
		Text{NL: "geef nu;", EN: "give now;"},
		func(Text) Text {
			return Text{NL: "eerst calcium/vitamine D corrigeren, dan geven;", EN: "correct calcium/vitamin D first, then give;"}
		}},
	{TopicDenosumabDoseOverdue, []Drug{DrugOrderDenosumab60mg},
		Text{NL: "Geef de injectie zo snel mogelijk", EN: "Give the injection as soon as possible"},
		func(Text) Text {
			return Text{NL: "Geef de injectie zodra calcium en vitamine D gecorrigeerd zijn", EN: "Give the injection as soon as calcium and vitamin D are corrected"}
		}},
	{TopicDenosumab5yReview, []Drug{DrugOrderZoledronicAcid5mg},
		Text{NL: "voortzetten, overstappen, of stoppen mét zoledroninezuur", EN: "continue, switch, or stop with zoledronic acid"},
		func(r Text) Text {
			return Text{NL: "zoledroninezuur nu niet (" + r.NL + ")", EN: "no zoledronic acid now (" + r.EN + ")"}
		}},
	{TopicOralBisphosphonateGICaution, []Drug{DrugOrderZoledronicAcid5mg},
		Text{NL: ": overweeg zoledroninezuur iv", EN: ": consider IV zoledronic acid"},
		func(r Text) Text {
			return Text{NL: ": zoledroninezuur iv nu niet (" + r.NL + ")", EN: ": no IV zoledronic acid now (" + r.EN + ")"}
		}},
	{TopicOralBisphosphonateGICaution, []Drug{DrugOrderZoledronicAcid5mg},
		Text{NL: "- Overweeg zoledroninezuur 5 mg iv eenmaal per jaar (controleer eerst nierfunctie, calcium en vitamine D).", EN: "- Consider zoledronic acid 5 mg IV once yearly (check renal function, calcium and vitamin D first)."},
		func(r Text) Text {
			return Text{NL: "- Zoledroninezuur iv kan nu niet (" + r.NL + ").", EN: "- Zoledronic acid IV is not possible now (" + r.EN + ")."}
		}},
	{TopicDenosumabNoStopWithoutFollowup, []Drug{DrugOrderZoledronicAcid5mg},
		Text{NL: ": geef eenmalig zoledroninezuur ~", EN: ": give zoledronic acid once, ~"},
		func(Text) Text {
			// Only calcium and vitamin D get here: a renal or ALP block
			// already changed the summary (applyBPSafety, AllBlocked).
			return Text{NL: ": eerst calcium/vitamine D corrigeren, dan zoledroninezuur ~", EN: ": correct calcium/vitamin D first, then zoledronic acid ~"}
		}},
	{TopicDenosumabNoStopWithoutFollowup, []Drug{DrugOrderZoledronicAcid5mg},
		Text{NL: "geef eenmalig zoledroninezuur 5 mg iv, ongeveer", EN: "give zoledronic acid 5 mg IV once, about"},
		func(r Text) Text {
			return Text{NL: "de gebruikelijke vervolgbehandeling (kan nu niet: " + r.NL + ") is eenmalig zoledroninezuur 5 mg iv, ongeveer", EN: "the usual follow-on (not possible now: " + r.EN + ") is zoledronic acid 5 mg IV once, about"}
		}},
	{TopicDenosumabNoStopWithoutFollowup, []Drug{DrugOrderZoledronicAcid5mg},
		Text{NL: "geef zoledroninezuur zo snel mogelijk", EN: "give zoledronic acid as soon as possible"},
		func(Text) Text {
			return Text{NL: "geef zoledroninezuur zodra dat veilig kan", EN: "give zoledronic acid as soon as it is safe"}
		}},
}

// rewordVetoed applies vetoRewordings for the drugs that a veto (the
// planner's or the rule's own bisphosphonate safety check) removed from f.
// A summary that would reach 140 runes is left as it was.
func rewordVetoed(c *Context, f *Finding) {
	for _, w := range vetoRewordings {
		if w.Topic != f.Topic {
			continue
		}
		for _, d := range w.Drugs {
			v, ok := drugVeto(c, d)
			if !ok || plCreatesDrug(*f, d) {
				continue
			}
			n := w.New(v.Reason)
			sum := Text{NL: strings.Replace(f.Summary.NL, w.Old.NL, n.NL, 1), EN: strings.Replace(f.Summary.EN, w.Old.EN, n.EN, 1)}
			if utf8.RuneCountInString(sum.NL) < 140 && utf8.RuneCountInString(sum.EN) < 140 {
				f.Summary = sum
			}
			f.Detail = Text{NL: strings.Replace(f.Detail.NL, w.Old.NL, n.NL, 1), EN: strings.Replace(f.Detail.EN, w.Old.EN, n.EN, 1)}
		}
	}
}

// firstOfTopics returns the index of the finding of the first topic in
// topics (an order of preference) that is present, or -1.
func firstOfTopics(findings []Finding, topics []string) int {
	for _, t := range topics {
		for i, f := range findings {
			if f.Topic == t {
				return i
			}
		}
	}
	return -1
}
