package rules

import "time"

// R04 mtx-dexa-on-indication (rules.md §4 R04).
//
// Sources: SEED-MTX (Dutch case report, two psoriasis patients with a
// near-spontaneous fracture on long-term methotrexate): "Vooralsnog is de
// conclusie gerechtvaardigd dat standaard dexascan bij deze groep
// psoriasispatiënten niet is geïndiceerd. Maar de clinicus dient wel alert
// te zijn bij onverklaarbare ossale pijnklachten. Evenals het op indicatie
// laten verrichten van een dexascan bij een patiënt bij langdurig MTX
// gebruik, in geval van mechanische botpijn of fractuur." Casus I was
// diagnosed by MRI; both patients stopped MTX, Casus II with "een sterk
// herstel van botdichtheid". Literature: Robin 2021 (tibia 80 %, mean MTX
// duration 7.9 y; two bisphosphonate-treated patients refractured at an
// atypical site), Ruffer 2022, METHOFRACT 2025 (MRI diagnostic in 84 %;
// healing in 91 % after stopping MTX vs 29 % when continued). No guideline
// lists MTX as an osteoporosis risk factor.
//
// Thresholds: MTX_LONG_TERM_MONTHS (24, [DESIGN]; cumulative, a draft MTX
// order at order-select/order-sign counts), MTX_FRACTURE_WINDOW_AFTER_STOP_MONTHS
// (12, [DESIGN]), RECENT_FRACTURE_MONTHS (24: a trigger counts as "new" when
// dated within it, rules.md §0.3), TSCORE_OSTEOPENIA_UPPER (−1.0: post-DXA
// variant fires at lowest T ≤ −1.0) and MTX_POST_DXA_ZSCORE (−1.0, [DESIGN],
// Z-score for men < 50). No age limit (SEED-MTX Casus II was 48–49).
//
// Fires when methotrexate is active (or was stopped ≤ 12 months ago),
// cumulative exposure is ≥ 24 months, and a trigger (an included or stress
// fracture, or documented bone pain) occurred during exposure or within the
// window after it:
//   - pre-DXA variant: no DXA on or after the trigger → warning (fracture) or
//     info (pain only), with a DXA suggestion;
//   - post-DXA variant: a DXA after the trigger with lowest T ≤ −1.0 (or
//     Z ≤ −1.0 in a man < 50) and MTX still active → info, no DXA suggestion.
//
// It never fires on MTX use alone and never suggests a bisphosphonate.

// TopicMTXDexaOnIndication is the topic code of R04.
const TopicMTXDexaOnIndication = "mtx-dexa-on-indication"

// MTXDexaOnIndication is rule R04.
var MTXDexaOnIndication = Rule{
	Number: 4,
	Topic:  TopicMTXDexaOnIndication,
	Hooks:  []Hook{PatientView, OrderSelect, OrderSign},
	Eval:   evalMTXDexaOnIndication,
}

func init() { register(MTXDexaOnIndication) }

// CiteMETHOFRACT is the 2025 METHOFRACT series on methotrexate osteopathy.
var CiteMETHOFRACT = Citation{
	Label: "Robin F et al. METHOFRACT: methotrexate osteopathy in 92 patients. RMD Open 2025;11(3):e005941",
	URL:   "https://pubmed.ncbi.nlm.nih.gov/40998522/",
}

// mtxTrigger is a fracture or bone-pain condition that can prompt a DXA.
type mtxTrigger struct {
	cond     Condition
	fracture bool
}

func evalMTXDexaOnIndication(c *Context) []Finding {
	if f, _, ok := mtxAssess(c); ok {
		return []Finding{f}
	}
	return nil
}

// mtxOsteopathyTrigger reports whether the MTX osteopathy card (R04) fires
// at patient-view, with the trigger it fires on: the bisphosphonate
// safety check (bisphosphonate_safety.go) then suggests no bisphosphonate
// ("do not start a bisphosphonate automatically"). It leaves c untouched.
func mtxOsteopathyTrigger(c *Context) (Condition, bool) {
	scratch := &Context{Facts: c.Facts, Thresholds: c.Thresholds}
	scratch.Facts.Hook = PatientView
	_, t, ok := mtxAssess(scratch)
	return t.cond, ok
}

