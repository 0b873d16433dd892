package rules

import (
	"math"
	"time"
)

// R20 denosumab-5y-review (rules.md §4 R20, §6 D7, D8).
//
// Sources: SEED-GP "Advies ECTS Denosumab stoppen: Na 5 jaar behandeling met
// Denosumab: herevaluatie — Hoog fractuur risico: Behandeling met denosumab
// continueren; Switch naar bisfosfonaat en continueren bisfosfonaat — Laag
// fractuur risico: Behandeling met Denosumab staken en eenmalig zoledronaat
// iv geven" (Tsourdi, Bone 2017;105:11-17) and "Continueren Denosumab geeft
// blijvend verbetering van BMD en fractuurrisico (FREEDOM extension)";
// ECTS 2017 "continue denosumab therapy for up to 10 years"; ECTS 2021
// (alternative 6 months after the final injection). D7: NIV 2022 gives 3
// years as the standard duration; the default follows ECTS/SEED-GP (5).
//
// Thresholds: DMAB_REVIEW_YEARS (5), DMAB_INTERVAL_DAYS (183),
// DMAB_LATE_CRITICAL_DAYS (295: a larger gap breaks adherence),
// DMAB_MAX_YEARS (10), ZOL_AFTER_DMAB_DAYS (183).
//
// Fires (warning) at patient-view, and at order-sign when a denosumab 60 mg
// renewal is being signed, when denosumab has been given for the review
// period: at least DMAB_REVIEW_YEARS × 365.25 / DMAB_INTERVAL_DAYS
// injections (10 by default), or a first injection ≥ DMAB_REVIEW_YEARS ago
// with no gap between injections > DMAB_LATE_CRITICAL_DAYS. Silent when
// denosumab is explicitly stopped (R19) or handed over to a bisphosphonate.
// Three mutually exclusive options (at most one): continue; switch to IV
// zoledronic acid; stop with a single zoledronic acid infusion at last dose
// + 183 days. An oral bisphosphonate is never suggested (intolerance is
// often why the patient is on denosumab, SEED-GP Casus 3 variant, and
// AllergyIntolerance is not yet a fact).

// TopicDenosumab5yReview is the topic code of R20.
const TopicDenosumab5yReview = "denosumab-5y-review"

// Denosumab5yReview is rule R20.
var Denosumab5yReview = Rule{
	Number: 20,
	Topic:  TopicDenosumab5yReview,
	Hooks:  []Hook{PatientView, OrderSign},
	Eval:   evalDenosumab5yReview,
}

func init() { register(Denosumab5yReview) }

// Suggestion keys of R20 (continue shares KeyOrderDenosumab60mg with R18).
const (
	KeyDenosumabSwitchZol = "denosumab-review-switch-zoledronic-acid"
	KeyDenosumabStopZol   = "denosumab-review-stop-zoledronic-acid"
)

// dmabInjectionsFor is the number of injections that covers years of therapy.
func dmabInjectionsFor(th Thresholds, years int) int {
	return int(math.Round(float64(years) * 365.25 / float64(th.DmabIntervalDays)))
}

