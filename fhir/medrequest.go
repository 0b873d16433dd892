package fhir

import (
	"bytes"
	"encoding/json"
	"strings"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// medicationRequest is the part of a MedicationRequest that
// recordBuilder.request reads, decoded from its Bundle (decodeBundle) and
// from context.draftOrders alike (decodeResource), plus
// the resource's JSON as received (raw). samply's r4.MedicationRequest,
// decoded from a copy of each entry after a header pass, made the two
// requests of a typical request cost 40 % of its 43 Observations.
//
// raw is kept because a card may send the request back whole (hooks
// card.go: StopResource on Result.Resource) and because a "#id"
// medicationReference is resolved from its contained list
// (containedMedication). It is the entry's bytes exactly as received, also
// when decodeResource had to reshape them (keepRaw).
//
// Members keep samply's Go shape wherever absent and empty differ to
// request(): authoredOn, doNotPerform, validityPeriod.end (present but
// empty still ends the supply calculation) and the dispense request, the
// validity period and the expected supply duration, which stay samply's
// r4.Period and r4.Duration. The medication concept and the routes stay
// samply's r4.CodeableConcept; dosages are the statements' dosage type,
// whose summary was proven equal to samply's (medresources_test.go).
//
// What is checked:
//   - the JSON type of every decoded member, by decoding (a string where
//     an object belongs is a gap naming the member; one object where R4
//     says list, and a list of one where R4 says object, are read:
//     decodeResource);
//   - by valid(), the enum codes samply validated in the decoded members
//     that are not samply types: doseQuantity comparator
//     (QuantityComparator) and timing.repeat.dayOfWeek (DaysOfWeek), with
//     samply's own UnmarshalJSON (dosage.valid);
//   - fully as samply did, by decoding samply's types: the medication
//     concept, the routes, dispenseRequest.validityPeriod and
//     dispenseRequest.expectedSupplyDuration (its comparator).
//
// status and intent are not checked: samply keeps both as plain strings
// and never rejected one; request() copies status as sent.
//
// What is no longer checked, because it is no longer decoded at all: the
// JSON types and enum codes of the members no rule reads, among them
// priority (RequestPriority: samply rejected an unknown code), intent's
// JSON type, text (Narrative.status), meta, identifier and groupIdentifier
// (Identifier.use), extension and modifierExtension, statusReason,
// category, reported[x], encounter, requester, performer, recorder,
// reasonCode, reasonReference, basedOn, courseOfTherapyType, insurance,
// note, substitution, priorPrescription, detectedIssue, eventHistory, the
// identifier of subject and medicationReference; in the dispense request
// initialFill, dispenseInterval and quantity (their comparators) and
// performer; in each dosage text, additionalInstruction,
// patientInstruction, asNeeded[x], site, method, doseRange and rate[x]
// (their comparators), maxDosePer*, and of its timing the bounds[x], count,
// duration, offset and the display and text of timing.code. samply
// rejected the whole request for one bad code there, which made a
// readable order with a readable drug and period a gap; none of these
// members changes what the rules conclude. A draft order
// (decodeDraftOrders) is read the same way: the CDS Hooks Sandbox sends
// category as one object, which samply's type rejected.
type medicationRequest struct {
	header
	Status                    string             `json:"status"`
	MedicationCodeableConcept r4.CodeableConcept `json:"medicationCodeableConcept"`
	MedicationReference       medReference       `json:"medicationReference"`
	DoNotPerform              *bool              `json:"doNotPerform"`
	AuthoredOn                *string            `json:"authoredOn"`
	DosageInstruction         []requestDosage    `json:"dosageInstruction"`
	DispenseRequest           *struct {
		ValidityPeriod         *r4.Period   `json:"validityPeriod"`
		NumberOfRepeatsAllowed *int         `json:"numberOfRepeatsAllowed"`
		ExpectedSupplyDuration *r4.Duration `json:"expectedSupplyDuration"`
	} `json:"dispenseRequest"`

	// raw is the resource's JSON (see the type comment).
	raw json.RawMessage
}

// requestDosage is a dosage whose timing also has its events: a request
// plans its first dose by timing.event. Its Timing shadows dosage.Timing
// when decoding; UnmarshalJSON points dosage.Timing at it.
type requestDosage struct {
	dosage
	Timing *requestTiming `json:"timing"`
}

// requestTiming is a dosageTiming with Timing.event.
type requestTiming struct {
	dosageTiming
	Event []string `json:"event"`
}

// UnmarshalJSON decodes the request and keeps a copy of its JSON, so the
// Bundle decode needs no copy of every entry to keep the requests'.
func (m *medicationRequest) UnmarshalJSON(data []byte) error {
	type plain medicationRequest // without this method
	if err := unmarshal(data, (*plain)(m)); err != nil {
		return err
	}
	for i := range m.DosageInstruction {
		if tm := m.DosageInstruction[i].Timing; tm != nil {
			m.DosageInstruction[i].dosage.Timing = &tm.dosageTiming
		}
	}
	m.keepRaw(data)
	return nil
}

// keepRaw keeps a copy of the request's JSON as received.
func (m *medicationRequest) keepRaw(data []byte) {
	m.raw = bytes.Clone(bytes.TrimSpace(data))
}

// valid reports whether samply would have accepted the enum codes of the
// decoded members that are not samply types (see the type comment).
func (m *medicationRequest) valid() bool {
	for i := range m.DosageInstruction {
		if !m.DosageInstruction[i].valid() {
			return false
		}
	}
	return true
}

// hasMedication reports whether the request names a drug in any way: a
// coding, a text or a reference.
func (m *medicationRequest) hasMedication() bool {
	cc := m.MedicationCodeableConcept
	return len(cc.Coding) > 0 || cc.Text != nil || strings.TrimSpace(m.MedicationReference.Reference) != ""
}

// dosages returns the dosage instructions for dosageSummary; nil for none.
func (m *medicationRequest) dosages() []dosage {
	if len(m.DosageInstruction) == 0 {
		return nil
	}
	out := make([]dosage, len(m.DosageInstruction))
	for i := range m.DosageInstruction {
		out[i] = m.DosageInstruction[i].dosage
	}
	return out
}

// addMedicationRequest keeps a request and its JSON, by "MedicationRequest/id".
func (r *resources) addMedicationRequest(m *medicationRequest) {
	r.medicationRequests = append(r.medicationRequests, m)
	putRaw(r, idRef("MedicationRequest", m.ID), m.raw)
}
