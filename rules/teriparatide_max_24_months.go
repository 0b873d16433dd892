package rules

import (
	"math"
	"strings"
	"time"
)

// R21 teriparatide-max-24-months (rules.md §4 R21, §6 D9).
//
// Sources: SEED-GP "Anabole middel: teriparatide … Dagelijkse injectie …
// Maximaal 24 maanden … Gevolgd door botresorptieremmer"; Forsteo SmPC 4.2
// "The maximum total duration of treatment with FORSTEO should be 24 months
// … The 24-month course … should not be repeated over a patient's
// lifetime"; NIV 2022 standard duration "2 jaar voor teriparatide". D9: the
// US Forteo label (11/2020) allows use beyond 2 years when the patient
// remains at or has returned to high fracture risk, so the US profile
// (TPTD_US_LABEL) shows a warning instead of critical.
//
// Thresholds: TPTD_MAX_MONTHS (24, lifetime), TPTD_WARN_MONTHS (22,
// [DESIGN]), TPTD_US_LABEL; EPISODE_MERGE_GAP_DAYS separates courses.
//
// Exposure E is the lifetime sum of teriparatide episodes up to T (context
// Episodes; months are days × 12 / 365.25).
//   - E ≥ 22 months and active → info: the course ends at 24 months, plan
//     the follow-on antiresorptive (R22).
//   - E ≥ 24 months and active; an order (order-select: the selected one;
//     order-sign: any) that would take E beyond 24 months; or a new course
//     after one recorded as completed → critical (warning on the US label).
//     The suggestion deletes the draft order (or stops the prescription).

// TopicTeriparatideMax24Months is the topic code of R21.
const TopicTeriparatideMax24Months = "teriparatide-max-24-months"

// TeriparatideMax24Months is rule R21.
var TeriparatideMax24Months = Rule{
	Number: 21,
	Topic:  TopicTeriparatideMax24Months,
	Hooks:  []Hook{PatientView, OrderSelect, OrderSign},
	Eval:   evalTeriparatideMax24Months,
}

func init() { register(TeriparatideMax24Months) }

// tptdMonths converts exposure days to months.
func tptdMonths(days int) float64 { return float64(days) * 12 / 365.25 }

// tptdMonthsText renders exposure months with one decimal.
func tptdMonthsText(days int) string {
	return FormatNumber(math.Floor(tptdMonths(days)*10) / 10)
}

