package rules

import (
	"slices"
	"time"
)

// This file answers the questions many rules ask in the same way, following
// the evaluation conventions of rules.md §0.3, so that every rule reads
// "active", "recent" and "exposure" identically.

const day = 24 * time.Hour

// DaysBetween returns whole days from a to b (negative when b is before a).
func DaysBetween(a, b time.Time) int {
	return int(b.Sub(a).Hours() / 24)
}

// MonthsBefore returns t minus n calendar months.
func MonthsBefore(t time.Time, n int) time.Time { return t.AddDate(0, -n, 0) }

// Age returns the patient's age at T. When the birth date is unknown it
// records the gap (age-gated rules are skipped, rules.md §0.3) and returns
// ok=false.
func (c *Context) Age() (years int, ok bool) {
	years, ok = c.Facts.Patient.AgeAt(c.Facts.AsOf)
	if !ok {
		c.Missing(Text{NL: "geboortedatum (leeftijd onbekend)", EN: "birth date (age unknown)"})
	}
	return years, ok
}

// LatestLab returns the most recent result for analyte a that is at most
// maxAgeDays old at T (maxAgeDays ≤ 0 means any age). Results dated after T
// are ignored.
func (c *Context) LatestLab(a Analyte, maxAgeDays int) (Lab, bool) {
	var best Lab
	found := false
	for _, l := range c.Facts.Labs {
		if l.Analyte != a || l.Date.After(c.Facts.AsOf) {
			continue
		}
		if maxAgeDays > 0 && DaysBetween(l.Date, c.Facts.AsOf) > maxAgeDays {
			continue
		}
		if !found || l.Date.After(best.Date) {
			best, found = l, true
		}
	}
	return best, found
}

// Below reports whether a lab result is certainly below limit, honouring
// its comparator: ">60" is never below 30, "<25" is below 30.
func (l Lab) Below(limit float64) bool {
	switch l.Comparator {
	case MoreThan, MoreOrEqual:
		return false
	case LessThan:
		return l.Value <= limit
	case LessOrEqual:
		return l.Value < limit
	}
	return l.Value < limit
}

// Above reports whether a lab result is certainly above limit.
func (l Lab) Above(limit float64) bool {
	switch l.Comparator {
	case LessThan, LessOrEqual:
		return false
	case MoreThan:
		return l.Value >= limit
	case MoreOrEqual:
		return l.Value > limit
	}
	return l.Value > limit
}

// Display renders the value with its comparator, e.g. ">60".
func (l Lab) Display() string {
	return string(l.Comparator) + FormatNumber(l.Value)
}

// DisplayText is Display in both languages (a decimal comma in Dutch).
func (l Lab) DisplayText() Text {
	return Text{NL: string(l.Comparator) + FormatNumberNL(l.Value), EN: l.Display()}
}

// Episode is a merged period of use of one drug class.
type Episode struct {
	Start, End time.Time
	// Open is true when the last record has no end and is active at T.
	Open    bool
	Records []MedicationRecord
}

// Days returns the episode length in days, counting an open episode up to T.
func (e Episode) Days(asOf time.Time) int {
	end := e.End
	if e.Open || end.After(asOf) {
		end = asOf
	}
	if end.Before(e.Start) {
		return 0
	}
	return DaysBetween(e.Start, end) + 1
}

// recordEnd decides where a record's use ends, rules.md §0.3: an explicit
// end; else, for a request, authoredOn + supply/validity; else, for an
// active record, T (still in use); else the start day only.
func (c *Context) recordEnd(m MedicationRecord) (end time.Time, open bool) {
	if !m.End.IsZero() {
		return m.End, false
	}
	if m.SingleDose {
		return m.Start, false
	}
	if c.StatusActive(m) {
		return c.Facts.AsOf, true
	}
	if m.SupplyDays > 0 {
		return m.Start.AddDate(0, 0, m.SupplyDays-1), false
	}
	return m.Start, false
}

