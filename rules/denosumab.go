package rules

import (
	"math"
	"slices"
	"time"
)

// Shared denosumab logic for R18 denosumab-dose-overdue, R19
// denosumab-no-stop-without-followup and R20 denosumab-5y-review, so that
// the three rules read "last dose", "explicit stop" and "handed over to a
// bisphosphonate" identically and never give contradictory cards.
//
// Dose dates follow rules.md §0.3 (injectables): a MedicationAdministration
// is the strongest evidence of a dose, then a MedicationStatement, then a
// MedicationRequest.authoredOn (weakest: a prescription date, flagged on the
// card). A therapy-level statement (effectivePeriod) dates no injection,
// except a dispense statement: a period of at most
// DMAB_DISPENSE_PERIOD_MAX_DAYS (one 6-month interval, as GP systems send
// one statement per dispense, often with status completed) dates one
// injection at its start.
// Only the osteoporosis product counts: denosumab 120 mg (Xgeva,
// oncology; IsOncologyDenosumab) is excluded everywhere.
//
// Records of the same injection (a prescription, its dispense statement and
// the administration) are merged when they lie less than half a dosing
// interval (DMAB_INTERVAL_DAYS / 2) apart: two Prolia injections weeks apart
// are not a dosing pattern, two records of one injection are.
//
// An explicit stop (rules.md R19) is a therapy-level statement or request
// with status stopped, cancelled or not-taken (or doNotPerform), or a
// completed statement whose effectivePeriod has ended and is longer than one
// dispense (a completed dispense statement is a dose); at order-sign also a
// draft (re-signed) denosumab request with status stopped, cancelled or
// completed, or doNotPerform. A single-dose record is a dose, never a stop.

// Citations of the denosumab and teriparatide rules.
var (
	// CiteLyu2020 is the cohort study behind the 4- and 16-week lateness
	// thresholds (vertebral fracture HR 3.91 after a delay > 16 weeks).
	CiteLyu2020 = Citation{
		Label: "Lyu H et al. Delayed denosumab injections and fracture risk among patients with osteoporosis. Ann Intern Med 2020;173(7):516-526",
		URL:   "https://doi.org/10.7326/M20-0882",
	}
	// CiteProliaSmPC is the EU product information of denosumab 60 mg.
	CiteProliaSmPC = Citation{
		Label: "Prolia (denosumab 60 mg) SmPC 4.2: one injection every 6 months; a missed dose is given as soon as possible",
		URL:   "https://www.ema.europa.eu/en/medicines/human/EPAR/prolia",
	}
	// CiteForsteoSmPC is the EU product information of teriparatide.
	CiteForsteoSmPC = Citation{
		Label: "Forsteo (teriparatide) SmPC 4.2: maximum total duration 24 months, not to be repeated over a patient's lifetime",
		URL:   "https://www.ema.europa.eu/en/medicines/human/EPAR/forsteo",
	}
	// CiteForteoUSLabel is the US label of teriparatide (11/2020 change).
	CiteForteoUSLabel = Citation{
		Label: "Forteo (teriparatide) US label 2020: use beyond 2 years only if the patient remains at or has returned to high fracture risk",
		URL:   "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=forteo",
	}
)

// dmabDose is one denosumab 60 mg injection as far as the records tell.
type dmabDose struct {
	// Date is the injection date, taken from the strongest record.
	Date time.Time
	// Record is the strongest record of this injection.
	Record MedicationRecord
	// Weak is true when only MedicationRequest.authoredOn dates it.
	Weak bool
}

// evidenceStrength ranks how firmly a record kind proves a dose was given.
func evidenceStrength(k RecordKind) int {
	switch k {
	case KindAdministration:
		return 3
	case KindStatement:
		return 2
	case KindRequest:
		return 1
	}
	return 0
}

// isDmabDoseRecord reports whether m documents a denosumab 60 mg injection
// (given, dispensed or prescribed) on m.Start.
func isDmabDoseRecord(c *Context, m MedicationRecord) bool {
	if !m.Is(DrugDenosumab) || c.IsOncologyDenosumab(m) || m.Start.IsZero() || m.Start.After(c.Facts.AsOf) || m.DoNotPerform {
		return false
	}
	switch m.Kind {
	case KindAdministration:
		return m.Status != "not-done" && m.Status != "entered-in-error"
	case KindStatement:
		// Only a statement of one dose (effectiveDateTime) dates an
		// injection. A therapy-level statement (effectivePeriod) says the
		// patient is on denosumab, not when the last injection was given:
		// its start would make an ongoing therapy look years overdue.
		switch m.Status {
		case "not-taken", "intended", "entered-in-error":
			return false
		}
		return m.SingleDose || isDmabDispense(c, m)
	case KindRequest:
		// A stopped or cancelled request is the stop itself, not a dose.
		return m.Status == "active" || m.Status == "completed"
	}
	return false
}

