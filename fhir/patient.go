package fhir

import (
	"encoding/json"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// patient is what patientFacts reads of the patient key's Patient. It was
// samply's r4.Patient, whose decode (names, addresses, telecoms,
// identifiers, contacts, each with its enum codes) cost as much as two
// MedicationAdministrations for three members.
//
// The members keep samply's shape: a nil id or birth date is absent or
// null, a present one is kept as sent (also "" or a partial date, which
// dateOf reads); Gender is nil unless it is one of samply's
// AdministrativeGender codes.
type patient struct {
	ID        *string
	BirthDate *string
	Gender    *r4.AdministrativeGender
}

// patientDoc is the patient key's value as decodePatient reads it: the
// entry header (checked as before) and the birth date and gender as raw
// JSON. With every member it reads raw or as the header, decoding it fails
// exactly when decoding the header alone failed, so a malformed Patient is
// still an error and a Patient with a member of the wrong JSON type still a
// gap (readPatient).
type patientDoc struct {
	entryHeader
	BirthDate json.RawMessage `json:"birthDate"`
	Gender    json.RawMessage `json:"gender"`
}

// readPatient reads id, birth date and gender as decodePatient read them
// when it decoded samply's r4.Patient, falling back to a lenient read of
// these three members when samply rejected the Patient:
//
//   - samply rejected a Patient for a bad code or JSON type in any member
//     (a name.use, a telecom.system); the lenient read then kept id, birth
//     date and a valid gender, which is what samply read when it accepted
//     it. Those members are no longer decoded, so they no longer matter.
//   - an id or birth date that is not a string (or null), or a gender that
//     is not a string (or null), failed the lenient read too: ok is false
//     and the Patient is an unreadable gap.
//   - a gender string that is not a FHIR code (an "F" from an older
//     interface) is left out, badGender true, and is a gap of its own; ""
//     is left out without one. The code goes through decodeGender as the
//     lenient read did, so an escaped code reads as it read.
func (d *patientDoc) readPatient() (p patient, badGender, ok bool) {
	if !optionalString(d.ID, &p.ID) || !optionalString(d.BirthDate, &p.BirthDate) {
		return patient{}, false, false
	}
	var gender *string
	if !optionalString(d.Gender, &gender) {
		return patient{}, false, false
	}
	if gender == nil || *gender == "" {
		return p, false, true
	}
	g, err := decodeGender(*gender)
	if err != nil {
		return p, true, true
	}
	p.Gender = &g
	return p, false, true
}

// optionalString decodes an absent member (no bytes) as nil, null as nil
// and a string as itself, as a *string member is decoded; ok is false for
// any other JSON type.
func optionalString(raw json.RawMessage, dst **string) bool {
	if len(raw) == 0 {
		return true
	}
	return unmarshal(raw, dst) == nil
}