// StatusActive reports whether a record's status says it is in use:
// active (or intended/on-hold for statements; active/draft for requests and
// draft orders) and not entered-in-error.
func (c *Context) StatusActive(m MedicationRecord) bool {
	if m.DoNotPerform {
		return false
	}
	switch m.Status {
	case "active":
		return true
	case "intended", "on-hold":
		return m.Kind == KindStatement || m.Kind == KindRequest
	case "draft":
		return m.Kind == KindRequest || m.Kind == KindDraftOrder
	}
	return false
}

// Records returns the medication records in class cl (draft orders
// included only when withDrafts), sorted by start date.
//
// The answer is memoised per Context (rules ask for the same classes over
// and over; filtering and sorting each time was about 7% of handler CPU)
// and the slice is shared by every caller, so it is read-only: range over
// it, or slices.Clone it before changing or sorting it, as Episodes does.
// TestRecordsCallersOnlyRangeOrClone enforces this for the rules package.
// Sharing instead of returning a copy halves the cost that remains, since
// records are large. The slice is clipped so that an append by a caller
// reallocates instead of writing into the shared array.
func (c *Context) Records(cl DrugClass, withDrafts bool) []MedicationRecord {
	key := recordsKey{cl, withDrafts}
	for _, e := range c.records {
		if e.key == key {
			return e.recs
		}
	}
	recs := slices.Clip(c.filterRecords(cl, withDrafts))
	if c.records == nil {
		// A catalog run asks about 15–20 keys: one allocation that fits
		// them, smaller than a map of that size.
		c.records = make([]recordsEntry, 0, 24)
	}
	c.records = append(c.records, recordsEntry{key, recs})
	return recs
}

// recordsKey is one question asked of Records.
type recordsKey struct {
	class      DrugClass
	withDrafts bool
}

// recordsEntry is one memoised answer of Records.
type recordsEntry struct {
	key  recordsKey
	recs []MedicationRecord
}

// filterRecords computes Records without the memo.
//
// It selects and sorts indexes, then copies each record once into a slice
// of the exact size: records are large, and growing or stably sorting a
// slice of them moved each record several times.
func (c *Context) filterRecords(cl DrugClass, withDrafts bool) []MedicationRecord {
	meds := c.Facts.Medications
	var idx []int
	for i := range meds {
		m := &meds[i]
		if !m.Is(cl) || m.Start.IsZero() && m.Kind != KindDraftOrder {
			continue
		}
		if m.Kind == KindDraftOrder && !withDrafts {
			continue
		}
		if m.Status == "entered-in-error" {
			continue
		}
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return nil
	}
	// Stable, so records with the same start keep their input order.
	slices.SortStableFunc(idx, func(a, b int) int { return meds[a].Start.Compare(meds[b].Start) })
	out := make([]MedicationRecord, len(idx))
	for k, i := range idx {
		out[k] = meds[i]
	}
	return out
}

// Episodes merges the records of class cl into episodes when the gap
// between them is at most Thresholds.BPMergeGapDays (rules.md §0.3).
// Draft orders count when withDrafts (a draft order is exposure that is
// about to start, dated T when it has no date).
func (c *Context) Episodes(cl DrugClass, withDrafts bool) []Episode {
	var eps []Episode
	// A copy: the loop below redates and re-sorts, and Records is shared.
	recs := slices.Clone(c.Records(cl, withDrafts))
	// Date undated drafts at T before ordering: Records sorts them first
	// (zero start), which would collapse the episode to the draft's day.
	redated := false
	for i := range recs {
		if recs[i].Kind == KindDraftOrder && recs[i].Start.IsZero() {
			recs[i].Start = c.Facts.AsOf
			redated = true
		}
	}
	// Records is already sorted by start (stably), so only a redated draft
	// can put recs out of order; re-sorting a sorted slice stably would
	// change nothing.
	if redated {
		slices.SortStableFunc(recs, func(a, b MedicationRecord) int { return a.Start.Compare(b.Start) })
	}
	for _, m := range recs {
		if m.Start.After(c.Facts.AsOf) && m.Kind != KindDraftOrder {
			continue
		}
		end, open := c.recordEnd(m)
		if n := len(eps); n > 0 && DaysBetween(eps[n-1].End, m.Start) <= c.Thresholds.BPMergeGapDays {
			last := &eps[n-1]
			if end.After(last.End) {
				last.End = end
			}
			last.Open = last.Open || open
			last.Records = append(last.Records, m)
			continue
		}
		eps = append(eps, Episode{Start: m.Start, End: end, Open: open, Records: []MedicationRecord{m}})
	}
	return eps
}

