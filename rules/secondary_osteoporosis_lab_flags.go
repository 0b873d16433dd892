package rules

import "strings"

// R12 secondary-osteoporosis-lab-flags (rules.md §4 R12).
//
// Sources: SEED-GP lab table Casus 1 (reference ranges and their relevance:
// "BSE < 30 Maligniteiten, PMR"; "TSH 0,4–4 Secundaire oorzaak
// hyperthyroidie"; "T4 13–23"; "Albumine 35–55, Calcium 2,10–2,55, Fosfaat
// 0,9–1,5: Bijschildklierfunctie, Malabsorptie, Osteomalacie"; "Alkalische
// fosfatase < 125 Bottumoren"); NIV 2022 laboratory module ("Behandel bij
// een afwijkend labonderzoek de onderliggende aandoening"; ESR/M-protein;
// ALP is raised after a recent fracture); NHG 2012 (secondary osteoporosis
// is managed by the specialist, except vitamin D deficiency and
// glucocorticoid use).
//
// Thresholds: the Observation's own reference range when present
// (Lab.RefLow/RefHigh), else the SEED-GP ranges: TSH_LOW (< 0.4 mU/L; FT4_HIGH
// > 23 pmol/L supports it), ESR_HIGH (> 30 mm/h), CALCIUM_LOW/HIGH
// (2.10–2.55 mmol/L), PHOSPHATE_LOW/HIGH (0.9–1.5 mmol/L), ALBUMIN_LOW/HIGH
// (35–55 g/L), ALP_HIGH (> 125 U/L) only without a fracture in the last
// ALP_RECENT_FRACTURE_MONTHS (3); LAB_FRESH_DAYS (180).
//
// Fires (warning) at patient-view within a fracture-prevention work-up or
// treatment, and at order-sign of a bone drug, with one card listing every
// flag. Vitamin D has its own rule (R11), low ALP R09, low calcium before an
// antiresorptive R10.

// TopicSecondaryOsteoporosisLabFlags is the topic code of R12.
const TopicSecondaryOsteoporosisLabFlags = "secondary-osteoporosis-lab-flags"

// SecondaryOsteoporosisLabFlags is rule R12.
var SecondaryOsteoporosisLabFlags = Rule{
	Number: 12,
	Topic:  TopicSecondaryOsteoporosisLabFlags,
	Hooks:  []Hook{PatientView, OrderSign},
	Eval:   evalSecondaryOsteoporosisLabFlags,
}

func init() { register(SecondaryOsteoporosisLabFlags) }

// Lab flag names (stable, used in tests).
const (
	flagThyroid   = "thyroid"
	flagESR       = "esr"
	flagCalcium   = "calcium"
	flagPhosphate = "phosphate"
	flagAlbumin   = "albumin"
	flagALP       = "alp"
)

// labFlag is one abnormal result with its interpretation.
type labFlag struct {
	Name     string
	Evidence []Evidence
	Meaning  Text
	Range    Text
	// Overt marks overt hyperthyroidism: TSH below and free T4 above the
	// range, without levothyroxine. NHG-Standaard Schildklieraandoeningen
	// (M31): refer to the internist for treatment.
	Overt bool
}

