package rules

import (
	"slices"
	"strings"
	"time"
)

// R17 fracture-on-treatment (rules.md §4 R17).
//
// Sources: NIV 2022 "Strategieën tijdens behandeling en op lange termijn"
// ("Verricht na een incidente fractuur na 12 maanden behandeling met
// botafbraakremmende medicatie een standaard herevaluatie … Ga na of andere
// factoren een rol spelen … zoals onvoldoende therapietrouw, botverlies of
// … nieuwe risicofactoren"); NHGDoc referral trigger "≥ 2 nieuwe fracturen
// ondanks behandeling met bisfosfonaten > 1 jaar"; SEED-GP Casus 4 (L1
// fracture on alendronate; "Aanvullend labonderzoek?"), "Nieuwe fracturen:
// overweeg switch naar andere medicatie", "Therapietrouw, inname
// instructie".
//
// Thresholds: FRACTURE_ON_TX_MIN_MONTHS (≥ 12 months after the start of
// continuous therapy), FRACTURE_ON_TX_REFER_COUNT (≥ 2 → referral),
// RECENT_FRACTURE_MONTHS (24: only a fracture of the last 2 years triggers
// the card [DESIGN]), EPISODE_MERGE_GAP_DAYS (90).
//
// Continuous therapy is the merged timeline of all osteoporosis drugs
// (a switch from alendronate to zoledronic acid stays continuous); a
// zoledronic acid 5 mg infusion covers one year, a denosumab 60 mg dose
// DMAB_INTERVAL_DAYS. The card needs an osteoporosis drug in use at T (an
// active record, or T within a dose's cover), so it does not meet R01
// fracture-case-finding (which needs no active drug) for the same fracture.
// Only a fracture with a known onset (onsetDateTime or onsetPeriod, not just
// a recordedDate) after the start counts: NHGDoc counts "nieuwe fracturen
// ondanks behandeling", and a deformity found on VFA (seed S6 "Tweetal
// wervelinfracties", recorded on the day of the DXA) may be years older than
// the treatment. Such a fracture neither opens the card (seed S4: onset
// unknown) nor adds to the count; it is listed as "datum onbekend" so the
// clinician can date it (and refer if it turns out to be new).

// TopicFractureOnTreatment is the topic code of R17.
const TopicFractureOnTreatment = "fracture-on-treatment"

// FractureOnTreatment is rule R17.
var FractureOnTreatment = Rule{
	Number: 17,
	Topic:  TopicFractureOnTreatment,
	Hooks:  []Hook{PatientView},
	Eval:   evalFractureOnTreatment,
}

func init() { register(FractureOnTreatment) }

// fractureOnTreatmentPanel is the R07 panel plus M-protein (NIV 2022:
// ESR/M-protein for myeloma).
var fractureOnTreatmentPanel = append(append([]Analyte(nil), CoreLabPanel...), AnalyteMProtein)

// therapyPeriod is a stretch of continuous osteoporosis therapy.
type therapyPeriod struct {
	Start, End time.Time
	Records    []MedicationRecord
}