func evalTeriparatideMax24Months(c *Context) []Finding {
	th := c.Thresholds
	episodes := c.Episodes(DrugTeriparatide, false)
	exposure := 0
	for _, e := range episodes {
		exposure += e.Days(c.Facts.AsOf)
	}
	active := c.Active(DrugTeriparatide)
	maxM, warnM := float64(th.TptdMaxMonths), float64(th.TptdWarnMonths)

	// A course recorded as completed, ended before the current one.
	var completed *Episode
	for i := range episodes {
		e := episodes[i]
		if e.Open || !e.End.Before(c.Facts.AsOf) {
			continue
		}
		for _, m := range e.Records {
			if m.Status == "completed" {
				completed = &episodes[i]
			}
		}
	}

	var drafts []MedicationRecord
	if c.Facts.Hook != PatientView {
		for _, m := range c.DraftOrders(DrugTeriparatide) {
			if m.DoNotPerform || !c.StatusActive(m) {
				continue
			}
			if c.Facts.Hook == OrderSelect && !m.Selected {
				continue
			}
			drafts = append(drafts, m)
		}
		if len(drafts) == 0 {
			return nil
		}
	}

	ev := []Evidence{{
		Label: Text{NL: "Cumulatieve blootstelling teriparatide", EN: "Cumulative teriparatide exposure"},
		Value: tptdMonthsText(exposure), UnitText: Text{NL: "maanden", EN: "months"},
	}}
	for _, e := range episodes {
		first := e.Records[0]
		ev = append(ev, Evidence{
			Label: Text{NL: "Kuur teriparatide (" + itoa(e.Days(c.Facts.AsOf)) + " dagen)", EN: "Teriparatide course (" + itoa(e.Days(c.Facts.AsOf)) + " days)"},
			ValueText: Text{
				NL: first.DisplayName().NL + ", status " + StatusText(e.Records[len(e.Records)-1].Status).NL,
				EN: first.DisplayName().EN + ", status " + e.Records[len(e.Records)-1].Status,
			},
			Date:   e.Start,
			Source: first.Source,
		})
	}

	var reasonsNL, reasonsEN []string
	var suggestions []Suggestion
	projected := exposure
	for _, d := range drafts {
		days := 1
		switch {
		case d.SupplyDays > 0:
			days = d.SupplyDays
		case !d.End.IsZero() && !d.Start.IsZero():
			days = DaysBetween(d.Start, d.End) + 1
		}
		if exposure+days > projected {
			projected = exposure + days
		}
		ev = append(ev, Evidence{Label: Text{NL: "Opdracht teriparatide (duur)", EN: "Teriparatide order (duration)"}, Value: itoa(days), UnitText: Text{NL: "dagen", EN: "days"}, Source: d.Source})
		suggestions = append(suggestions, SuggestDeleteDraft(d, Text{NL: "Opdracht teriparatide verwijderen", EN: "Remove the teriparatide order"}))
	}
	critical := false
	switch {
	case len(drafts) > 0 && tptdMonths(projected) > maxM:
		critical = true
		reasonsNL = append(reasonsNL, "deze opdracht brengt de totale blootstelling op "+tptdMonthsText(projected)+" maanden, boven het maximum van "+itoa(th.TptdMaxMonths)+" maanden")
		reasonsEN = append(reasonsEN, "this order takes total exposure to "+tptdMonthsText(projected)+" months, beyond the maximum of "+itoa(th.TptdMaxMonths)+" months")
	case len(drafts) == 0 && active && tptdMonths(exposure) >= maxM:
		critical = true
		reasonsNL = append(reasonsNL, "de totale blootstelling is "+tptdMonthsText(exposure)+" maanden (maximum "+itoa(th.TptdMaxMonths)+")")
		reasonsEN = append(reasonsEN, "total exposure is "+tptdMonthsText(exposure)+" months (maximum "+itoa(th.TptdMaxMonths)+")")
	}
	// A new course after a completed one is critical only when lifetime
	// exposure would exceed the maximum (Forsteo SmPC: "maximum total
	// duration … 24 months"); otherwise only the remainder may be given.
	newCourse := completed != nil && (active || len(drafts) > 0)
	repeatWithinMax := false
	if newCourse {
		if tptdMonths(projected) > maxM {
			critical = true
			reasonsNL = append(reasonsNL, "een eerdere kuur is als voltooid vastgelegd (gestopt "+FormatDateIn(completed.End, "nl")+"); de kuur wordt niet herhaald")
			reasonsEN = append(reasonsEN, "an earlier course was recorded as completed (ended "+FormatDateIn(completed.End, "en")+"); the course is not repeated")
		} else {
			repeatWithinMax = true
		}
	}

	thresholds := []Text{
		{NL: "maximaal " + itoa(th.TptdMaxMonths) + " maanden per leven (Forsteo SmPC, nascholing huisartsen)", EN: "at most " + itoa(th.TptdMaxMonths) + " months per lifetime (Forsteo SmPC, GP training course)"},
		{NL: "aankondiging vanaf " + itoa(th.TptdWarnMonths) + " maanden", EN: "notice from " + itoa(th.TptdWarnMonths) + " months"},
	}
	citations := []Citation{CiteForsteoSmPC, CiteNIVLongTerm, CiteNHG}
	if th.TptdUSLabel {
		thresholds = append(thresholds, Text{NL: "Amerikaanse productinformatie: langer dan 2 jaar alleen bij blijvend hoog fractuurrisico (waarschuwing i.p.v. kritiek)", EN: "US label: beyond 2 years only if fracture risk remains high (warning instead of critical)"})
		citations = append(citations, CiteForteoUSLabel)
	}

	if critical {
		indicator := Critical
		if th.TptdUSLabel {
			indicator = Warning
		}
		if len(drafts) == 0 {
			for _, m := range c.Records(DrugTeriparatide, false) {
				if m.Kind == KindRequest && c.StatusActive(m) {
					suggestions = append(suggestions, Suggestion{
						Key:   "stop-" + string(m.Source),
						Label: Text{NL: "Voorschrift teriparatide stoppen", EN: "Stop the teriparatide prescription"},
						Actions: []Action{{Type: Update, Description: Text{NL: "Voorschrift teriparatide stoppen", EN: "Stop the teriparatide prescription"},
							Order: &Order{Kind: OrderStopMedication}, ResourceID: m.Source}},
					})
				}
			}
		}
		detailNL := "Stop teriparatide en start aansluitend een botresorptieremmer (zoledroninezuur of denosumab) om de winst in botdichtheid te behouden. Teriparatide: " + strings.Join(reasonsNL, "; ") + ". Volgens de Europese productinformatie is de totale behandelduur maximaal " + itoa(th.TptdMaxMonths) +
			" maanden en wordt de kuur in het leven niet herhaald."
		detailEN := "Stop teriparatide and start an antiresorptive (zoledronic acid or denosumab) to preserve the gain in bone density. Teriparatide: " + strings.Join(reasonsEN, "; ") + ". Per the EU product information, total treatment is at most " + itoa(th.TptdMaxMonths) +
			" months and the course is not repeated in a lifetime."
		// The follow-on antiresorptive (NIV 2022 "Behandelduur"; Forsteo
		// SmPC): offered here, so the obvious next step is one click away.
		// The planner removes whichever one a finding in the response
		// forbids (renal function, calcium, vitamin D).
		if !c.Active(DrugBisphosphonate) && !c.Active(DrugDenosumab) {
			reason := Text{NL: "vervolgbehandeling na teriparatide", EN: "follow-on treatment after teriparatide"}
			zol := SuggestMedication("anabolic-followup-zoledronic-acid", DrugOrderZoledronicAcid5mg, time.Time{},
				Text{NL: "Zoledroninezuur 5 mg iv (vervolg op teriparatide)", EN: "Zoledronic acid 5 mg IV (after teriparatide)"}, reason)
			zol.Recommended = true
			suggestions = append(suggestions, zol,
				SuggestMedication(KeyOrderDenosumab60mg, DrugOrderDenosumab60mg, time.Time{},
					Text{NL: "Denosumab " + FormatNumberNL(th.DmabOPStrengthMg) + " mg s.c. (vervolg op teriparatide)", EN: "Denosumab " + FormatNumber(th.DmabOPStrengthMg) + " mg s.c. (after teriparatide)"}, reason))
		}
		if newCourse {
			detailNL += "\n\nWas de eerdere kuur korter dan " + itoa(th.TptdMaxMonths) + " maanden, dan mag alleen de resterende duur worden gegeven; controleer de voorgeschiedenis."
			detailEN += "\n\nIf the earlier course was shorter than " + itoa(th.TptdMaxMonths) + " months, only the remaining duration may be given; check the history."
		}
		if th.TptdUSLabel {
			detailNL += "\n\nAmerikaanse productinformatie (2020): langer dan 2 jaar alleen overwegen als het fractuurrisico hoog blijft of weer hoog is."
			detailEN += "\n\nUS label (2020): consider use beyond 2 years only if the patient remains at or has returned to high fracture risk."
		}
		return []Finding{{
			Topic:     TopicTeriparatideMax24Months,
			Indicator: indicator,
			Summary: Text{
				NL: "Teriparatide maximaal " + itoa(th.TptdMaxMonths) + " maanden per leven (SmPC): niet verlengen of herhalen",
				EN: "Teriparatide max " + itoa(th.TptdMaxMonths) + " months per lifetime (SmPC): do not extend or repeat",
			},
			Detail:       Text{NL: detailNL, EN: detailEN},
			Evidence:     ev,
			Thresholds:   thresholds,
			Citations:    citations,
			Suggestions:  suggestions,
			SelectionAny: true,
			OverrideReasons: append(append([]OverrideReason(nil), StandardOverrideReasons...),
				OverrideReason{Code: "previous-course-incomplete", Display: Text{NL: "Eerdere kuur was korter; resterende duur", EN: "Earlier course was shorter; remaining duration"}}),
		}}
	}

	if repeatWithinMax {
		// Exposure before the current course: the episodes that ended.
		prior := 0
		for _, e := range episodes {
			if !e.Open && e.End.Before(c.Facts.AsOf) {
				prior += e.Days(c.Facts.AsOf)
			}
		}
		remaining := int(math.Round(maxM*365.25/12)) - prior
		if remaining < 0 {
			remaining = 0
		}
		left := tptdMonthsText(remaining)
		return []Finding{{
			Topic:     TopicTeriparatideMax24Months,
			Indicator: Warning,
			Summary: Text{
				NL: "Eerdere teriparatidekuur voltooid: alleen de resterende " + left + " maanden mogen nog worden gegeven",
				EN: "Earlier teriparatide course completed: only the remaining " + left + " months may be given",
			},
			Detail: Text{
				NL: "Een eerdere kuur teriparatide is als voltooid vastgelegd (gestopt " + FormatDateIn(completed.End, "nl") + "). Volgens de Europese productinformatie is de totale behandelduur maximaal " + itoa(th.TptdMaxMonths) +
					" maanden per leven; er resteren " + left + " maanden (totaal tot nu toe inclusief deze opdracht: " + tptdMonthsText(projected) + " maanden). Geef alleen de resterende duur en plan aansluitend een botresorptieremmer.",
				EN: "An earlier teriparatide course was recorded as completed (ended " + FormatDateIn(completed.End, "en") + "). Per the EU product information, total treatment is at most " + itoa(th.TptdMaxMonths) +
					" months per lifetime; " + left + " months remain (total so far including this order: " + tptdMonthsText(projected) + " months). Give only the remaining duration and plan an antiresorptive to follow.",
			},
			Evidence:        ev,
			Thresholds:      thresholds,
			Citations:       citations,
			Suggestions:     suggestions,
			SelectionAny:    true,
			OverrideReasons: StandardOverrideReasons,
		}}
	}

	// Notice: the course is nearly complete.
	current := exposure
	if len(drafts) > 0 {
		current = projected
	} else if !active {
		return nil
	}
	if tptdMonths(current) < warnM {
		return nil
	}
	remaining := int(math.Round(maxM*365.25/12)) - current
	if remaining < 0 {
		remaining = 0
	}
	return []Finding{{
		Topic:     TopicTeriparatideMax24Months,
		Indicator: Info,
		Summary: Text{
			NL: "Teriparatide-kuur eindigt na " + itoa(th.TptdMaxMonths) + " maanden: plan de vervolgbehandeling met een botresorptieremmer",
			EN: "Teriparatide course ends at " + itoa(th.TptdMaxMonths) + " months: plan a follow-on antiresorptive",
		},
		Detail: Text{
			NL: "De cumulatieve blootstelling aan teriparatide is " + tptdMonthsText(current) + " maanden; nog ongeveer " + itoa(remaining) + " dagen tot het maximum van " + itoa(th.TptdMaxMonths) +
				" maanden. Plan aansluitend een botresorptieremmer (bisfosfonaat of denosumab), anders gaat de winst in botdichtheid verloren.",
			EN: "Cumulative teriparatide exposure is " + tptdMonthsText(current) + " months; about " + itoa(remaining) + " days remain to the maximum of " + itoa(th.TptdMaxMonths) +
				" months. Plan an antiresorptive (bisphosphonate or denosumab) to follow, or the gain in bone density is lost.",
		},
		Evidence:   ev,
		Thresholds: thresholds,
		Citations:  citations,
	}}
}