// mtxAssess evaluates R04 and returns its finding and the trigger it is
// about.
func mtxAssess(c *Context) (Finding, mtxTrigger, bool) {
	th := c.Thresholds
	orderHook := c.Facts.Hook == OrderSelect || c.Facts.Hook == OrderSign
	var drafts []MedicationRecord
	if orderHook {
		drafts = activeDrafts(c, DrugMethotrexate)
		if len(drafts) == 0 {
			return Finding{}, mtxTrigger{}, false
		}
	}
	eps := c.Episodes(DrugMethotrexate, orderHook)
	if len(eps) == 0 {
		return Finding{}, mtxTrigger{}, false
	}
	active := c.Active(DrugMethotrexate) || len(drafts) > 0
	last := eps[len(eps)-1]
	windowStart := MonthsBefore(c.Facts.AsOf, th.MTXFractureWindowAfterStopMonths)
	if !active && last.End.Before(windowStart) {
		return Finding{}, mtxTrigger{}, false
	}
	exposureDays := 0
	for _, e := range eps {
		exposureDays += e.Days(c.Facts.AsOf)
	}
	if float64(exposureDays) < monthsAsDays(th.MTXLongTermMonths) {
		return Finding{}, mtxTrigger{}, false
	}

	// Triggers during exposure (or within the window after an episode) that
	// are "new": dated within RECENT_FRACTURE_MONTHS.
	recentFrom := MonthsBefore(c.Facts.AsOf, th.RecentFractureMonths)
	var triggers []mtxTrigger
	for _, cond := range c.Facts.Conditions {
		fracture := (cond.Has(ConceptFracture) || cond.Has(ConceptVertebralFracture) || cond.Has(ConceptStressFracture)) &&
			!cond.Has(ConceptFractureExcluded)
		pain := cond.Has(ConceptBonePain) && cond.Active
		if !fracture && !pain {
			continue
		}
		if cond.Onset.IsZero() {
			c.Missing(Text{
				NL: "datum van fractuur of botpijn (beoordeling methotrexaat-osteopathie)",
				EN: "date of fracture or bone pain (methotrexate osteopathy check)",
			})
			continue
		}
		if cond.Onset.After(c.Facts.AsOf) || !cond.Onset.After(recentFrom) {
			continue
		}
		if !duringExposure(c, eps, cond.Onset) {
			continue
		}
		triggers = append(triggers, mtxTrigger{cond: cond, fracture: fracture})
	}
	if len(triggers) == 0 {
		return Finding{}, mtxTrigger{}, false
	}

	// Pre-DXA: the most relevant trigger without a DXA after it (a fracture
	// outranks pain, then the most recent).
	var pre *mtxTrigger
	for i := range triggers {
		t := &triggers[i]
		if c.DXAOnOrAfter(t.cond.Onset) {
			continue
		}
		if pre == nil || (t.fracture && !pre.fracture) ||
			(t.fracture == pre.fracture && t.cond.Onset.After(pre.cond.Onset)) {
			pre = t
		}
	}
	if pre != nil {
		return mtxPreDXAFinding(c, *pre, eps, exposureDays, drafts, active), *pre, true
	}

	// Post-DXA: every trigger has a DXA after it. Only while MTX is active.
	if !active {
		return Finding{}, mtxTrigger{}, false
	}
	earliest := triggers[0]
	for _, t := range triggers[1:] {
		if t.cond.Onset.Before(earliest.cond.Onset) {
			earliest = t
		}
	}
	low, ok := mtxLowDXA(c, earliest.cond.Onset)
	if !ok {
		return Finding{}, mtxTrigger{}, false
	}
	return mtxPostDXAFinding(c, earliest, eps, exposureDays, low), earliest, true
}

// monthsAsDays converts months to days with the mean Gregorian month
// (365.25 / 12 days), so 24 months is 730.5 days: 731 days of use count as
// long-term, 730 do not.
func monthsAsDays(months int) float64 { return float64(months) * 365.25 / 12 }

// duringExposure reports whether t falls inside an episode or within the
// post-stop window after its end.
func duringExposure(c *Context, eps []Episode, t time.Time) bool {
	for _, e := range eps {
		end := e.End
		if e.Open || end.After(c.Facts.AsOf) {
			end = c.Facts.AsOf
		}
		if t.Before(e.Start.Truncate(day)) {
			continue
		}
		if !t.After(end.AddDate(0, c.Thresholds.MTXFractureWindowAfterStopMonths, 0)) {
			return true
		}
	}
	return false
}

