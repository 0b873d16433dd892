package fhir

import (
	"encoding/json"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// serviceRequest is the part of a ServiceRequest that serviceOrderFacts
// reads, decoded from its Bundle (decodeBundle) and from
// context.draftOrders alike. samply's r4.ServiceRequest has some
// fifty members; decoding the two ServiceRequests of a typical request
// into it cost more than twice as much as this.
//
// The code stays samply's r4.CodeableConcept, so hasCoding reads exactly
// what it read and samply still checks it. Dates are plain strings: an
// absent and an empty date are both no date to dateOf.
//
// What is checked: the JSON type of every decoded member, by decoding, and
// by valid() the status, the one enum code read, with samply's own
// UnmarshalJSON on the raw code (an absent status reads "draft", samply's
// zero value; null and unknown codes make the resource a gap, as they
// did).
//
// What is no longer checked, because it is no longer decoded: the members
// no rule reads, among them intent and priority (samply rejected unknown
// codes there too), text, meta, identifier, category, doNotPerform,
// performer, reasonCode, note and the extensions. A DXA order whose
// intent code is odd is still a DXA order to the rules, which never read
// intent.
type serviceRequest struct {
	header
	Status             json.RawMessage     `json:"status"`
	Code               *r4.CodeableConcept `json:"code"`
	AuthoredOn         string              `json:"authoredOn"`
	OccurrenceDateTime string              `json:"occurrenceDateTime"`
	OccurrencePeriod   *period             `json:"occurrencePeriod"`
}

// status returns the status as samply decoded it; ok is false for a code
// samply rejected.
func (s *serviceRequest) status() (r4.RequestStatus, bool) {
	var st r4.RequestStatus // draft, samply's zero value, when absent
	if len(s.Status) == 0 {
		return st, true
	}
	return st, st.UnmarshalJSON(s.Status) == nil
}

// valid reports whether samply would have accepted the status (see the
// type comment).
func (s *serviceRequest) valid() bool {
	_, ok := s.status()
	return ok
}