// isDmabDispense reports whether a denosumab statement with an
// effectivePeriod records one dispense rather than the therapy: status
// active or completed and a period of at most DMAB_DISPENSE_PERIOD_MAX_DAYS.
// Its start is the dose date; when it is completed it is not a stop.
func isDmabDispense(c *Context, m MedicationRecord) bool {
	if m.Kind != KindStatement || m.SingleDose || m.Start.IsZero() || m.End.IsZero() || !m.Is(DrugDenosumab) {
		return false
	}
	if m.Status != "completed" && m.Status != "active" {
		return false
	}
	return DaysBetween(m.Start, m.End) <= c.Thresholds.DmabDispensePeriodMaxDays
}

// denosumabDoses returns the denosumab 60 mg injections up to T, oldest
// first, one per injection.
//
// Five rules ask, so the answer is memoised per Context and shared: read
// it only (range, index, len), never append to or change it.
func denosumabDoses(c *Context) []dmabDose {
	if c.dmabDosesDone {
		return c.dmabDoses
	}
	c.dmabDoses, c.dmabDosesDone = slices.Clip(computeDenosumabDoses(c)), true
	return c.dmabDoses
}

// computeDenosumabDoses computes denosumabDoses without the memo.
func computeDenosumabDoses(c *Context) []dmabDose {
	sameInjectionDays := c.Thresholds.DmabIntervalDays / 2
	var doses []dmabDose
	var first time.Time
	// Records is sorted by start (stably), so the dose records are visited
	// oldest first without a sorted copy of their own.
	for _, m := range c.Records(DrugDenosumab, false) {
		if !isDmabDoseRecord(c, m) {
			continue
		}
		n := len(doses)
		if n > 0 && DaysBetween(first, m.Start) < sameInjectionDays {
			d := &doses[n-1]
			s, best := evidenceStrength(m.Kind), evidenceStrength(d.Record.Kind)
			if s > best || s == best && !m.Start.Before(d.Date) {
				d.Date, d.Record = m.Start, m
			}
			d.Weak = d.Weak && m.Kind == KindRequest
			continue
		}
		first = m.Start
		doses = append(doses, dmabDose{Date: m.Start, Record: m, Weak: m.Kind == KindRequest})
	}
	return doses
}

// lastDmabDose returns the latest injection.
func lastDmabDose(doses []dmabDose) (dmabDose, bool) {
	if len(doses) == 0 {
		return dmabDose{}, false
	}
	return doses[len(doses)-1], true
}

// denosumabStop returns the explicit stop of denosumab 60 mg that is still
// in force at T: at order-sign a draft (re-signed) order that stops it; at
// every hook except order-sign a therapy-level record that stops it and
// that no later injection or restart has overtaken. At order-sign only the
// draft counts, so that a stop documented long ago does not raise a
// critical card on every unrelated signature (patient-view shows it).
func denosumabStop(c *Context, doses []dmabDose) (MedicationRecord, bool) {
	if c.Facts.Hook == OrderSign {
		for _, m := range c.DraftOrders(DrugDenosumab) {
			if c.IsOncologyDenosumab(m) {
				continue
			}
			switch {
			case m.DoNotPerform, m.Status == "stopped", m.Status == "cancelled", m.Status == "completed":
				return m, true
			}
		}
		return MedicationRecord{}, false
	}
	var stop MedicationRecord
	found := false
	for _, m := range c.Records(DrugDenosumab, false) {
		if c.IsOncologyDenosumab(m) || m.SingleDose || !isTherapyStop(c, m) || stopOvertaken(c, m, doses) {
			continue
		}
		if !found || stopDate(m).After(stopDate(stop)) {
			stop, found = m, true
		}
	}
	return stop, found
}

// isTherapyStop reports whether a therapy-level statement or request says
// denosumab was stopped.
func isTherapyStop(c *Context, m MedicationRecord) bool {
	switch m.Kind {
	case KindStatement:
		switch m.Status {
		case "stopped", "not-taken":
			return true
		case "completed":
			return !m.End.IsZero() && !m.End.After(c.Facts.AsOf) && !isDmabDispense(c, m)
		}
	case KindRequest:
		return m.DoNotPerform || m.Status == "stopped" || m.Status == "cancelled"
	}
	return false
}

// stopDate is when a stop took effect as far as known: the end of use,
// else the record's own date.
func stopDate(m MedicationRecord) time.Time {
	if !m.End.IsZero() {
		return m.End
	}
	return m.Start
}

// stopOvertaken reports whether denosumab was resumed after the stop: an
// injection after the documented end of use, or a later therapy-level
// record that is active.
func stopOvertaken(c *Context, stop MedicationRecord, doses []dmabDose) bool {
	if !stop.End.IsZero() {
		for _, d := range doses {
			if d.Date.After(stop.End) {
				return true
			}
		}
	}
	for _, m := range c.Records(DrugDenosumab, false) {
		if c.IsOncologyDenosumab(m) || m.SingleDose || m.Kind == KindAdministration {
			continue
		}
		if c.StatusActive(m) && m.Start.After(stop.Start) {
			return true
		}
	}
	return false
}

