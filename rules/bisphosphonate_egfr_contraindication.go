package rules

import (
	"strings"
	"unicode/utf8"
)

// R08 bisphosphonate-egfr-contraindication (rules.md §4 R08).
//
// Sources: SEED-GP lab table "Bij klaring < 30 ml/min geen bisfosfonaten"
// (NHG wording quoted by the seed); risedronate core safety profile
// "Severe renal impairment (creatinine clearance < 30 ml/min)"
// contraindicated; alendronate SmPC 4.2 "not recommended … if the GFR is
// less than 35 ml/min"; Aclasta (zoledronic acid 5 mg) SmPC "contraindicated
// … creatinine clearance < 35 ml/min". Denosumab as an alternative: Prolia
// label via secondary summaries (no renal dose adjustment, severe
// hypocalcaemia risk at eGFR < 30), UNVERIFIED for Dutch practice.
//
// Thresholds: EGFR_BP_CONTRAINDICATED (< 30, every bisphosphonate →
// critical), EGFR_ALN_ZOL_NOT_RECOMMENDED (< 35: zoledronic acid →
// critical, "contraindicated" per the Aclasta SmPC; alendronate → warning,
// "not recommended" per its SmPC; D4: the seed/NHG use 30, the SmPCs 35),
// EGFR_MAX_AGE_DAYS (365: older results are ignored).
//
// The renal value is the newest eGFR (any formula, mL/min/1.73m2) or
// Cockcroft-Gault creatinine clearance (mL/min), whichever is newer (the
// lower on the same day); the card names which one it used (D5). A result
// with a comparator is read conservatively: ">60" never fires.
//
// Order hooks check the draft bisphosphonate orders (at order-select the
// selected ones) and suggest deleting them; patient-view checks active
// bisphosphonates. A missing eGFR is pretreatment-lab-workup's (R07) job.

// TopicBisphosphonateEGFRContraindication is the topic code of R08.
const TopicBisphosphonateEGFRContraindication = "bisphosphonate-egfr-contraindication"

// BisphosphonateEGFRContraindication is rule R08.
var BisphosphonateEGFRContraindication = Rule{
	Number: 8,
	Topic:  TopicBisphosphonateEGFRContraindication,
	Hooks:  []Hook{OrderSelect, OrderSign, PatientView},
	Eval:   evalBisphosphonateEGFRContraindication,
}

func init() { register(BisphosphonateEGFRContraindication) }