// CumulativeDays sums the days of all episodes of class cl up to T.
func (c *Context) CumulativeDays(cl DrugClass, withDrafts bool) int {
	total := 0
	for _, e := range c.Episodes(cl, withDrafts) {
		total += e.Days(c.Facts.AsOf)
	}
	return total
}

// Active reports whether class cl is in use at T: a record with an active
// status, or an episode whose end is at or after T (rules.md §0.3). Draft
// orders do not make a drug active.
func (c *Context) Active(cl DrugClass) bool {
	for _, m := range c.Records(cl, false) {
		if c.StatusActive(m) {
			return true
		}
		if !m.End.IsZero() && !m.End.Before(c.Facts.AsOf) && !m.SingleDose && m.Status != "stopped" && m.Status != "cancelled" {
			return true
		}
	}
	return false
}

// OsteoporosisDrugs are the classes that count as osteoporosis treatment
// (rules.md R01 condition 4).
var OsteoporosisDrugs = []DrugClass{DrugBisphosphonate, DrugDenosumab, DrugTeriparatide, DrugRomosozumab, DrugSERM, DrugStrontium}

// ActiveOsteoporosisDrug reports whether any osteoporosis drug is in use.
// Denosumab 120 mg (oncology) and zoledronic acid 4 mg do not count.
// Injectables are recorded as single doses (a MedicationAdministration, a
// statement with only a date), so a dose counts as treatment for as long as
// it covers: denosumab until the dose is critically overdue
// (DMAB_LATE_CRITICAL_DAYS: a late patient is on treatment and belongs to
// denosumab-dose-overdue, not to case finding), an intravenous
// bisphosphonate infusion for a year (yearly dosing, rules.md §0.3).
func (c *Context) ActiveOsteoporosisDrug() bool {
	for _, cl := range OsteoporosisDrugs {
		if cl == DrugDenosumab {
			for _, m := range c.Records(DrugDenosumab, false) {
				if c.IsOncologyDenosumab(m) {
					continue
				}
				if c.StatusActive(m) || (!m.End.IsZero() && !m.End.Before(c.Facts.AsOf)) {
					return true
				}
				if (m.SingleDose || isDmabDispense(c, m)) && c.coversAsOf(m.Start, c.Thresholds.DmabLateCriticalDays) {
					return true
				}
			}
			continue
		}
		if c.Active(cl) {
			return true
		}
	}
	for _, m := range c.Records(DrugBisphosphonateIV, false) {
		if c.ivBisphosphonateCovers(m) {
			return true
		}
	}
	return false
}

// ivBisphosphonateCovers reports whether m is an intravenous
// bisphosphonate infusion (a single dose; zoledronic acid 4 mg, oncology,
// excluded) that still covers T: yearly dosing, rules.md §0.3.
func (c *Context) ivBisphosphonateCovers(m MedicationRecord) bool {
	return m.Is(DrugBisphosphonateIV) && m.SingleDose &&
		!(m.Is(DrugZoledronicAcid) && m.StrengthMg > 0 && m.StrengthMg != c.Thresholds.ZolOPStrengthMg) &&
		c.coversAsOf(m.Start, 365)
}