func evalSecondaryOsteoporosisLabFlags(c *Context) []Finding {
	if c.Facts.Hook == PatientView {
		if !c.inFracturePreventionContext() {
			return nil
		}
	} else if len(c.boneDrugDrafts(OsteoporosisDrugs...)) == 0 {
		return nil
	}
	flags := c.secondaryLabFlags()
	if len(flags) == 0 {
		return nil
	}
	var ev []Evidence
	var ranges []Text
	var nl, en, names []string
	for _, f := range flags {
		ev = append(ev, f.Evidence...)
		ranges = append(ranges, f.Range)
		nl = append(nl, "- "+f.Meaning.NL)
		en = append(en, "- "+f.Meaning.EN)
		names = append(names, f.Name)
	}
	var sugs []Suggestion
	reason := Text{NL: "afwijkend laboratoriumonderzoek: secundaire oorzaak osteoporose?", EN: "abnormal laboratory result: secondary cause of osteoporosis?"}
	for _, n := range names {
		if n == flagESR {
			label := Text{NL: "Eiwitspectrum (M-proteïne) aanvragen", EN: "Order serum protein electrophoresis (M-protein)"}
			sugs = append(sugs, Suggestion{Key: "order-m-protein", Label: label, Recommended: true, Actions: []Action{{
				Type: Create, Description: label, Order: &Order{Kind: OrderLabPanel, Analytes: []Analyte{AnalyteMProtein}, Reason: reason},
			}}})
		}
	}
	// Thyroid flags: the GP evaluates thyroid function first and refers to
	// the internist only if needed; the osteoporosis-clinic referral is for
	// the other flags (ESR/M-protein, minerals, ALP).
	otherFlags := false
	citations := []Citation{CiteNIVLab, CiteNHG}
	for _, fl := range flags {
		if fl.Overt {
			// Overt hyperthyroidism is treated by the internist (NHG M31);
			// repeating TSH/FT4 adds nothing.
			label := Text{NL: "Verwijzen naar internist (hyperthyreoïdie)", EN: "Refer to internal medicine (hyperthyroidism)"}
			sugs = append(sugs, Suggestion{Key: keyReferHyperthyroidism, Label: label, Recommended: true, Actions: []Action{{
				Type: Create, Description: label, Order: &Order{Kind: OrderReferral,
					Specialty: Text{NL: "interne geneeskunde", EN: "internal medicine"},
					Reason:    Text{NL: "manifeste hyperthyreoïdie (laag TSH, verhoogd vrij T4); secundaire oorzaak osteoporose", EN: "overt hyperthyroidism (low TSH, raised free T4); secondary cause of osteoporosis"}},
			}}})
			citations = append(citations, CiteNHGThyroid)
		}
	}
	for i, n := range names {
		if n == flagThyroid && flags[i].Overt {
			continue
		}
		if n == flagThyroid {
			label := Text{NL: "Schildklierfunctie nader evalueren; zo nodig verwijzen naar internist", EN: "Evaluate thyroid function further; refer to internal medicine if needed"}
			sugs = append(sugs, Suggestion{Key: "evaluate-thyroid-function", Label: label, Actions: []Action{{
				Type: Create, Description: label, Order: &Order{Kind: OrderLabPanel, Analytes: []Analyte{AnalyteTSH, AnalyteFT4},
					Reason: Text{NL: "afwijkende schildklierfunctie: secundaire oorzaak osteoporose?", EN: "abnormal thyroid function: secondary cause of osteoporosis?"}},
			}}})
			continue
		}
		otherFlags = true
	}
	if otherFlags {
		sugs = append(sugs, referralSuggestion(reason, false))
	}
	return []Finding{{
		Topic:     TopicSecondaryOsteoporosisLabFlags,
		Indicator: Warning,
		Summary: Text{
			NL: "Afwijkend lab bij fractuurpreventie (" + strings.Join(flagLabels(names, "nl"), ", ") + "): secundaire oorzaak uitzoeken",
			EN: "Abnormal labs in fracture prevention (" + strings.Join(flagLabels(names, "en"), ", ") + "): evaluate secondary cause",
		},
		Detail: Text{
			NL: strings.Join(nl, "\n") + "\n\nZoek de onderliggende oorzaak uit en behandel die vóór of naast de fractuurpreventie (NIV 2022). Secundaire osteoporose wordt volgens de NHG-Standaard door de specialist behandeld, behalve vitamine D-tekort en glucocorticoïdgebruik.",
			EN: strings.Join(en, "\n") + "\n\nEvaluate and treat the underlying cause before or alongside fracture prevention (NIV 2022). Per the NHG guideline, secondary osteoporosis is managed by the specialist, except vitamin D deficiency and glucocorticoid use.",
		},
		Evidence:        ev,
		Thresholds:      ranges,
		Citations:       citations,
		Suggestions:     sugs,
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}}
}

// keyReferHyperthyroidism is the referral for overt hyperthyroidism.
const keyReferHyperthyroidism = "refer-hyperthyroidism"

// CiteNHGThyroid is the NHG guideline on thyroid disorders: a patient with
// hyperthyroidism is referred to the internist.
var CiteNHGThyroid = Citation{
	Label: "NHG-Standaard Schildklieraandoeningen (M31)",
	URL:   "https://richtlijnen.nhg.org/standaarden/schildklieraandoeningen",
}

func flagLabels(names []string, lang string) []string {
	labels := map[string]Text{
		flagThyroid: {NL: "schildklier", EN: "thyroid"}, flagESR: {NL: "BSE", EN: "ESR"}, flagCalcium: {NL: "calcium", EN: "calcium"},
		flagPhosphate: {NL: "fosfaat", EN: "phosphate"}, flagAlbumin: {NL: "albumine", EN: "albumin"}, flagALP: {NL: "AF", EN: "ALP"},
	}
	var out []string
	for _, n := range names {
		out = append(out, labels[n].In(lang))
	}
	return out
}

