package fhir

import "fmt"

// onePass is a resource type decoded in one pass together with its
// Bundle, instead of a copy of every entry, a header pass per entry and
// then the resource: small structs holding only what the rules read
// (observation, condition, medicationStatement, medicationAdministration,
// serviceRequest, medicationRequest). With it a typical request went from about 1.0 to
// 0.45 ms of CPU (README "Performance").
type onePass interface {
	head() header
	// valid reports whether samply would have accepted the codes the
	// rules read; an invalid entry becomes a gap.
	valid() bool
}

// decodeOnePass decodes body as a Bundle of T and adds every entry to res
// with add, with the same checks and outcomes as the entry-by-entry path
// (decodeEntry): another resource type or data about another patient is an
// error, an invalid entry a gap, an error OperationOutcome a failed search.
// ok is false when the Bundle does not fit T; the caller then reads it
// entry by entry.
func decodeOnePass[T any, PT interface {
	*T
	onePass
}](key, typ string, body []byte, allowed map[string]bool, patientID string, res *resources, add func(*resources, PT), fast func([]byte, *bundleOf[PT]) bool) (next string, ok bool, err error) {
	var b bundleOf[PT]
	// The hand-written decoder of the type (fastdecode.go), where there
	// is one, reads what unmarshal reads or refuses.
	if fast == nil || !fast(body, &b) {
		b = bundleOf[PT]{}
		if unmarshal(body, &b) != nil {
			return "", false, nil
		}
	}
	for _, e := range b.Entry {
		// Another type the key may hold (a Medication included with the
		// statements) decodes into T without error but is not a T.
		if e.Resource != nil {
			if rt := e.Resource.head().ResourceType; rt != typ && rt != "OperationOutcome" && allowed[rt] {
				return "", false, nil
			}
			// A resource may ask for the entry-by-entry path, for a check
			// only that path makes (medicationRequest.entryByEntry).
			if r, ok := any(e.Resource).(interface{ entryByEntry() bool }); ok && r.entryByEntry() {
				return "", false, nil
			}
		}
	}
	next, err = walkBundle(key, &b, func(r PT) bool {
		return r != nil && r.head().failedSearch()
	}, func(r PT) error {
		if r == nil {
			return nil // an entry without a resource (e.g. only a fullUrl)
		}
		h := r.head()
		if h.ResourceType == "OperationOutcome" {
			return nil // an outcome entry without search.mode
		}
		if !allowed[h.ResourceType] {
			return fmt.Errorf("prefetch key %s: holds %s: %w", key, quoteType(h.ResourceType), ErrInvalidInput)
		}
		if err := checkReference(h.Subject.Reference, patientID); err != nil {
			return fmt.Errorf("prefetch key %s: %w", key, err)
		}
		if !r.valid() {
			res.gaps = append(res.gaps, unreadable(h.ResourceType, idRef(h.ResourceType, h.ID)))
			return nil
		}
		add(res, r)
		return nil
	})
	return next, true, err
}

// The add functions keep a one-pass resource.
func (r *resources) addObservation(o *observation) { r.observations = append(r.observations, o) }
func (r *resources) addCondition(c *condition)     { r.conditions = append(r.conditions, c) }

// addStatement and addAdministration also record the contained
// Medications, by "Type/id#id": the resource's JSON is not kept, so a
// "#id" medicationReference could not be resolved later.
func (r *resources) addStatement(s *medicationStatement) {
	r.medicationStatements = append(r.medicationStatements, s)
	addContained(r, idRef("MedicationStatement", s.ID), s.Contained)
}
func (r *resources) addAdministration(a *medicationAdministration) {
	r.medicationAdministrations = append(r.medicationAdministrations, a)
	addContained(r, idRef("MedicationAdministration", a.ID), a.Contained)
}
func (r *resources) addServiceRequest(s *serviceRequest) {
	r.serviceRequests = append(r.serviceRequests, s)
}