// mtxLowDXA returns the DXA measurement after since that makes the post-DXA
// variant fire: in a man younger than ZSCORE_UNDER_AGE the lowest Z-score
// ≤ MTX_POST_DXA_ZSCORE (WHO/ISCD, D15: T-scores do not apply to him; the
// T-score is used only when the report has no Z-score), otherwise the
// lowest T-score ≤ TSCORE_OSTEOPENIA_UPPER.
func mtxLowDXA(c *Context, since time.Time) (DXAMeasurement, bool) {
	since = since.Truncate(day)
	lowT := func() (DXAMeasurement, bool) {
		if t, ok := c.LowestTScore(since); ok && t.Value <= c.Thresholds.TScoreOsteopeniaUpper {
			return t, true
		}
		return DXAMeasurement{}, false
	}
	age, ok := c.Facts.Patient.AgeAt(c.Facts.AsOf)
	if !ok || age >= c.Thresholds.ZScoreUnderAge || c.Facts.Patient.Gender != "male" {
		return lowT()
	}
	var best DXAMeasurement
	found := false
	for _, d := range c.Facts.DXA {
		if d.Measure != ZScore || d.Date.Before(since) || d.Date.After(c.Facts.AsOf) {
			continue
		}
		if d.Site != SiteLumbarSpine && d.Site != SiteTotalHip && d.Site != SiteFemoralNeck {
			continue
		}
		if !found || d.Value < best.Value {
			best, found = d, true
		}
	}
	if !found {
		return lowT()
	}
	if best.Value <= c.Thresholds.MTXPostDXAZScore {
		return best, true
	}
	return DXAMeasurement{}, false
}

func mtxExposureEvidence(eps []Episode, exposureDays int) []Evidence {
	first := eps[0].Records[0]
	last := eps[len(eps)-1].Records[len(eps[len(eps)-1].Records)-1]
	ev := []Evidence{
		{Label: Text{NL: "Methotrexaat, start", EN: "Methotrexate, start"}, ValueText: displayName(first), Date: eps[0].Start, Source: first.Source},
		{Label: Text{NL: "Cumulatieve blootstelling methotrexaat", EN: "Cumulative methotrexate exposure"}, ValueText: DurationText(exposureDays)},
	}
	if last.Source != first.Source {
		ev = append(ev, Evidence{Label: Text{NL: "Methotrexaat, laatste registratie (" + StatusText(last.Status).NL + ")", EN: "Methotrexate, latest record (" + last.Status + ")"},
			ValueText: displayName(last), Date: last.Start, Source: last.Source})
	} else {
		ev[0].Label = Text{NL: "Methotrexaat (" + StatusText(first.Status).NL + "), start", EN: "Methotrexate (" + first.Status + "), start"}
	}
	return ev
}

func mtxTriggerEvidence(t mtxTrigger) Evidence {
	label := Text{NL: "Fractuur", EN: "Fracture"}
	if !t.fracture {
		label = Text{NL: "Botpijn", EN: "Bone pain"}
	}
	if t.fracture && t.cond.Has(ConceptMTXTypicalSite) {
		label = Text{NL: "Fractuur (typische locatie voor MTX-osteopathie)", EN: "Fracture (site typical of MTX osteopathy)"}
	}
	return Evidence{Label: label, ValueText: conditionName(t.cond), Date: t.cond.Onset, Source: t.cond.Source}
}

func mtxThresholds(th Thresholds) []Text {
	return []Text{
		{NL: "langdurig methotrexaat: cumulatief ≥ " + itoa(th.MTXLongTermMonths) + " maanden",
			EN: "long-term methotrexate: cumulative ≥ " + itoa(th.MTXLongTermMonths) + " months"},
		{NL: "fractuur of botpijn tijdens gebruik of ≤ " + itoa(th.MTXFractureWindowAfterStopMonths) + " maanden na stoppen, < " + itoa(th.RecentFractureMonths) + " maanden geleden",
			EN: "fracture or bone pain during use or ≤ " + itoa(th.MTXFractureWindowAfterStopMonths) + " months after stopping, < " + itoa(th.RecentFractureMonths) + " months ago"},
	}
}