func evalFractureOnTreatment(c *Context) []Finding {
	th := c.Thresholds
	T := c.Facts.AsOf
	periods := c.therapyPeriods()
	if !c.ActiveOsteoporosisDrug() && !c.bisphosphonateActive(c.bisphosphonateExposure()) && !coveredAt(periods, T) {
		return nil
	}
	recentFrom := MonthsBefore(T, th.RecentFractureMonths)

	type onTx struct {
		f Condition
		p therapyPeriod
	}
	var counted []onTx
	var trigger *onTx
	var unknownOnset []Condition
	for _, f := range c.Fractures() {
		if f.Onset.After(T) {
			continue
		}
		if !f.OnsetKnown() {
			unknownOnset = append(unknownOnset, f)
			continue
		}
		for _, p := range periods {
			if f.Onset.Before(p.Start.AddDate(0, th.FractureOnTxMinMonths, 0)) || f.Onset.After(p.End) {
				continue
			}
			x := onTx{f, p}
			counted = append(counted, x)
			if f.Onset.After(recentFrom) && (trigger == nil || f.Onset.After(trigger.f.Onset)) {
				trigger = &x
			}
			break
		}
	}
	if trigger == nil {
		return nil
	}
	// Name an undated fracture only when it may belong to this treatment: a
	// vertebral fracture without any date (found on VFA), or one recorded
	// on or after the start of the therapy period.
	var mention []Condition
	for _, f := range unknownOnset {
		if f.Onset.IsZero() && f.Has(ConceptVertebralFracture) || !f.Onset.IsZero() && !f.Onset.Before(trigger.p.Start) {
			mention = append(mention, f)
		}
	}
	count := len(counted)
	refer := count >= th.FractureOnTxReferCount
	drugT := therapyNames(trigger.p)

	var ev []Evidence
	ev = append(ev, Evidence{Label: Text{NL: "Start osteoporosemedicatie", EN: "Start of osteoporosis therapy"},
		ValueText: drugT, Date: trigger.p.Start, Source: trigger.p.Records[0].Source})
	for _, x := range counted {
		months := monthsBetween(x.p.Start, x.f.Onset)
		ev = append(ev, Evidence{Label: Text{NL: "Fractuur tijdens behandeling (na " + Months(months).NL + ")", EN: "Fracture during treatment (after " + Months(months).EN + ")"},
			ValueText: conditionName(x.f), Date: x.f.Onset, Source: x.f.Source})
	}
	for _, f := range mention {
		label := Text{NL: "Fractuur, datum onbekend (telt niet mee)", EN: "Fracture, date unknown (not counted)"}
		if !f.Onset.IsZero() {
			label = Text{NL: "Fractuur, datum onbekend (vastgelegd " + FormatDateIn(f.Onset, "nl") + "; telt niet mee)",
				EN: "Fracture, date unknown (recorded " + FormatDateIn(f.Onset, "en") + "; not counted)"}
		}
		ev = append(ev, Evidence{Label: label, ValueText: conditionName(f), Source: f.Source})
	}

	detailNL := "Nieuwe fractuur na ≥ " + itoa(th.FractureOnTxMinMonths) + " maanden behandeling met " + drugT.NL + ". Doe een standaard herevaluatie (NIV 2022):\n\n" +
		"- therapietrouw en innametechniek (nuchter, rechtop blijven, wekelijkse dag);\n" +
		"- secundaire oorzaken: laboratoriumonderzoek inclusief BSE en M-proteïne (alkalische fosfatase is kort na een fractuur verhoogd: interpreteer voorzichtig);\n" +
		"- botverlies: DXA met VFA;\n" +
		"- nieuwe risicofactoren (medicatie, valrisico); overweeg een switch naar andere medicatie (bijv. intraveneus zoledroninezuur bij problemen met orale inname)."
	detailEN := "New fracture after ≥ " + itoa(th.FractureOnTxMinMonths) + " months of " + drugT.EN + ". Do a standard re-evaluation (NIV 2022):\n\n" +
		"- adherence and intake technique (fasting, staying upright, weekly day);\n" +
		"- secondary causes: laboratory tests including ESR and M-protein (alkaline phosphatase is raised shortly after a fracture: interpret with caution);\n" +
		"- bone loss: DXA with VFA;\n" +
		"- new risk factors (medication, fall risk); consider switching to another drug (e.g. intravenous zoledronic acid if oral intake is a problem)."
	if c.hypothyroidOnReplacement() {
		detailNL += "\n\nHypothyreoïdie: controleer de TSH (over- of ondersuppletie)."
		detailEN += "\n\nHypothyroidism: check TSH (over- or under-replacement)."
	}
	if n := len(mention); n > 0 {
		nl, en := "1 fractuur met onbekende datum (bijv. een wervelvervorming op VFA) telt", "1 fracture of unknown date (e.g. a vertebral deformity on VFA) is"
		if n > 1 {
			nl, en = itoa(n)+" fracturen met onbekende datum (bijv. wervelvervormingen op VFA) tellen", itoa(n)+" fractures of unknown date (e.g. vertebral deformities on VFA) are"
		}
		detailNL += "\n\n" + nl + " niet mee als nieuwe fractuur: ga na wanneer die ontstond; ≥ " + itoa(th.FractureOnTxReferCount) + " nieuwe fracturen tijdens behandeling → verwijzing overwegen."
		detailEN += "\n\n" + en + " not counted as new: find out when it occurred; ≥ " + itoa(th.FractureOnTxReferCount) + " new fractures during treatment → consider referral."
	}
	if refer {
		detailNL += "\n\n" + itoa(count) + " fracturen ondanks behandeling: overweeg verwijzing naar de tweede lijn."
		detailEN += "\n\n" + itoa(count) + " fractures despite treatment: consider referral to secondary care."
	}

	reason := Text{NL: "fractuur tijdens osteoporosebehandeling", EN: "fracture during osteoporosis treatment"}
	var sugs []Suggestion
	if labs := c.labsMissingSince(fractureOnTreatmentPanel, trigger.f.Onset); len(labs) > 0 {
		sugs = append(sugs, SuggestLabPanel(labs, reason))
	}
	if !c.DXAOnOrAfter(trigger.f.Onset) {
		sugs = append(sugs, SuggestDXA(true, reason))
	}
	sugs = append(sugs, referralSuggestion(reason, refer))

	summary := Text{
		NL: "Nieuwe fractuur na ≥" + itoa(th.FractureOnTxMinMonths) + " mnd " + drugT.NL + ": herevalueer therapietrouw, oorzaken, DXA/VFA; overweeg switch",
		EN: "New fracture after ≥" + itoa(th.FractureOnTxMinMonths) + " mo of " + drugT.EN + ": re-evaluate adherence, causes, BMD/VFA; consider switch",
	}
	if refer {
		summary = Text{
			NL: itoa(count) + " fracturen ondanks ≥" + itoa(th.FractureOnTxMinMonths) + " mnd " + drugT.NL + ": herevalueer en overweeg verwijzing",
			EN: itoa(count) + " fractures despite ≥" + itoa(th.FractureOnTxMinMonths) + " mo of " + drugT.EN + ": re-evaluate and consider referral",
		}
	}
	return []Finding{{
		Topic:     TopicFractureOnTreatment,
		Indicator: Warning,
		Summary:   summary,
		Detail:    Text{NL: detailNL, EN: detailEN},
		Evidence:  ev,
		Thresholds: []Text{
			{NL: "fractuur ≥ " + itoa(th.FractureOnTxMinMonths) + " maanden na de start van doorlopende behandeling, tijdens die behandeling",
				EN: "fracture ≥ " + itoa(th.FractureOnTxMinMonths) + " months after the start of continuous treatment, while on it"},
			{NL: "≥ " + itoa(th.FractureOnTxReferCount) + " fracturen ondanks behandeling → verwijzing overwegen (NHGDoc)",
				EN: "≥ " + itoa(th.FractureOnTxReferCount) + " fractures despite treatment → consider referral (NHGDoc)"},
			{NL: "alleen een fractuur < " + itoa(th.RecentFractureMonths) + " maanden geleden opent de kaart",
				EN: "only a fracture < " + itoa(th.RecentFractureMonths) + " months ago opens the card"},
		},
		Citations:       []Citation{CiteNIVLongTerm, CiteNHGStopBP, CiteNIVLab},
		Suggestions:     sugs,
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}}
}

