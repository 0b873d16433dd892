package rules

// Glucocorticoid exposure, shared by glucocorticoid-bone-risk (R02) and
// bone-risk-medication (R03).
//
// Systemic means ATC H02AB* (oral/parenteral), rules.md §2.3. Inhaled
// (R03BA/R03AK), nasal (R01AD), intestinal-local (A07EA), dermal (D07) and
// eye/ear (S01B/S02B/S03B) corticosteroids are not systemic: the fhir
// package marks them DrugGlucocorticoidLocal, and a record whose route is
// inhalation, nasal, topical or another local route is not systemic either,
// whatever its class (SEED-GP Casus 1 "Corticosteroïden: alleen inhalatie
// medicatie").
//
// Prednisolone-equivalent factors (rules.md §2.3; standard pharmacology
// tables, UNVERIFIED in this project: a pharmacist must confirm them):
// prednisolone 1, prednisone 1, methylprednisolone 1.25, triamcinolone 1.25,
// hydrocortisone 0.25, cortisone 0.2, dexamethasone 6.67, betamethasone
// 8.33, deflazacort 0.83. They are clinical knowledge, not configuration,
// and live here next to the rule that uses them. The ingredient is matched
// on MedicationRecord.Name (English INN from the code tables) or, failing
// that, on the ATC code H02AB* (ATC codes likewise UNVERIFIED here).

import (
	"sort"
	"strings"
	"time"
)

// predEqFactors maps an ingredient to its prednisolone-equivalent factor
// (mg prednisolone per mg of the ingredient). UNVERIFIED, see above.
var predEqFactors = map[string]float64{
	"prednisolone":       1,
	"prednisone":         1,
	"methylprednisolone": 1.25,
	"triamcinolone":      1.25,
	"hydrocortisone":     0.25,
	"cortisone":          0.2,
	"dexamethasone":      6.67,
	"betamethasone":      8.33,
	"deflazacort":        0.83,
}

// predEqATC maps the ATC code of a systemic corticosteroid to its
// ingredient in predEqFactors. UNVERIFIED.
var predEqATC = map[string]string{
	"H02AB01": "betamethasone",
	"H02AB02": "dexamethasone",
	"H02AB04": "methylprednisolone",
	"H02AB06": "prednisolone",
	"H02AB07": "prednisone",
	"H02AB08": "triamcinolone",
	"H02AB09": "hydrocortisone",
	"H02AB10": "cortisone",
	"H02AB13": "deflazacort",
}

// gcIngredient returns the ingredient of a glucocorticoid record as a key of
// predEqFactors, or "" when unknown.
func gcIngredient(m MedicationRecord) string {
	name := strings.ToLower(strings.TrimSpace(m.Name))
	if _, ok := predEqFactors[name]; ok {
		return name
	}
	code := strings.TrimSpace(strings.TrimPrefix(m.Code, "ATC"))
	if i := strings.IndexByte(code, ' '); i > 0 {
		code = code[:i]
	}
	return predEqATC[strings.ToUpper(code)]
}

// PrednisoloneEquivalentMg returns the daily dose of a glucocorticoid record
// in mg prednisolone equivalent; ok is false when the dose or the
// ingredient is unknown.
func PrednisoloneEquivalentMg(m MedicationRecord) (mg float64, ok bool) {
	factor, known := predEqFactors[gcIngredient(m)]
	if !known || m.DailyDoseMg <= 0 {
		return 0, false
	}
	return m.DailyDoseMg * factor, true
}

// localRoutes are routes that make a corticosteroid non-systemic.
var localRoutes = map[string]bool{
	"inhalation": true, "nasal": true, "topical": true, "cutaneous": true,
	"ophthalmic": true, "otic": true, "rectal": true, "intra-articular": true,
}

// IsSystemicGlucocorticoid reports whether a record is a systemic
// glucocorticoid (class glucocorticoid-systemic, not local by class or by
// route).
func IsSystemicGlucocorticoid(m MedicationRecord) bool {
	return m.Is(DrugGlucocorticoidSystemic) && !m.Is(DrugGlucocorticoidLocal) && !localRoutes[strings.ToLower(m.Route)]
}

// gcCourse is a continuous period of systemic glucocorticoid use: records
// no more than GC_CONTINUOUS_GAP_DAYS apart.
type gcCourse struct {
	Start, End time.Time
	Records    []MedicationRecord
	// Draft is true when a draft order (context.draftOrders) is part of
	// the course: the course is (partly) planned.
	Draft bool
}

// Days returns the course length in days, the planned part included.
func (g gcCourse) Days() int { return DaysBetween(g.Start, g.End) + 1 }

// gcSpan returns the period a glucocorticoid record covers. A draft order
// starts at T (or its planned date) and lasts its supply duration; an
// explicit end date, also a planned one in the future, is taken as given;
// otherwise Context.recordEnd applies (an active record runs until T).
func gcSpan(c *Context, m MedicationRecord) (start, end time.Time) {
	start = m.Start
	if m.Kind == KindDraftOrder {
		if start.IsZero() {
			start = m.PlannedDate
		}
		if start.IsZero() {
			start = c.Facts.AsOf
		}
		end = start
		if m.SupplyDays > 0 {
			end = start.AddDate(0, 0, m.SupplyDays-1)
		}
		return start, end
	}
	end, _ = c.recordEnd(m)
	if end.Before(start) {
		end = start
	}
	return start, end
}

// gcCourses merges the systemic glucocorticoid records that pass keep
// into continuous courses, sorted by start. Drafts count when withDrafts.
// Records that were never taken (cancelled, not-taken, doNotPerform) and
// records starting after T (other than drafts) are ignored.
func gcCourses(c *Context, withDrafts bool, keep func(MedicationRecord) bool) []gcCourse {
	type span struct {
		start, end time.Time
		m          MedicationRecord
	}
	var spans []span
	for _, m := range c.Records(DrugGlucocorticoidSystemic, withDrafts) {
		if !IsSystemicGlucocorticoid(m) || m.DoNotPerform || (keep != nil && !keep(m)) {
			continue
		}
		switch {
		case m.Status == "cancelled" || m.Status == "not-taken":
			continue
		case m.Kind == KindDraftOrder && !c.StatusActive(m):
			continue
		case m.Kind != KindDraftOrder && m.Start.After(c.Facts.AsOf):
			continue
		}
		start, end := gcSpan(c, m)
		spans = append(spans, span{start, end, m})
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	var courses []gcCourse
	for _, sp := range spans {
		isDraft := sp.m.Kind == KindDraftOrder
		if n := len(courses); n > 0 && DaysBetween(courses[n-1].End, sp.start) <= c.Thresholds.GCContinuousGapDays {
			last := &courses[n-1]
			if sp.end.After(last.End) {
				last.End = sp.end
			}
			last.Records = append(last.Records, sp.m)
			last.Draft = last.Draft || isDraft
			continue
		}
		courses = append(courses, gcCourse{Start: sp.start, End: sp.end, Records: []MedicationRecord{sp.m}, Draft: isDraft})
	}
	return courses
}
