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
	out.Conditions = notAfter(f.Conditions, func(c Condition) bool { return c.Onset.After(t) })
	out.Labs = notAfter(f.Labs, func(l Lab) bool { return l.Date.After(t) })
	out.DXA = notAfter(f.DXA, func(d DXAMeasurement) bool { return d.Date.After(t) })
	out.Medications = notAfter(f.Medications, func(m MedicationRecord) bool { return medicationAfter(m, t) })
	out.Falls = notAfter(f.Falls, func(x FallRecord) bool { return x.Date.After(t) })
	out.Lifestyle = notAfter(f.Lifestyle, func(x LifestyleRecord) bool { return x.Date.After(t) })
	return out
}

// medicationAfter reports whether a record of use (a statement or an
// administration) starts after t. Requests and draft orders are orders,
// not use, and are kept.
func medicationAfter(m MedicationRecord, t time.Time) bool {
	return (m.Kind == KindStatement || m.Kind == KindAdministration) && m.Start.After(t)
}

// notAfter returns the records of xs that after does not place after T, in
// order; nil when none is left.
func notAfter[T any](xs []T, after func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if !after(x) {
			out = append(out, x)
		}
	}
	return out
}