func evalDenosumab5yReview(c *Context) []Finding {
	th := c.Thresholds
	var renewal *MedicationRecord
	if c.Facts.Hook == OrderSign {
		for _, m := range c.DraftOrders(DrugDenosumab) {
			if !c.IsOncologyDenosumab(m) && c.StatusActive(m) {
				m := m
				renewal = &m
				break
			}
		}
		if renewal == nil {
			return nil
		}
	}
	doses := denosumabDoses(c)
	last, ok := lastDmabDose(doses)
	if !ok {
		return nil
	}
	if _, stopped := denosumabStop(c, doses); stopped {
		return nil
	}
	if _, handedOver := bisphosphonateAfter(c, last.Date); handedOver {
		return nil
	}
	first := doses[0]
	maxGap := 0
	for i := 1; i < len(doses); i++ {
		if g := DaysBetween(doses[i-1].Date, doses[i].Date); g > maxGap {
			maxGap = g
		}
	}
	reviewAt := dmabInjectionsFor(th, th.DmabReviewYears)
	byCount := len(doses) >= reviewAt
	byTime := !first.Date.After(c.Facts.AsOf.AddDate(-th.DmabReviewYears, 0, 0)) && maxGap <= th.DmabLateCriticalDays
	if !byCount && !byTime {
		return nil
	}
	maxReached := len(doses) >= dmabInjectionsFor(th, th.DmabMaxYears) ||
		!first.Date.After(c.Facts.AsOf.AddDate(-th.DmabMaxYears, 0, 0)) && maxGap <= th.DmabLateCriticalDays

	years, months := dmabYearsMonths(first.Date, c.Facts.AsOf)
	review, maxY := itoa(th.DmabReviewYears), itoa(th.DmabMaxYears)
	zolMonths := monthsOf(th.ZolAfterDmabDays)
	planned, overdue := zolPlanDate(c, last.Date)
	orderDate := planned
	whenNL, whenEN := "op "+FormatDateIn(planned, "nl"), "on "+FormatDateIn(planned, "en")
	if overdue {
		orderDate = time.Time{}
		whenNL, whenEN = "nu (geplande datum "+FormatDateIn(planned, "nl")+" is verstreken)", "now (planned date "+FormatDateIn(planned, "en")+" has passed)"
	}

	detailNL := "Denosumab wordt " + Years(years).NL + " en " + Months(months).NL + " gegeven (" + itoa(len(doses)) + " injecties). " +
		"Herbeoordeel na " + review + " jaar het fractuurrisico (nieuwe fracturen, DXA, risicofactoren):\n\n" +
		"- Hoog fractuurrisico: denosumab voortzetten (tot " + maxY + " jaar; FREEDOM-extensie) of overstappen op een bisfosfonaat en dat voortzetten.\n" +
		"- Laag fractuurrisico: denosumab staken én eenmalig zoledroninezuur 5 mg iv geven, " + zolMonths + " maanden na de laatste injectie.\n\n" +
		"Stop denosumab nooit zonder vervolgbehandeling: na stoppen volgt snel botverlies met risico op (multipele) wervelfracturen. " +
		"Als bisfosfonaat wordt hier zoledroninezuur iv aangeboden; controleer vooraf eGFR, calcium en vitamine D."
	detailEN := "Denosumab has been given for " + Years(years).EN + " and " + Months(months).EN + " (" + itoa(len(doses)) + " injections). " +
		"After " + review + " years, re-evaluate fracture risk (new fractures, DXA, risk factors):\n\n" +
		"- High fracture risk: continue denosumab (up to " + maxY + " years; FREEDOM extension) or switch to a bisphosphonate and continue that.\n" +
		"- Low fracture risk: stop denosumab and give a single zoledronic acid 5 mg IV infusion " + zolMonths + " months after the last injection.\n\n" +
		"Never stop denosumab without follow-on treatment: bone loss follows quickly, with a risk of (multiple) vertebral fractures. " +
		"The bisphosphonate offered here is IV zoledronic acid; check eGFR, calcium and vitamin D first."
	if maxReached {
		detailNL += "\n\nDe behandelduur heeft " + maxY + " jaar bereikt, het maximum waarvoor de ECTS 2017 voortzetten onderbouwt."
		detailEN += "\n\nTreatment has reached " + maxY + " years, the longest duration for which ECTS 2017 supports continuing."
	}
	if c.Facts.Hook == OrderSign {
		detailNL += "\n\nVoortzetten: onderteken de herhaalopdracht zoals die is."
		detailEN += "\n\nTo continue: sign the renewal as it is."
	}
	if last.Weak {
		detailNL += "\n\n" + weakDoseNote.NL
		detailEN += "\n\n" + weakDoseNote.EN
	}

	var suggestions []Suggestion
	if renewal == nil {
		next := last.Date.AddDate(0, 0, th.DmabIntervalDays)
		if next.Before(c.Facts.AsOf.Truncate(day)) {
			next = time.Time{}
		}
		suggestions = append(suggestions, suggestDenosumab(c, next, Text{
			NL: "Denosumab voortzetten (hoog fractuurrisico; tot " + maxY + " jaar)",
			EN: "Continue denosumab (high fracture risk; up to " + maxY + " years)",
		}))
	}
	switchZol := SuggestMedication(KeyDenosumabSwitchZol, DrugOrderZoledronicAcid5mg, orderDate,
		Text{NL: "Overstappen op zoledroninezuur 5 mg iv jaarlijks, eerste infuus " + whenNL, EN: "Switch to zoledronic acid 5 mg IV yearly, first infusion " + whenEN},
		Text{NL: "overstap van denosumab naar bisfosfonaat (hoog fractuurrisico, ECTS)", EN: "switch from denosumab to a bisphosphonate (high fracture risk, ECTS)"})
	stopZol := SuggestMedication(KeyDenosumabStopZol, DrugOrderZoledronicAcid5mg, orderDate,
		Text{NL: "Denosumab staken en eenmalig zoledroninezuur 5 mg iv " + whenNL, EN: "Stop denosumab and give zoledronic acid 5 mg IV once " + whenEN},
		Text{NL: "eenmalig na stoppen denosumab (laag fractuurrisico, ECTS)", EN: "single infusion after stopping denosumab (low fracture risk, ECTS)"})
	for _, m := range c.Records(DrugDenosumab, false) {
		if m.Kind == KindRequest && !c.IsOncologyDenosumab(m) && c.StatusActive(m) {
			stopZol.Actions = append([]Action{{
				Type:        Update,
				Description: Text{NL: "Voorschrift denosumab stoppen", EN: "Stop the denosumab prescription"},
				Order:       &Order{Kind: OrderStopMedication},
				ResourceID:  m.Source,
			}}, stopZol.Actions...)
		}
	}
	if renewal != nil {
		del := Action{Type: Delete, Description: Text{NL: "Herhaalopdracht denosumab verwijderen", EN: "Remove the denosumab renewal"}, ResourceID: renewal.Source}
		switchZol.Actions = append([]Action{del}, switchZol.Actions...)
		stopZol.Actions = append([]Action{del}, stopZol.Actions...)
	}
	suggestions = append(suggestions, switchZol, stopZol)

	ev := []Evidence{
		{Label: Text{NL: "Eerste denosumab-injectie", EN: "First denosumab injection"}, ValueText: dmabLabel(first.Record), Date: first.Date, Source: first.Record.Source},
		lastDoseEvidence(last),
		{Label: Text{NL: "Aantal injecties", EN: "Number of injections"}, Value: itoa(len(doses))},
		{Label: Text{NL: "Grootste interval tussen injecties", EN: "Longest interval between injections"}, Value: itoa(maxGap), UnitText: Text{NL: "dagen", EN: "days"}},
	}
	if renewal != nil {
		ev = append(ev, Evidence{Label: Text{NL: "Herhaalopdracht denosumab", EN: "Denosumab renewal order"}, ValueText: dmabLabel(*renewal), Source: renewal.Source})
	}
	f := Finding{
		Topic:     TopicDenosumab5yReview,
		Indicator: Warning,
		Summary: Text{
			NL: "Denosumab ≥ " + review + " jaar: herbeoordeel fractuurrisico; voortzetten, overstappen, of stoppen mét zoledroninezuur",
			EN: "Denosumab ≥ " + review + " years: re-evaluate fracture risk; continue, switch, or stop with zoledronic acid",
		},
		Detail:   Text{NL: detailNL, EN: detailEN},
		Evidence: ev,
		Thresholds: []Text{
			{NL: "herbeoordeling na " + review + " jaar: ≥ " + itoa(reviewAt) + " injecties, of eerste injectie ≥ " + review + " jaar geleden zonder interval > " + itoa(th.DmabLateCriticalDays) + " dagen (ECTS 2017, nascholing huisartsen; NIV 2022 noemt 3 jaar)",
				EN: "review after " + review + " years: ≥ " + itoa(reviewAt) + " injections, or first injection ≥ " + review + " years ago with no interval > " + itoa(th.DmabLateCriticalDays) + " days (ECTS 2017, GP training course; NIV 2022 gives 3 years)"},
			{NL: "voortzetten tot " + maxY + " jaar (ECTS 2017)", EN: "continue up to " + maxY + " years (ECTS 2017)"},
			{NL: "zoledroninezuur " + itoa(th.ZolAfterDmabDays) + " dagen na de laatste injectie (ECTS 2021)", EN: "zoledronic acid " + itoa(th.ZolAfterDmabDays) + " days after the last injection (ECTS 2021)"},
		},
		Citations:       []Citation{CiteECTS2017, CiteECTS2021, CiteNIVLongTerm, CiteProliaSmPC},
		Suggestions:     suggestions,
		SelectionAny:    false,
		OverrideReasons: StandardOverrideReasons,
	}
	// Contraindications and missing safety labs before zoledronic acid
	// (bisphosphonate_safety.go).
	applyBPSafety(c, &f, false)
	return []Finding{f}
}

// dmabYearsMonths returns the whole years and remaining whole months from a to b.
func dmabYearsMonths(a, b time.Time) (years, months int) {
	total := (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
	if b.Day() < a.Day() {
		total--
	}
	if total < 0 {
		return 0, 0
	}
	return total / 12, total % 12
}