// therapyPeriods merges every osteoporosis-drug record (draft orders
// excluded) into continuous periods, gap ≤ EPISODE_MERGE_GAP_DAYS. A
// zoledronic acid 5 mg infusion covers one year, a denosumab 60 mg dose
// DMAB_INTERVAL_DAYS; an open record runs to T.
func (c *Context) therapyPeriods() []therapyPeriod {
	type span struct {
		start, end time.Time
		m          MedicationRecord
	}
	var spans []span
	for _, cl := range OsteoporosisDrugs {
		for _, m := range c.Records(cl, false) {
			if c.IsOncologyDenosumab(m) || m.Start.After(c.Facts.AsOf) {
				continue
			}
			if cl != DrugBisphosphonate && m.Is(DrugBisphosphonate) {
				continue // listed once, under bisphosphonate
			}
			switch m.Status {
			case "not-taken", "not-done", "cancelled", "draft", "intended":
				continue
			}
			var end time.Time
			switch {
			case m.Is(DrugZoledronicAcid) && m.SingleDose:
				if !c.zolInfusionGiven(m) {
					continue
				}
				end = m.Start.AddDate(zolYearsPerInfusion, 0, 0)
			case m.Is(DrugDenosumab) && m.SingleDose:
				end = m.Start.AddDate(0, 0, c.Thresholds.DmabIntervalDays)
			default:
				end, _ = c.recordEnd(m)
			}
			spans = append(spans, span{m.Start, end, m})
		}
	}
	// Sort positions, not the spans: a span holds a whole record, and
	// moving records is what made this sort expensive. Stable, like the
	// sort it replaces, so equal starts keep their order.
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return spans[a].start.Compare(spans[b].start) })
	var out []therapyPeriod
	for _, i := range order {
		s := &spans[i]
		if n := len(out); n > 0 && DaysBetween(out[n-1].End, s.start) <= c.Thresholds.BPMergeGapDays {
			if s.end.After(out[n-1].End) {
				out[n-1].End = s.end
			}
			out[n-1].Records = append(out[n-1].Records, s.m)
			continue
		}
		out = append(out, therapyPeriod{Start: s.start, End: s.end, Records: []MedicationRecord{s.m}})
	}
	return out
}

// coveredAt reports whether t falls within a therapy period (a denosumab
// dose covers DMAB_INTERVAL_DAYS, a zoledronic acid infusion one year).
func coveredAt(periods []therapyPeriod, t time.Time) bool {
	for _, p := range periods {
		if !t.Before(p.Start) && !t.After(p.End) {
			return true
		}
	}
	return false
}

// therapyNames lists the ingredient names of a period, in order of use.
func therapyNames(p therapyPeriod) Text {
	var nl, en []string
	seen := map[string]bool{}
	for _, m := range p.Records {
		n := displayName(m)
		if !seen[n.EN] {
			seen[n.EN] = true
			nl = append(nl, n.NL)
			en = append(en, n.EN)
		}
	}
	return Text{NL: strings.Join(nl, ", "), EN: strings.Join(en, ", ")}
}

// monthsBetween returns whole calendar months from a to b.
func monthsBetween(a, b time.Time) int {
	m := (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
	if b.Day() < a.Day() {
		m--
	}
	return m
}

// hypothyroidOnReplacement reports a recorded hypothyroidism or levothyroxine
// in use (SEED-GP Casus 4: check the replacement dose via TSH).
func (c *Context) hypothyroidOnReplacement() bool {
	if c.Active(DrugLevothyroxine) {
		return true
	}
	for _, cond := range c.Facts.Conditions {
		if cond.Has(ConceptHypothyroidism) {
			return true
		}
	}
	return false
}
