package rules

import "time"

// asOf returns the facts as they were known at T: conditions, results,
// falls and recorded doses dated after T are left out, so that nothing
// dated after T drives a card (`fracturecds eval --as-of` before a
// fracture must not use that fracture; issue 12). Orders (requests and
// draft orders) stay: a request may plan a dose after T and still be the
// current order. When nothing is dated after T, f is returned as is,
// without copying.
func (f Facts) asOf() Facts {
	t := f.AsOf
	if t.IsZero() {
		return f
	}
	future := false
	for _, c := range f.Conditions {
		future = future || c.Onset.After(t)
	}
	for _, l := range f.Labs {
		future = future || l.Date.After(t)
	}
	for _, d := range f.DXA {
		future = future || d.Date.After(t)
	}
	for _, m := range f.Medications {
		future = future || medicationAfter(m, f.AsOf)
	}
	for _, x := range f.Falls {
		future = future || x.Date.After(t)
	}
	for _, x := range f.Lifestyle {
		future = future || x.Date.After(t)
	}
	if !future {
		return f
	}
	out := f
	out.Conditions = nil
	for _, c := range f.Conditions {
		if !c.Onset.After(t) {
			out.Conditions = append(out.Conditions, c)
		}
	}
	out.Labs = nil
	for _, l := range f.Labs {
		if !l.Date.After(t) {
			out.Labs = append(out.Labs, l)
		}
	}
	out.DXA = nil
	for _, d := range f.DXA {
		if !d.Date.After(t) {
			out.DXA = append(out.DXA, d)
		}
	}
	out.Medications = nil
	for _, m := range f.Medications {
		if !medicationAfter(m, t) {
			out.Medications = append(out.Medications, m)
		}
	}
	out.Falls = nil
	for _, x := range f.Falls {
		if !x.Date.After(t) {
			out.Falls = append(out.Falls, x)
		}
	}
	out.Lifestyle = nil
	for _, x := range f.Lifestyle {
		if !x.Date.After(t) {
			out.Lifestyle = append(out.Lifestyle, x)
		}
	}
	return out
}

// medicationAfter reports whether a record of use (a statement or an
// administration) starts after t. Requests and draft orders are orders,
// not use, and are kept.
func medicationAfter(m MedicationRecord, t time.Time) bool {
	return (m.Kind == KindStatement || m.Kind == KindAdministration) && m.Start.After(t)
}