func evalBisphosphonateEGFRContraindication(c *Context) []Finding {
	th := c.Thresholds
	orderHook := c.Facts.Hook != PatientView
	targets := bpTargets(c)
	if len(targets) == 0 {
		return nil
	}
	renal, ok := latestRenal(c)
	if !ok {
		return nil
	}
	ind := Indicator("")
	var hits []MedicationRecord
	for _, m := range targets {
		switch {
		case renal.Below(th.EGFRBPContraindicated):
			ind = Critical
			hits = append(hits, m)
		case m.Is(DrugZoledronicAcid) && renal.Below(th.EGFRAlnZolNotRecommended):
			// Aclasta SmPC: contraindicated below 35 (D4).
			ind = Critical
			hits = append(hits, m)
		case m.Is(DrugAlendronate) && renal.Below(th.EGFRAlnZolNotRecommended):
			if ind != Critical {
				ind = Warning
			}
			hits = append(hits, m)
		}
	}
	below30 := renal.Below(th.EGFRBPContraindicated)
	if len(hits) == 0 {
		return nil
	}

	measure := Text{NL: "eGFR", EN: "eGFR"}
	formula := Text{NL: "eGFR (per 1,73 m²)", EN: "eGFR (per 1.73 m²)"}
	if renal.Analyte == AnalyteCrClCockcroftGault {
		measure = Text{NL: "Kreatinineklaring", EN: "Creatinine clearance"}
		formula = Text{NL: "kreatinineklaring volgens Cockcroft-Gault (mL/min)", EN: "creatinine clearance by Cockcroft-Gault (mL/min)"}
	}
	value := renal.Display()
	names := shortDrugNames(hits, Text{NL: "bisfosfonaten", EN: "bisphosphonates"})

	ev := []Evidence{{
		Label: Text{NL: formula.NL + ", " + renal.Code, EN: formula.EN + ", " + renal.Code},
		Value: value, Unit: renal.Analyte.CanonicalUnit(), Date: renal.Date, Source: renal.Source,
	}}
	for _, m := range hits {
		label := Text{NL: "Actief bisfosfonaat", EN: "Active bisphosphonate"}
		if orderHook {
			label = Text{NL: "Concept-voorschrift bisfosfonaat", EN: "Draft bisphosphonate order"}
		}
		ev = append(ev, Evidence{Label: label, ValueText: displayName(m), Date: m.Start, Source: m.Source})
	}

	var summary, detail Text
	thresholds := []Text{{
		NL: measure.NL + " < " + FormatNumberNL(th.EGFRBPContraindicated) + ": geen bisfosfonaten (NHG; risedronaat-SmPC)",
		EN: measure.EN + " < " + FormatNumber(th.EGFRBPContraindicated) + ": no bisphosphonates (NHG; risedronate SmPC)",
	}}
	citations := []Citation{CiteNHG, CiteRisedronateSmPC}
	switch {
	case below30:
		summary = Text{
			NL: belowLimit(measure, renal, th.EGFRBPContraindicated).NL + ": bisfosfonaten gecontra-indiceerd (" + names.NL + ")",
			EN: belowLimit(measure, renal, th.EGFRBPContraindicated).EN + ": bisphosphonates contraindicated (" + names.EN + ")",
		}
		detail = Text{
			NL: "Bij een nierfunctie onder " + FormatNumberNL(th.EGFRBPContraindicated) + " ml/min zijn bisfosfonaten gecontra-indiceerd (geen bisfosfonaten bij klaring < 30 ml/min). ",
			EN: "With renal function below " + FormatNumber(th.EGFRBPContraindicated) + " mL/min bisphosphonates are contraindicated (no bisphosphonates at a clearance < 30 mL/min). ",
		}
	default:
		summary = Text{
			NL: belowLimit(measure, renal, th.EGFRAlnZolNotRecommended).NL + ": " + names.NL + " volgens SmPC niet aanbevolen",
			EN: belowLimit(measure, renal, th.EGFRAlnZolNotRecommended).EN + ": " + names.EN + " not recommended per SmPC",
		}
		if ind == Critical {
			// Zoledronic acid at 30 ≤ eGFR < 35: the Aclasta SmPC says
			// contraindicated, not "not recommended".
			summary = Text{
				NL: belowLimit(measure, renal, th.EGFRAlnZolNotRecommended).NL + ": zoledroninezuur volgens SmPC gecontra-indiceerd",
				EN: belowLimit(measure, renal, th.EGFRAlnZolNotRecommended).EN + ": zoledronic acid contraindicated per SmPC",
			}
		}
		// Sources disagree: the NHG threshold (as quoted in the GP deck) is
		// < 30 mL/min for all bisphosphonates, the SmPCs of alendronic acid
		// and Aclasta use 35; this card follows the SmPC for these drugs. A
		// note for reviewers: the card states the clinical rule only.
		detail = Text{
			NL: "Bij deze nierfunctie is zoledroninezuur gecontra-indiceerd (Aclasta-SmPC: kreatinineklaring < 35 ml/min) en wordt alendroninezuur niet aanbevolen (SmPC: GFR < 35 ml/min); " +
				"risedroninezuur is toegestaan tot 30 ml/min (NHG: onder 30 ml/min geen bisfosfonaten). ",
			EN: "At this renal function zoledronic acid is contraindicated (Aclasta SmPC: creatinine clearance < 35 mL/min) and alendronic acid is not recommended (SmPC: GFR < 35 mL/min); " +
				"risedronic acid is allowed down to 30 mL/min (NHG: no bisphosphonates below 30 mL/min). ",
		}
	}
	for _, m := range hits {
		if m.Is(DrugAlendronate) || m.Is(DrugZoledronicAcid) {
			thresholds = append(thresholds, Text{
				NL: FormatNumberNL(th.EGFRBPContraindicated) + " ≤ " + measure.NL + " < " + FormatNumberNL(th.EGFRAlnZolNotRecommended) + ": zoledroninezuur gecontra-indiceerd (Aclasta-SmPC, kritiek), alendroninezuur niet aanbevolen (SmPC, waarschuwing)",
				EN: FormatNumber(th.EGFRBPContraindicated) + " ≤ " + measure.EN + " < " + FormatNumber(th.EGFRAlnZolNotRecommended) + ": zoledronic acid contraindicated (Aclasta SmPC, critical), alendronic acid not recommended (SmPC, warning)",
			})
			citations = append(citations, CiteAlendronateSmPC, CiteAclastaSmPC)
			break
		}
	}
	thresholds = append(thresholds, Text{
		NL: "nierfunctie-uitslag ≤ " + itoa(th.EGFRMaxAgeDays) + " dagen oud; gebruikt: " + formula.NL,
		EN: "renal result ≤ " + itoa(th.EGFRMaxAgeDays) + " days old; used: " + formula.EN,
	})
	detail.NL += "De SmPC's definiëren hun grenzen als kreatinineklaring (Cockcroft-Gault, mL/min); het lab rapporteert meestal eGFR per 1,73 m². " +
		"Bij kleine of oudere patiënten kan de klaring lager uitvallen dan de eGFR.\n\n" +
		"- Overweeg verwijzing naar de internist/nefroloog.\n" +
		"- Alternatief: denosumab (geen dosisaanpassing bij nierfunctiestoornis), maar controleer eerst calcium en vitamine D en de CKD-MBD-work-up: bij eGFR < 30 is het risico op ernstige hypocalciëmie verhoogd."
	detail.EN += "The SmPCs define their limits as creatinine clearance (Cockcroft-Gault, mL/min); labs usually report eGFR per 1.73 m². " +
		"In small or elderly patients the clearance can be lower than the eGFR.\n\n" +
		"- Consider referral to internal medicine/nephrology.\n" +
		"- Alternative: denosumab (no renal dose adjustment), but first check calcium, vitamin D and a CKD-MBD work-up: at eGFR < 30 the risk of severe hypocalcaemia is raised."
	if !orderHook {
		detail.NL = "De patiënt gebruikt een bisfosfonaat; heroverweeg voortzetting. " + detail.NL
		detail.EN = "The patient is taking a bisphosphonate; reconsider continuing it. " + detail.EN
	}

	var sugg []Suggestion
	if orderHook {
		for _, m := range hits {
			sugg = append(sugg, SuggestDeleteDraft(m, Text{
				NL: "Concept-voorschrift " + displayName(m).NL + " verwijderen",
				EN: "Remove the draft order for " + displayName(m).EN,
			}))
		}
	}
	return []Finding{{
		Topic:           TopicBisphosphonateEGFRContraindication,
		Indicator:       ind,
		Summary:         summary,
		Detail:          detail,
		Evidence:        ev,
		Thresholds:      thresholds,
		Citations:       citations,
		Suggestions:     sugg,
		SelectionAny:    len(sugg) > 1,
		OverrideReasons: StandardOverrideReasons,
	}}
}