// BisphosphonateInUse returns the bisphosphonate records in use at T, in
// the sense of ActiveOsteoporosisDrug: a record with an active status or an
// end at or after T (Context.Active, record by record), or an intravenous
// infusion that still covers T (a zoledronic acid 5 mg infusion counts for
// 365 days). The medication-safety rules (R08, R09) check these at
// patient-view, so a yearly infusion is checked between infusions too.
func (c *Context) BisphosphonateInUse() []MedicationRecord {
	var out []MedicationRecord
	for _, m := range c.Records(DrugBisphosphonate, false) {
		if c.StatusActive(m) ||
			(!m.End.IsZero() && !m.End.Before(c.Facts.AsOf) && !m.SingleDose && m.Status != "stopped" && m.Status != "cancelled") ||
			c.ivBisphosphonateCovers(m) {
			out = append(out, m)
		}
	}
	return out
}

// coversAsOf reports whether a dose given on dose still covers T, given
// how many days one dose covers.
func (c *Context) coversAsOf(dose time.Time, days int) bool {
	if dose.IsZero() || dose.After(c.Facts.AsOf) {
		return false
	}
	return DaysBetween(dose, c.Facts.AsOf) <= days
}

// IsOncologyDenosumab reports whether a denosumab record is the 120 mg
// oncology product (Xgeva), which the osteoporosis rules exclude: by its
// strength, or, when the strength is unknown, by a dosing pattern with
// injections less than DMAB_ONCOLOGY_MAX_INTERVAL_DAYS apart (Xgeva is given
// every 4 weeks, Prolia every 6 months). The unknown product is then
// reported as insufficient data.
func (c *Context) IsOncologyDenosumab(m MedicationRecord) bool {
	if !m.Is(DrugDenosumab) {
		return false
	}
	if m.StrengthMg > 0 {
		return m.StrengthMg != c.Thresholds.DmabOPStrengthMg
	}
	if c.unknownDenosumabShortIntervals() {
		c.Missing(Text{
			NL: "denosumab product (60 of 120 mg) onbekend; injecties < " + itoa(c.Thresholds.DmabOncologyMaxIntervalDays) + " dagen uit elkaar passen bij 120 mg (oncologie) en tellen niet als osteoporosebehandeling",
			EN: "denosumab product (60 or 120 mg) unknown; injections < " + itoa(c.Thresholds.DmabOncologyMaxIntervalDays) + " days apart fit 120 mg (oncology) and do not count as osteoporosis treatment",
		})
		return true
	}
	return false
}

// unknownDenosumabShortIntervals reports whether the denosumab injections
// of unknown strength include an interval shorter than
// DMAB_ONCOLOGY_MAX_INTERVAL_DAYS between two records of the same kind
// (two administrations, or two single-dose statements) on different days;
// an administration and a statement a few days apart can be one injection.
//
// IsOncologyDenosumab asks this for every denosumab record of unknown
// strength, and each answer scans all denosumab records, so the answer is
// memoised per Context to keep the cost linear in the records.
func (c *Context) unknownDenosumabShortIntervals() bool {
	if c.dmabShortKnown {
		return c.dmabShort
	}
	c.dmabShort, c.dmabShortKnown = c.computeUnknownDenosumabShortIntervals(), true
	return c.dmabShort
}

// computeUnknownDenosumabShortIntervals computes
// unknownDenosumabShortIntervals without the memo.
func (c *Context) computeUnknownDenosumabShortIntervals() bool {
	days := map[RecordKind][]time.Time{}
	for _, m := range c.Records(DrugDenosumab, false) {
		if m.StrengthMg > 0 || m.DoNotPerform || m.Start.After(c.Facts.AsOf) {
			continue
		}
		if m.Kind != KindAdministration && !(m.Kind == KindStatement && m.SingleDose) {
			continue
		}
		if m.Status == "not-done" || m.Status == "not-taken" {
			continue
		}
		days[m.Kind] = append(days[m.Kind], m.Start.Truncate(day))
	}
	for _, ds := range days {
		for i := 1; i < len(ds); i++ {
			if gap := DaysBetween(ds[i-1], ds[i]); gap > 0 && gap < c.Thresholds.DmabOncologyMaxIntervalDays {
				return true
			}
		}
	}
	return false
}

