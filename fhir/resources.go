package fhir

import (
	"encoding/json"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// resources is the decoded FHIR data of one request: what the prefetch
// and the FHIR-server fallback produced, before it is turned into facts.
// Decoding (prefetch.go, client.go) fills it; extraction (facts.go) reads it.
type resources struct {
	patient                   *patient
	observations              []*observation
	conditions                []*condition
	medicationStatements      []*medicationStatement
	medicationRequests        []*medicationRequest
	medicationAdministrations []*medicationAdministration
	serviceRequests           []*serviceRequest
	// medications are Medication resources (contained or referenced), by
	// reference ("Medication/id" or "#id"), for medicationReference.
	medications map[string]r4.Medication
	// draftMedicationRequests and draftServiceRequests come from
	// context.draftOrders.
	draftMedicationRequests []*medicationRequest
	draftServiceRequests    []*serviceRequest
	// selections is context.selections ("Type/id").
	selections []string
	// raw keeps the JSON of resources that a card may need to send back
	// whole (an update of a MedicationRequest to status stopped), by
	// "Type/id".
	raw map[rules.Ref]json.RawMessage
	// gaps are resources that could not be decoded (an unknown enum code),
	// reported on the insufficient-data card instead of silently dropped.
	gaps []rules.Gap
	// unreadable names each resource set aside, as "Type.element" (or
	// "Type" when no element is to blame), for the log: never values.
	unreadable []string
}

// setAside records a resource of type typ that could not be read because
// of element ("" when no one element is to blame): a gap for the
// insufficient-data card that names the element, and the name for the
// log.
func (r *resources) setAside(typ, element string, ref rules.Ref) {
	what := typ
	if element != "" {
		what += "." + element
	}
	r.gaps = append(r.gaps, unreadable(what, ref))
	r.unreadable = append(r.unreadable, what)
}

// Result is the outcome of gathering: the facts for the rules, and the raw
// resources a suggestion may need to update.
type Result struct {
	Facts rules.Facts
	raw   map[rules.Ref]json.RawMessage
	// Unreadable names the resources set aside because an element a
	// decision needs could not be read, as "Type.element", for the log.
	Unreadable []string
	// SelectionPending is true for an order-select whose selected draft
	// orders have no medication chosen yet (the CDS Hooks Sandbox's Rx
	// View fires one when it opens): there is nothing to advise on yet.
	SelectionPending bool
}

// Resource returns the JSON of the resource ref as received, if kept.
func (r Result) Resource(ref rules.Ref) (json.RawMessage, bool) {
	b, ok := r.raw[ref]
	return b, ok
}