const mtxAdviceNL = "- Overweeg MRI van de pijnlijke plek als de röntgenfoto geen fractuur toont (MTX-fracturen zijn vaak stress-/insufficiëntiefracturen; MRI was diagnostisch in 84 % in METHOFRACT).\n" +
	"- Bespreek stoppen of omzetten van methotrexaat met de voorschrijver (dermatoloog/reumatoloog): na stoppen genas 91 % tegen 29 % bij doorgebruik (METHOFRACT); in de casuïstiek herstelde de botdichtheid na stoppen.\n" +
	"- Start niet automatisch een bisfosfonaat: in de review van Robin (2021) kregen 2 met bisfosfonaat behandelde patiënten opnieuw een atypische fractuur."

const mtxAdviceEN = "- Consider MRI of the painful site if the X-ray shows no fracture (MTX fractures are often stress/insufficiency fractures; MRI was diagnostic in 84 % in METHOFRACT).\n" +
	"- Discuss stopping or switching methotrexate with the prescriber (dermatologist/rheumatologist): 91 % healed after stopping vs 29 % when continued (METHOFRACT); in the case report bone density recovered after stopping.\n" +
	"- Do not start a bisphosphonate automatically: in the Robin (2021) review 2 bisphosphonate-treated patients had another atypical fracture."

func mtxPreDXAFinding(c *Context, t mtxTrigger, eps []Episode, exposureDays int, drafts []MedicationRecord, active bool) Finding {
	th := c.Thresholds
	ind := Info
	summary := Text{
		NL: "Langdurig methotrexaat en botpijn: denk aan MTX-osteopathie; DXA op indicatie",
		EN: "Long-term methotrexate and bone pain: consider MTX osteopathy; DXA on indication",
	}
	event := Text{NL: "mechanische botpijn", EN: "mechanical bone pain"}
	if t.fracture {
		ind = Warning
		summary = Text{
			NL: "Langdurig methotrexaat en fractuur: denk aan MTX-osteopathie; DXA op indicatie",
			EN: "Long-term methotrexate and a fracture: consider MTX osteopathy; DXA on indication",
		}
		event = Text{NL: "een fractuur", EN: "a fracture"}
	}
	ev := mtxExposureEvidence(eps, exposureDays)
	for _, d := range drafts {
		ev = append(ev, Evidence{Label: Text{NL: "Concept-voorschrift methotrexaat", EN: "Draft methotrexate order"}, ValueText: displayName(d), Source: d.Source})
	}
	ev = append(ev, mtxTriggerEvidence(t),
		Evidence{Label: Text{NL: "DXA na dit voorval", EN: "DXA after this event"}, ValueText: Text{NL: "geen", EN: "none"}})
	status := Text{NL: "gebruikt methotrexaat", EN: "is taking methotrexate"}
	if !active {
		status = Text{NL: "gebruikte tot kort geleden methotrexaat", EN: "took methotrexate until recently"}
	}
	detail := Text{
		NL: "De patiënt " + status.NL + " (langdurig) en heeft " + event.NL + " tijdens of kort na het gebruik. " +
			"Methotrexaat-osteopathie is een zeldzame bijwerking die vaak leidt tot fracturen op voor osteoporose atypische plaatsen (tibia, calcaneus, voetwortel, middenvoet). " +
			"Een DXA is niet standaard geïndiceerd bij methotrexaatgebruik, maar wel op indicatie bij mechanische botpijn of een fractuur.\n\n" + mtxAdviceNL,
		EN: "The patient " + status.EN + " (long-term) and has " + event.EN + " during or shortly after use. " +
			"Methotrexate osteopathy is a rare adverse effect that often causes fractures at sites atypical for osteoporosis (tibia, calcaneus, tarsus, metatarsals). " +
			"DXA is not routinely indicated for methotrexate users, but it is on indication with mechanical bone pain or a fracture.\n\n" + mtxAdviceEN,
	}
	return Finding{
		Topic:      TopicMTXDexaOnIndication,
		Indicator:  ind,
		Summary:    summary,
		Detail:     detail,
		Evidence:   ev,
		Thresholds: append(mtxThresholds(th), Text{NL: "geen DXA op of na het voorval", EN: "no DXA on or after the event"}),
		Citations:  []Citation{CiteMTXOsteopathy, CiteMETHOFRACT},
		Suggestions: []Suggestion{
			SuggestDXA(false, Text{NL: "langdurig methotrexaat met " + event.NL + " (MTX-osteopathie?)", EN: "long-term methotrexate with " + event.EN + " (MTX osteopathy?)"}),
		},
		OverrideReasons: StandardOverrideReasons,
	}
}