// DraftOrders returns the draft orders (context.draftOrders) in class cl.
func (c *Context) DraftOrders(cl DrugClass) []MedicationRecord {
	var out []MedicationRecord
	for _, m := range c.Facts.Medications {
		if m.Kind == KindDraftOrder && m.Is(cl) {
			out = append(out, m)
		}
	}
	return out
}

// Fractures returns the active-or-historical fracture conditions that count
// for case finding (included and not excluded), sorted by onset.
//
// The answer is memoised per Context (a dozen rules ask) and shared by
// every caller, so it is read-only: range over it, like Records.
// TestRecordsCallersOnlyRangeOrClone enforces this.
func (c *Context) Fractures() []Condition {
	if c.fracturesDone {
		return c.fractures
	}
	c.fractures, c.fracturesDone = slices.Clip(c.filterFractures()), true
	return c.fractures
}

// filterFractures computes Fractures without the memo.
func (c *Context) filterFractures() []Condition {
	var out []Condition
	for _, cond := range c.Facts.Conditions {
		if !cond.Has(ConceptFracture) && !cond.Has(ConceptVertebralFracture) {
			continue
		}
		if cond.Has(ConceptFractureExcluded) {
			continue
		}
		if cond.Has(ConceptVertebralFracture) && cond.GenantGrade == 1 && !c.Thresholds.VFAGrade1Counts {
			continue
		}
		out = append(out, cond)
	}
	slices.SortStableFunc(out, func(a, b Condition) int { return a.Onset.Compare(b.Onset) })
	return out
}

// RecentOrVertebral reports whether a fracture counts as an index fracture
// at T: vertebral at any time (VERTEBRAL_FRACTURE_ANYTIME) or dated within
// RECENT_FRACTURE_MONTHS. An undated non-vertebral fracture does not count.
func (c *Context) RecentOrVertebral(f Condition) bool {
	if f.Has(ConceptVertebralFracture) && c.Thresholds.VertebralFractureAnytime {
		return true
	}
	if f.Onset.IsZero() || f.Onset.After(c.Facts.AsOf) {
		return false
	}
	return f.Onset.After(MonthsBefore(c.Facts.AsOf, c.Thresholds.RecentFractureMonths))
}

// DXAOnOrAfter reports whether a DXA T-score or BMD is dated on or after t
// (and not after T).
func (c *Context) DXAOnOrAfter(t time.Time) bool {
	for _, d := range c.Facts.DXA {
		if d.Measure != TScore && d.Measure != BMD {
			continue
		}
		if !d.Date.Before(t.Truncate(day)) && !d.Date.After(c.Facts.AsOf) {
			return true
		}
	}
	return false
}

// LowestTScore returns the lowest T-score over lumbar spine, total hip and
// femoral neck measured on or after since (forearm only when it is the only
// site), following the WHO/ISCD lowest-site convention (rules.md §0.3).
func (c *Context) LowestTScore(since time.Time) (DXAMeasurement, bool) {
	var best, forearm DXAMeasurement
	found, foundForearm := false, false
	for _, d := range c.Facts.DXA {
		if d.Measure != TScore || d.Date.Before(since) || d.Date.After(c.Facts.AsOf) {
			continue
		}
		switch d.Site {
		case SiteLumbarSpine, SiteTotalHip, SiteFemoralNeck:
			if !found || d.Value < best.Value {
				best, found = d, true
			}
		case SiteForearm:
			if !foundForearm || d.Value < forearm.Value {
				forearm, foundForearm = d, true
			}
		}
	}
	if found {
		return best, true
	}
	return forearm, foundForearm
}

// ServiceOrdersOf returns service requests of kind k.
func (c *Context) ServiceOrdersOf(k ServiceKind) []ServiceOrder {
	var out []ServiceOrder
	for _, s := range c.Facts.ServiceOrder {
		if s.Kind == k {
			out = append(out, s)
		}
	}
	return out
}