// latestRenal returns the newest eGFR or Cockcroft-Gault creatinine
// clearance at most EGFR_MAX_AGE_DAYS old; on the same day the lower value.
func latestRenal(c *Context) (Lab, bool) {
	egfr, okE := c.LatestLab(AnalyteEGFR, c.Thresholds.EGFRMaxAgeDays)
	crcl, okC := c.LatestLab(AnalyteCrClCockcroftGault, c.Thresholds.EGFRMaxAgeDays)
	switch {
	case okE && okC:
		if crcl.Date.After(egfr.Date) || (crcl.Date.Equal(egfr.Date) && crcl.Value < egfr.Value) {
			return crcl, true
		}
		return egfr, true
	case okE:
		return egfr, true
	case okC:
		return crcl, true
	}
	return Lab{}, false
}

// bpTargets returns the bisphosphonate records a medication-safety rule
// checks: at the order hooks the active draft orders (activeDrafts), at
// patient-view the bisphosphonates in use at T, including an intravenous
// infusion given in the past year (Context.BisphosphonateInUse).
func bpTargets(c *Context) []MedicationRecord {
	if c.Facts.Hook == PatientView {
		return c.BisphosphonateInUse()
	}
	return activeDrafts(c, DrugBisphosphonate)
}

// activeRecords returns the (non-draft) records of class cl in use at T,
// record by record as Context.Active decides.
func activeRecords(c *Context, cl DrugClass) []MedicationRecord {
	var out []MedicationRecord
	for _, m := range c.Records(cl, false) {
		if c.StatusActive(m) ||
			(!m.End.IsZero() && !m.End.Before(c.Facts.AsOf) && !m.SingleDose && m.Status != "stopped" && m.Status != "cancelled") {
			out = append(out, m)
		}
	}
	return out
}

// displayName is the ingredient name (Dutch and English), else the code.
func displayName(m MedicationRecord) Text {
	if m.Name != "" || m.NameNL != "" {
		return m.DisplayName()
	}
	if m.Code != "" {
		return Text{NL: m.Code, EN: m.Code}
	}
	return Text{NL: string(m.Source), EN: string(m.Source)}
}

// drugNames joins the distinct ingredient names of ms with "/".
func drugNames(ms []MedicationRecord) Text {
	var nl, en []string
	seen := map[string]bool{}
	for _, m := range ms {
		n := displayName(m)
		if !seen[n.EN] {
			seen[n.EN] = true
			nl = append(nl, n.NL)
			en = append(en, n.EN)
		}
	}
	return Text{NL: strings.Join(nl, "/"), EN: strings.Join(en, "/")}
}

// shortDrugNames names the drugs for a summary line, or falls back to the
// generic class name when the list would be too long for 140 runes.
func shortDrugNames(ms []MedicationRecord, generic Text) Text {
	names := drugNames(ms)
	if names.EN == "" || utf8.RuneCountInString(names.NL) > 40 || utf8.RuneCountInString(names.EN) > 40 {
		return generic
	}
	return names
}

// belowLimit says that a renal result is below limit for a summary:
// "eGFR 25 < 30", or just "eGFR <30" when the result carries a comparator
// that already says so.
func belowLimit(measure Text, l Lab, limit float64) Text {
	if l.Comparator == LessThan || l.Comparator == LessOrEqual {
		v := l.DisplayText()
		return Text{NL: measure.NL + " " + v.NL, EN: measure.EN + " " + v.EN}
	}
	return Text{
		NL: measure.NL + " " + FormatNumberNL(l.Value) + " < " + FormatNumberNL(limit),
		EN: measure.EN + " " + FormatNumber(l.Value) + " < " + FormatNumber(limit),
	}
}