func mtxPostDXAFinding(c *Context, t mtxTrigger, eps []Episode, exposureDays int, low DXAMeasurement) Finding {
	th := c.Thresholds
	scoreName := "T-score"
	limit := th.TScoreOsteopeniaUpper
	if low.Measure == ZScore {
		scoreName = "Z-score"
		limit = th.MTXPostDXAZScore
	}
	ev := append(mtxExposureEvidence(eps, exposureDays), mtxTriggerEvidence(t),
		Evidence{Label: Text{NL: "Laagste DXA " + scoreName + " na het voorval (" + dxaSiteText(low.Site).NL + ")", EN: "Lowest DXA " + scoreName + " after the event (" + dxaSiteText(low.Site).EN + ")"},
			Value: FormatNumber(low.Value), Unit: "SD", Date: low.Date, Source: low.Source})
	// The same verdict as the DXA card: a Z-score above
	// ZSCORE_BELOW_EXPECTED is "within the expected range for age", not
	// "low bone density" (clinical review of Casus II, issue 12).
	summary := Text{
		NL: "Lage botdichtheid na fractuur/botpijn bij methotrexaat: denk aan MTX-osteopathie; bespreek stoppen",
		EN: "Low BMD after fracture/bone pain on methotrexate: consider MTX osteopathy; discuss stopping",
	}
	found := Text{
		NL: "Na de fractuur of botpijn toont de DXA een verlaagde botdichtheid (" + scoreName + " " + FormatNumberNL(low.Value) + ") terwijl methotrexaat nog gebruikt wordt. ",
		EN: "After the fracture or bone pain the DXA shows a low bone density (" + scoreName + " " + FormatNumber(low.Value) + ") while methotrexate is still being taken. ",
	}
	if low.Measure == ZScore && low.Value > th.ZScoreBelowExpected {
		summary = Text{
			NL: "Fractuur/botpijn bij methotrexaat, DXA-Z-score " + FormatNumberNL(low.Value) + ": denk aan MTX-osteopathie; bespreek stoppen",
			EN: "Fracture/bone pain on methotrexate, DXA Z-score " + FormatNumber(low.Value) + ": consider MTX osteopathy; discuss stopping",
		}
		found = Text{
			NL: "Na de fractuur of botpijn: Z-score " + FormatNumberNL(low.Value) + " (binnen het voor de leeftijd verwachte bereik, maar ≤ " + FormatNumberNL(limit) + ") terwijl methotrexaat nog gebruikt wordt. ",
			EN: "After the fracture or bone pain: Z-score " + FormatNumber(low.Value) + " (within the expected range for age, but ≤ " + FormatNumber(limit) + ") while methotrexate is still being taken. ",
		}
	}
	return Finding{
		Topic:     TopicMTXDexaOnIndication,
		Indicator: Info,
		Summary:   summary,
		Detail: Text{
			NL: "Bespreek met de voorschrijver stoppen of overstappen van methotrexaat: denk aan methotrexaat-osteopathie. " + found.NL + "\n\n" + mtxAdviceNL,
			EN: "Discuss stopping or switching methotrexate with the prescriber: consider methotrexate osteopathy. " + found.EN + "\n\n" + mtxAdviceEN,
		},
		Evidence: ev,
		Thresholds: append(mtxThresholds(th),
			Text{NL: "laagste " + scoreName + " ≤ " + FormatNumberNL(limit) + " na het voorval, methotrexaat nog actief",
				EN: "lowest " + scoreName + " ≤ " + FormatNumber(limit) + " after the event, methotrexate still active"}),
		Citations:       []Citation{CiteMTXOsteopathy, CiteMETHOFRACT},
		OverrideReasons: StandardOverrideReasons,
	}
}

// activeDrafts returns the draft orders of class cl that the current order
// hook is about: at order-select only the selected ones when the request
// says which are selected, otherwise all; never cancelled, do-not-perform
// or entered-in-error drafts.
func activeDrafts(c *Context, cl DrugClass) []MedicationRecord {
	anySelected := false
	for _, m := range c.Facts.Medications {
		if m.Kind == KindDraftOrder && m.Selected {
			anySelected = true
		}
	}
	var out []MedicationRecord
	for _, m := range c.DraftOrders(cl) {
		if !c.StatusActive(m) {
			continue
		}
		if c.Facts.Hook == OrderSelect && anySelected && !m.Selected {
			continue
		}
		out = append(out, m)
	}
	return out
}