// labRange returns the limits for l: the Observation's own reference range
// when present, else the seed range. ok tells whether the own range was used.
func labRange(l Lab, low, high float64) (lo, hi float64, own bool) {
	lo, hi = low, high
	if l.RefLow != nil {
		lo, own = *l.RefLow, true
	}
	if l.RefHigh != nil {
		hi, own = *l.RefHigh, true
	}
	return lo, hi, own
}

func rangeText(name Text, lo, hi float64, unit string, own bool) Text {
	src := Text{NL: "nascholing huisartsen", EN: "GP training course"}
	if own {
		src = Text{NL: "referentiewaarden van het lab", EN: "the laboratory's reference range"}
	}
	return Text{
		NL: name.NL + " " + FormatNumberNL(lo) + "–" + FormatNumberNL(hi) + " " + unit + " (" + src.NL + ")",
		EN: name.EN + " " + FormatNumber(lo) + "–" + FormatNumber(hi) + " " + unit + " (" + src.EN + ")",
	}
}

// secondaryLabFlags returns the abnormal fresh results, in a fixed order.
func (c *Context) secondaryLabFlags() []labFlag {
	th := c.Thresholds
	fresh := func(a Analyte) (Lab, bool) { return c.LatestLab(a, th.LabFreshDays) }
	var out []labFlag

	// Thyroid: low TSH (± raised FT4) → hyperthyroidism or over-replacement.
	if tsh, ok := fresh(AnalyteTSH); ok {
		lo, hi, own := labRange(tsh, th.TSHLow, th.TSHHigh)
		if tsh.Below(lo) {
			f := labFlag{Name: flagThyroid, Range: rangeText(Text{NL: "TSH", EN: "TSH"}, lo, hi, "mU/L", own)}
			f.Evidence = append(f.Evidence, labEvidence(Text{NL: "TSH", EN: "TSH"}, tsh))
			f.Meaning = Text{NL: "TSH " + tsh.DisplayText().NL + " mU/L (< " + FormatNumberNL(lo) + "): mogelijke hyperthyreoïdie, een secundaire oorzaak van osteoporose",
				EN: "TSH " + tsh.Display() + " mU/L (< " + FormatNumber(lo) + "): possible hyperthyroidism, a secondary cause of osteoporosis"}
			if ft4, ok := fresh(AnalyteFT4); ok {
				flo, fhi, fown := labRange(ft4, th.FT4Low, th.FT4High)
				f.Evidence = append(f.Evidence, labEvidence(Text{NL: "Vrij T4", EN: "Free T4"}, ft4))
				f.Range = Text{NL: f.Range.NL + "; " + rangeText(Text{NL: "vrij T4", EN: "free T4"}, flo, fhi, "pmol/L", fown).NL, EN: f.Range.EN + "; " + rangeText(Text{NL: "vrij T4", EN: "free T4"}, flo, fhi, "pmol/L", fown).EN}
				if ft4.Above(fhi) {
					f.Overt = true
					f.Meaning.NL += ", met verhoogd vrij T4 " + ft4.DisplayText().NL + " pmol/L (> " + FormatNumberNL(fhi) + ")"
					f.Meaning.EN += ", with raised free T4 " + ft4.Display() + " pmol/L (> " + FormatNumber(fhi) + ")"
				}
			}
			if c.Active(DrugLevothyroxine) {
				f.Overt = false
				f.Meaning.NL += "; levothyroxine in gebruik: mogelijk oversuppletie"
				f.Meaning.EN += "; on levothyroxine: possible over-replacement"
			}
			out = append(out, f)
		}
	}
	// ESR: malignancy, PMR, myeloma.
	if esr, ok := fresh(AnalyteESR); ok {
		_, hi, own := labRange(esr, 0, th.ESRHigh)
		if esr.Above(hi) {
			out = append(out, labFlag{Name: flagESR, Evidence: []Evidence{labEvidence(Text{NL: "BSE", EN: "ESR"}, esr)},
				Range: rangeText(Text{NL: "BSE", EN: "ESR"}, 0, hi, "mm/h", own),
				Meaning: Text{NL: "BSE " + esr.DisplayText().NL + " mm/u (> " + FormatNumberNL(hi) + "): denk aan maligniteit, PMR of multipel myeloom; vraag een eiwitspectrum (M-proteïne) aan",
					EN: "ESR " + esr.Display() + " mm/h (> " + FormatNumber(hi) + "): consider malignancy, PMR or myeloma; order protein electrophoresis (M-protein)"}})
		}
	}
	// Calcium (albumin-corrected when reported), phosphate, albumin:
	// parathyroid disorder, malabsorption, osteomalacia.
	calcium, okCa := fresh(AnalyteCalciumCorrected)
	if !okCa {
		calcium, okCa = fresh(AnalyteCalcium)
	}
	type mineralCheck struct {
		name    string
		label   Text
		lab     Lab
		lo, hi  float64
		unitTxt string
	}
	// At most three checks: sized so the slice stays on the stack.
	mineral := make([]mineralCheck, 0, 3)
	if okCa {
		mineral = append(mineral, mineralCheck{flagCalcium, Text{NL: "Calcium", EN: "Calcium"}, calcium, th.CalciumLow, th.CalciumHigh, "mmol/L"})
	}
	if l, ok := fresh(AnalytePhosphate); ok {
		mineral = append(mineral, mineralCheck{flagPhosphate, Text{NL: "Fosfaat", EN: "Phosphate"}, l, th.PhosphateLow, th.PhosphateHigh, "mmol/L"})
	}
	if l, ok := fresh(AnalyteAlbumin); ok {
		mineral = append(mineral, mineralCheck{flagAlbumin, Text{NL: "Albumine", EN: "Albumin"}, l, th.AlbuminLow, th.AlbuminHigh, "g/L"})
	}
	_, _, hypocalcaemiaCard := hypocalcaemiaTargets(c)
	for _, m := range mineral {
		lo, hi, own := labRange(m.lab, m.lo, m.hi)
		if !m.lab.Below(lo) && !m.lab.Above(hi) {
			continue
		}
		if m.name == flagCalcium && m.lab.Below(lo) && hypocalcaemiaCard {
			// antiresorptive-hypocalcaemia (R10) shows it, as critical.
			continue
		}
		out = append(out, labFlag{Name: m.name, Evidence: []Evidence{labEvidence(m.label, m.lab)},
			Range: rangeText(m.label, lo, hi, m.unitTxt, own),
			Meaning: Text{NL: m.label.NL + " " + m.lab.DisplayText().NL + " " + m.unitTxt + " (buiten " + FormatNumberNL(lo) + "–" + FormatNumberNL(hi) + "): denk aan bijschildklierfunctiestoornis, malabsorptie of osteomalacie",
				EN: m.label.EN + " " + m.lab.Display() + " " + m.unitTxt + " (outside " + FormatNumber(lo) + "–" + FormatNumber(hi) + "): consider a parathyroid disorder, malabsorption or osteomalacia"}})
	}
	// ALP high, unless a fracture in the last 3 months explains it.
	if alp, ok := fresh(AnalyteALP); ok {
		_, hi, own := labRange(alp, th.ALPLow, th.ALPHigh)
		if alp.Above(hi) && !c.fractureWithinMonths(th.ALPRecentFractureMonths) {
			out = append(out, labFlag{Name: flagALP, Evidence: []Evidence{labEvidence(Text{NL: "Alkalische fosfatase", EN: "Alkaline phosphatase"}, alp)},
				Range: Text{NL: "alkalische fosfatase > " + FormatNumberNL(hi) + " U/L, geen fractuur < " + itoa(th.ALPRecentFractureMonths) + " maanden (" + map[bool]string{true: "referentiewaarden van het lab", false: "nascholing huisartsen"}[own] + ")",
					EN: "alkaline phosphatase > " + FormatNumber(hi) + " U/L, no fracture < " + itoa(th.ALPRecentFractureMonths) + " months (" + map[bool]string{true: "the laboratory's reference range", false: "GP training course"}[own] + ")"},
				Meaning: Text{NL: "Alkalische fosfatase " + alp.DisplayText().NL + " U/L (> " + FormatNumberNL(hi) + ") zonder recente fractuur: denk aan bottumor, ziekte van Paget of osteomalacie",
					EN: "Alkaline phosphatase " + alp.Display() + " U/L (> " + FormatNumber(hi) + ") without a recent fracture: consider bone tumour, Paget's disease or osteomalacia"}})
		}
	}
	return out
}

// fractureWithinMonths reports any fracture (any site, excluded sites too:
// every healing fracture raises ALP) dated within the last n months.
func (c *Context) fractureWithinMonths(n int) bool {
	from := MonthsBefore(c.Facts.AsOf, n)
	for _, cond := range c.Facts.Conditions {
		if !cond.Has(ConceptFracture) && !cond.Has(ConceptVertebralFracture) && !cond.Has(ConceptFractureExcluded) && !cond.Has(ConceptStressFracture) {
			continue
		}
		if !cond.Onset.IsZero() && !cond.Onset.Before(from) && !cond.Onset.After(c.Facts.AsOf) {
			return true
		}
	}
	return false
}