// bisphosphonateAfter returns a bisphosphonate given, ordered or planned
// after day d (the last denosumab injection): the hand-over to a
// bisphosphonate that the ECTS advises. Draft orders count (at order-sign
// the zoledronic acid order is signed together with the stop). A record is
// dated by its planned date when it has one, else by its start; an undated
// draft order counts as today.
func bisphosphonateAfter(c *Context, d time.Time) (MedicationRecord, bool) {
	for _, m := range c.Records(DrugBisphosphonate, true) {
		if m.DoNotPerform {
			continue
		}
		switch m.Status {
		case "cancelled", "not-taken", "not-done", "entered-in-error":
			continue
		case "stopped", "completed":
			if m.Kind == KindDraftOrder {
				continue
			}
		}
		if bpDate(c, m).After(d) {
			return m, true
		}
	}
	return MedicationRecord{}, false
}

// bpDate is the date a bisphosphonate record stands for.
func bpDate(c *Context, m MedicationRecord) time.Time {
	if !m.PlannedDate.IsZero() {
		return m.PlannedDate
	}
	if m.Start.IsZero() {
		return c.Facts.AsOf
	}
	return m.Start
}

// zolPlanDate is when zoledronic acid should follow the last injection:
// last dose + ZOL_AFTER_DMAB_DAYS. overdue is true when that day has
// passed; the order is then planned now (a zero Order.Date).
func zolPlanDate(c *Context, last time.Time) (planned time.Time, overdue bool) {
	planned = last.AddDate(0, 0, c.Thresholds.ZolAfterDmabDays)
	if planned.Before(c.Facts.AsOf.Truncate(day)) {
		return planned, true
	}
	return planned, false
}

// monthsOf renders a number of days as whole months for card text
// (183 days → "6").
func monthsOf(days int) string {
	return itoa(int(math.Round(float64(days) * 12 / 365.25)))
}

// dmabLabel names the product of a denosumab record for evidence.
func dmabLabel(m MedicationRecord) Text {
	name := m.DisplayName()
	if name.EN == "" {
		name = Text{NL: "denosumab", EN: "denosumab"}
	}
	if m.StrengthMg > 0 {
		name.NL += " " + FormatNumberNL(m.StrengthMg) + " mg"
		name.EN += " " + FormatNumber(m.StrengthMg) + " mg"
	}
	return name
}

// recordKindText names where a dose date comes from, in both languages.
func recordKindText(k RecordKind) Text {
	switch k {
	case KindAdministration:
		return Text{NL: "toediening", EN: "administration"}
	case KindStatement:
		return Text{NL: "medicatieoverzicht", EN: "medication statement"}
	case KindRequest:
		return Text{NL: "voorschrijfdatum", EN: "prescription date"}
	case KindDraftOrder:
		return Text{NL: "conceptopdracht", EN: "draft order"}
	}
	return Text{NL: string(k), EN: string(k)}
}

// lastDoseEvidence is the evidence line for the last injection.
func lastDoseEvidence(d dmabDose) Evidence {
	k := recordKindText(d.Record.Kind)
	return Evidence{
		Label:     Text{NL: "Laatste denosumab-injectie (" + k.NL + ")", EN: "Last denosumab injection (" + k.EN + ")"},
		ValueText: dmabLabel(d.Record),
		Date:      d.Date,
		Source:    d.Record.Source,
	}
}

// weakDoseNote warns that the last dose is dated by a prescription only.
var weakDoseNote = Text{
	NL: "Let op: de datum van de laatste injectie is alleen de voorschrijfdatum, geen vastgelegde toediening. Controleer wanneer de injectie werkelijk gegeven is.",
	EN: "Note: the date of the last injection is only a prescription date, not a recorded administration. Check when the injection was actually given.",
}

// Suggestion keys of the denosumab rules. R18 and R20 share the denosumab
// order so that a response shows it once.
const (
	KeyOrderDenosumab60mg     = "order-denosumab-60mg"
	KeyOrderZolAfterDenosumab = "order-zoledronic-acid-after-denosumab"
)

// suggestDenosumab orders the next denosumab 60 mg injection at date (zero
// = now).
func suggestDenosumab(c *Context, date time.Time, label Text) Suggestion {
	m := monthsOf(c.Thresholds.DmabIntervalDays)
	mg := FormatNumber(c.Thresholds.DmabOPStrengthMg)
	mgNL := FormatNumberNL(c.Thresholds.DmabOPStrengthMg)
	return SuggestMedication(KeyOrderDenosumab60mg, DrugOrderDenosumab60mg, date, label,
		Text{NL: "voortzetten denosumab " + mgNL + " mg elke " + m + " maanden", EN: "continue denosumab " + mg + " mg every " + m + " months"})
}
