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
}

// Result is the outcome of gathering: the facts for the rules, and the raw
// resources a suggestion may need to update.
type Result struct {
	Facts rules.Facts
	raw   map[rules.Ref]json.RawMessage
}

// Resource returns the JSON of the resource ref as received, if kept.
func (r Result) Resource(ref rules.Ref) (json.RawMessage, bool) {
	b, ok := r.raw[ref]
	return b, ok
}
