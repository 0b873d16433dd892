package rules

import "time"

// Shared helpers for the lab and treatment-follow-up rules R11, R12, R16
// and R17.

// AnalyteMProtein is serum protein electrophoresis for an M-protein
// (myeloma screen; NIV 2022 laboratory module, rules.md R12/R17). It is
// only ordered, never read: package fhir maps it to an order code.
const AnalyteMProtein Analyte = "m-protein"

// inFracturePreventionContext reports whether a patient-view falls within a
// fracture-prevention work-up or treatment (rules.md R11, R12): an
// osteoporosis drug in use, a recorded osteoporosis diagnosis, an index
// fracture (vertebral, or recent non-vertebral), or a DXA T-score in the
// osteopenic or osteoporotic range (T < TSCORE_OSTEOPENIA_UPPER).
func (c *Context) inFracturePreventionContext() bool {
	if c.ActiveOsteoporosisDrug() {
		return true
	}
	for _, cond := range c.Facts.Conditions {
		if cond.Has(ConceptOsteoporosis) && cond.Active {
			return true
		}
	}
	for _, f := range c.Fractures() {
		if c.RecentOrVertebral(f) {
			return true
		}
	}
	for _, d := range c.Facts.DXA {
		if d.Measure == TScore && !d.Date.After(c.Facts.AsOf) && d.Value < c.Thresholds.TScoreOsteopeniaUpper {
			return true
		}
	}
	return false
}

// boneDrugDrafts returns the draft orders for antiresorptive or anabolic
// bone drugs (BONE_DRUGS of rules.md R07, plus denosumab) in this order
// session; denosumab 120 mg (oncology) does not count.
func (c *Context) boneDrugDrafts(classes ...DrugClass) []MedicationRecord {
	var out []MedicationRecord
	for _, cl := range classes {
		for _, m := range c.DraftOrders(cl) {
			if m.DoNotPerform || c.IsOncologyDenosumab(m) {
				continue
			}
			switch m.Status {
			case "cancelled", "stopped", "entered-in-error", "completed":
				continue
			}
			out = append(out, m)
		}
	}
	return out
}

// labsMissingSince returns the analytes that have no result dated on or
// after since (and not after T).
func (c *Context) labsMissingSince(analytes []Analyte, since time.Time) []Analyte {
	var out []Analyte
	for _, a := range analytes {
		found := false
		for _, l := range c.Facts.Labs {
			if l.Analyte == a && !l.Date.Before(since.Truncate(day)) && !l.Date.After(c.Facts.AsOf) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// labEvidence shows a lab result as evidence in its canonical unit, with
// the value as sent only when a conversion changed the number (12 ng/mL
// shown next to 29.95 nmol/L); a mere respelling of the unit (m[IU]/L for
// mU/L) is not repeated.
func labEvidence(label Text, l Lab) Evidence {
	unit := l.Analyte.CanonicalUnit()
	if l.OriginalUnit == "" || l.OriginalUnit == unit || FormatNumber(l.OriginalValue) == FormatNumber(l.Value) {
		return Evidence{Label: label, Value: l.Display(), Unit: unit, Date: l.Date, Source: l.Source}
	}
	v := l.DisplayText()
	return Evidence{Label: label, ValueText: Text{
		NL: v.NL + " " + unit + " (verzonden als " + FormatNumberNL(l.OriginalValue) + " " + l.OriginalUnit + ")",
		EN: v.EN + " " + unit + " (sent as " + FormatNumber(l.OriginalValue) + " " + l.OriginalUnit + ")",
	}, Date: l.Date, Source: l.Source}
}
