package fhir

import (
	"bytes"
	"fmt"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// resource is a resource type the rules read, decoded straight from its
// Bundle into a small struct holding only what the rules read
// (observation, condition, medicationStatement, medicationAdministration,
// serviceRequest, medicationRequest). There is one decode path per type:
// decodeBundle.
type resource interface {
	head() header
	// valid reports whether the codes the rules read are FHIR codes; an
	// invalid resource is set aside as a gap, never guessed at.
	valid() bool
}

// decodeBundle decodes body, a Bundle of typ (and maybe Medications and
// OperationOutcomes), into res. Another resource type or data about
// another patient is an error, an error OperationOutcome a failed search,
// and a resource that cannot be read a gap naming the element that could
// not be read.
//
// The Bundle is first decoded whole into T, the common case and the
// fastest. When that fails (one entry in an unusual shape) or the Bundle
// holds other types (a Medication included with the statements), it is
// decoded again entry by entry (entry), so that one entry costs no other;
// both read the same struct with the same checks (admit).
func decodeBundle[T any, PT interface {
	*T
	resource
}](key, typ string, body []byte, allowed map[string]bool, patientID string, res *resources, add func(*resources, PT)) (next string, err error) {
	if next, ok, err := decodeWholeBundle(key, typ, body, allowed, patientID, res, add); ok {
		return next, err
	}
	var b bundleOf[entry[T, PT]]
	if err := unmarshal(body, &b); err != nil {
		return "", fmt.Errorf("prefetch key %s: malformed Bundle: %w", key, ErrInvalidInput)
	}
	return walkBundle(key, &b, func(e entry[T, PT]) bool {
		return e.res != nil && e.res.head().failedSearch()
	}, func(e entry[T, PT]) error {
		switch {
		case e.err != nil:
			return e.setAside(key, allowed, patientID, res)
		case e.res == nil:
			return nil
		case e.res.head().ResourceType == "Medication":
			return addMedication(key, e.raw, e.res.head(), allowed, patientID, res)
		}
		return admit(key, typ, e.res, allowed, patientID, res, add)
	})
}

// decodeWholeBundle is decodeBundle's first try: the Bundle decoded whole
// into T. ok is false, and res untouched, when that does not fit.
func decodeWholeBundle[T any, PT interface {
	*T
	resource
}](key, typ string, body []byte, allowed map[string]bool, patientID string, res *resources, add func(*resources, PT)) (next string, ok bool, err error) {
	var whole bundleOf[PT]
	if entryByEntryOnly || unmarshal(body, &whole) != nil || !onlyOf(&whole, typ, allowed) {
		return "", false, nil
	}
	next, err = walkBundle(key, &whole, func(r PT) bool {
		return r != nil && r.head().failedSearch()
	}, func(r PT) error {
		if r == nil {
			return nil // an entry without a resource (e.g. only a fullUrl)
		}
		return admit(key, typ, r, allowed, patientID, res, add)
	})
	return next, true, err
}

// entryByEntryOnly skips the whole-Bundle decode, for the test that proves
// both read the same data.
var entryByEntryOnly = false

// onlyOf reports whether b holds no other type the key may hold than typ
// (a Medication included with the statements); a type the key may not
// hold at all is rejected by admit.
func onlyOf[T any, PT interface {
	*T
	resource
}](b *bundleOf[PT], typ string, allowed map[string]bool) bool {
	for _, e := range b.Entry {
		if e.Resource != nil {
			if rt := e.Resource.head().ResourceType; rt != typ && allowed[rt] {
				return false
			}
		}
	}
	return true
}

// admit checks one decoded resource and adds it to res.
func admit[PT resource](key, typ string, r PT, allowed map[string]bool, patientID string, res *resources, add func(*resources, PT)) error {
	h := r.head()
	if h.ResourceType == "OperationOutcome" {
		return nil // an outcome entry without search.mode
	}
	if !allowed[h.ResourceType] {
		return fmt.Errorf("prefetch key %s: holds %s: %w", key, quoteType(h.ResourceType), ErrInvalidInput)
	}
	if err := h.checkPatient(patientID); err != nil {
		return fmt.Errorf("prefetch key %s: %w", key, err)
	}
	if h.ResourceType != typ || !r.valid() {
		res.setAside(h.ResourceType, "", idRef(h.ResourceType, h.ID))
		return nil
	}
	add(res, r)
	return nil
}

// checkPatient rejects a resource whose subject or patient names another
// patient than patientID.
func (h header) checkPatient(patientID string) error {
	if err := checkReference(h.Subject.Reference, patientID); err != nil {
		return err
	}
	return checkReference(h.Patient.Reference, patientID)
}

// entry is one Bundle entry's resource, decoded on its own: a T, or the
// error that kept it from being one, with its header read as far as it
// can be.
type entry[T any, PT interface {
	*T
	resource
}] struct {
	res PT
	// raw is a copy of the JSON of a Medication entry (decoded as such by
	// addMedication).
	raw []byte
	err error
	// h is the header of an entry that could not be decoded; nil when not
	// even that could be.
	h *entryHeader
}

// UnmarshalJSON decodes one entry resource; it never fails, so that one
// entry costs no other.
func (e *entry[T, PT]) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil
	}
	r := PT(new(T))
	if err := decodeResource(data, r); err != nil {
		e.err = err
		var h entryHeader
		if unmarshal(data, &h) == nil {
			e.h = &h
		}
		return nil
	}
	e.res = r
	if r.head().ResourceType == "Medication" {
		e.raw = bytes.Clone(data)
	}
	return nil
}

// setAside reports an entry that could not be decoded as a gap naming the
// element, after the checks that protect the patient: another resource
// type or another patient's data is still an error.
func (e *entry[T, PT]) setAside(key string, allowed map[string]bool, patientID string, res *resources) error {
	if e.h == nil {
		res.setAside("resource in "+key, "", "")
		return nil
	}
	h := e.h
	if h.ResourceType == "OperationOutcome" {
		return nil
	}
	if !allowed[h.ResourceType] {
		return fmt.Errorf("prefetch key %s: holds %s: %w", key, quoteType(h.ResourceType), ErrInvalidInput)
	}
	if err := checkSubject(*h, patientID); err != nil {
		return fmt.Errorf("prefetch key %s: %w", key, err)
	}
	res.setAside(h.ResourceType, elementOf(e.err), refOf(h.ResourceType, *h))
	return nil
}

// addMedication keeps a Medication that came with the key's resources, by
// "Medication/id", for their medicationReference.
func addMedication(key string, raw []byte, h header, allowed map[string]bool, patientID string, res *resources) error {
	if !allowed["Medication"] {
		return fmt.Errorf("prefetch key %s: holds %s: %w", key, quoteType("Medication"), ErrInvalidInput)
	}
	ref := idRef("Medication", h.ID)
	m, err := decodeAs[r4.Medication](raw)
	if err != nil {
		res.setAside("Medication", elementOf(err), ref)
		return nil
	}
	if ref != "" {
		if res.medications == nil {
			res.medications = map[string]r4.Medication{}
		}
		res.medications[string(ref)] = m
	}
	return nil
}

// The add functions keep a decoded resource.
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
