package fhir

import (
	"encoding/json"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// medicationStatement and medicationAdministration are the parts of those
// resources that medications.go reads, decoded straight from the Bundle
// (decodeBundle), like observation.
// samply's r4 types, with a pointer per primitive, every element of the
// resource and an UnmarshalJSON call per enum code, made ten statements
// cost as much to decode as sixty percent of the labs of a typical request.
//
// Members keep samply's Go shape wherever absent and empty mean something
// different to medications.go: effectiveDateTime of a statement (present
// but empty still marks a single dose), the medication's text (present
// means "coded by text", never a gap), dosage sequence. The medication
// concept and the dosage route stay samply's r4.CodeableConcept, so that
// matchDrug and routeOf read exactly what they read before (an absent
// system or code is skipped, a present empty one is looked up).
//
// What is checked:
//   - the JSON type of every decoded member, by decoding (a string where
//     an object belongs is a gap naming the member; the shapes
//     decodeResource tolerates are read);
//   - by valid(), the enum codes samply validated in the decoded members:
//     doseQuantity/dose comparator (QuantityComparator) and
//     timing.repeat.dayOfWeek (DaysOfWeek), with samply's own
//     UnmarshalJSON on the raw code, so that exactly the codes samply
//     rejected still make the resource a gap;
//   - the medication concept and the route fully as samply did (they are
//     samply types).
//
// status is not checked: samply keeps the status of MedicationStatement and
// MedicationAdministration as a plain string and never rejected one;
// medicationRecords copies it as sent and the rules treat an unknown
// status as unknown.
//
// What is no longer checked, because it is no longer decoded at all: the
// JSON types and enum codes of the members no rule reads, e.g. text
// (Narrative.status), meta, identifier (Identifier.use), extension and
// modifierExtension (of the resource and of the dosage, timing and
// quantity elements), the identifier of subject and medicationReference,
// Quantity.system, the display and text of timing.code, statusReason,
// category, reasonCode, note, dateAsserted, informationSource, performer,
// timing.event and timing.repeat bounds[x] (a boundsDuration comparator),
// count, duration and offset, doseRange and rate[x] (their comparators),
// maxDosePer*, asNeeded[x], site and method. samply rejected the whole
// resource for one bad code there, which made a readable medication with
// a readable period a gap; none of these members changes what the rules
// conclude, so the resource is now read. The codes that drive a record
// (medication, status, dates, dose, timing, route) are read as before.
type (
	medicationStatement struct {
		header
		Contained                 json.RawMessage    `json:"contained"` // for addContained
		Status                    string             `json:"status"`
		MedicationCodeableConcept r4.CodeableConcept `json:"medicationCodeableConcept"`
		MedicationReference       medReference       `json:"medicationReference"`
		EffectiveDateTime         *string            `json:"effectiveDateTime"`
		EffectivePeriod           *period            `json:"effectivePeriod"`
		Dosage                    []dosage           `json:"dosage"`
	}
	medicationAdministration struct {
		header
		Contained                 json.RawMessage    `json:"contained"` // for addContained
		Status                    string             `json:"status"`
		MedicationCodeableConcept r4.CodeableConcept `json:"medicationCodeableConcept"`
		MedicationReference       medReference       `json:"medicationReference"`
		// samply keeps these two as values: absent and empty are the same.
		EffectiveDateTime string `json:"effectiveDateTime"`
		EffectivePeriod   period `json:"effectivePeriod"`
		Dosage            *struct {
			Route *r4.CodeableConcept `json:"route"`
			Dose  *medQuantity        `json:"dose"`
		} `json:"dosage"`
	}
)

// medReference is a medicationReference: only its literal reference is
// resolved (an absent and an empty one are both "no reference").
type medReference struct {
	Reference string `json:"reference"`
}

// dosage is the part of a Dosage that dosageSummary reads. Statements
// decode it, and MedicationRequests decode it with their timing's events
// (requestDosage), so that both go through the same summary.
type dosage struct {
	Sequence    *int                `json:"sequence"`
	Timing      *dosageTiming       `json:"timing"`
	Route       *r4.CodeableConcept `json:"route"`
	DoseAndRate []doseAndRate       `json:"doseAndRate"`
}

// doseAndRate is a Dosage.doseAndRate element; a dose range is not read
// (doseQuantity).
type doseAndRate struct {
	DoseQuantity *medQuantity `json:"doseQuantity"`
}

// dosageTiming is the part of a Timing that timesPerDay reads. Only the
// codes of Timing.code are read, and an absent and an empty code are
// alike to it.
type dosageTiming struct {
	Repeat *timingRepeat `json:"repeat"`
	Code   *concept      `json:"code"`
}

// timingRepeat is the part of Timing.repeat that timesPerDay reads.
type timingRepeat struct {
	Frequency *int `json:"frequency"`
	// Period is "" when absent; a present period is never "" (the decoder
	// rejects an empty number).
	Period json.Number `json:"period"`
	// PeriodUnit: absent and "" are both no known unit.
	PeriodUnit string `json:"periodUnit"`
	// Only the number of days, times and whens is read; the day codes are
	// kept raw for valid().
	DayOfWeek []json.RawMessage `json:"dayOfWeek"`
	TimeOfDay []string          `json:"timeOfDay"`
	When      []string          `json:"when"`
}

// medQuantity is a dose quantity: the quantity the unit code reads, with
// the comparator kept raw for valid() (it shadows quantity.Comparator,
// which no dose reads).
type medQuantity struct {
	quantity
	Comparator json.RawMessage `json:"comparator"`
}

// q returns the quantity, nil for none.
func (m *medQuantity) q() *quantity {
	if m == nil {
		return nil
	}
	return &m.quantity
}

// valid checks the comparator as samply did: absent and null are no
// comparator (samply's field is a pointer), anything else must be one of
// its codes, checked by samply's own UnmarshalJSON so that exactly the
// codes it rejected (also an escaped "\u003c") are rejected.
func (m *medQuantity) valid() bool {
	if m == nil || len(m.Comparator) == 0 || string(m.Comparator) == "null" {
		return true
	}
	return new(r4.QuantityComparator).UnmarshalJSON(m.Comparator) == nil
}

// valid checks the enum codes of a dosage (see medicationStatement). A
// dayOfWeek element that is null is invalid too: samply's element type is
// not a pointer, so it saw the code "null".
func (d *dosage) valid() bool {
	for _, dr := range d.DoseAndRate {
		if !dr.DoseQuantity.valid() {
			return false
		}
	}
	if d.Timing != nil && d.Timing.Repeat != nil {
		for _, day := range d.Timing.Repeat.DayOfWeek {
			if new(r4.DaysOfWeek).UnmarshalJSON(day) != nil {
				return false
			}
		}
	}
	return true
}

// valid reports whether samply would have accepted the enum codes of the
// decoded members (see the type comment).
func (s *medicationStatement) valid() bool {
	for i := range s.Dosage {
		if !s.Dosage[i].valid() {
			return false
		}
	}
	return true
}

// valid reports whether samply would have accepted the enum codes of the
// decoded members (see medicationStatement).
func (a *medicationAdministration) valid() bool {
	return a.Dosage == nil || a.Dosage.Dose.valid()
}
