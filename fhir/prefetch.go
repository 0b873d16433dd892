package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// errWrongPatient marks data about another patient (or another subject)
// than context.patientId. It is ErrInvalidInput wherever the data came
// from: wrong-patient data must never drive a card.
var errWrongPatient = fmt.Errorf("%w: data about another patient", ErrInvalidInput)

// prefetchState is one of the four states of a prefetch key (cds-hooks.md
// §D item 21). The fourth, an OperationOutcome, is told apart while
// decoding (errSearchFailed), not by a pass of its own over the value.
type prefetchState int

const (
	stateAbsent  prefetchState = iota // not sent: fetch it
	stateNull                         // JSON null: known empty
	statePresent                      // a resource (or an OperationOutcome): decode it
)

// classify tells which state a prefetch value is in, from its first byte.
func classify(key string, raw json.RawMessage) (prefetchState, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return stateAbsent, nil
	}
	if bytes.Equal(trimmed, []byte("null")) {
		return stateNull, nil
	}
	if trimmed[0] != '{' {
		return 0, fmt.Errorf("prefetch key %s: not a JSON object: %w", key, ErrInvalidInput)
	}
	return statePresent, nil
}

// allowedTypes lists, per search key, the resource types its query can
// return. Medication may come along as an included resource; an
// OperationOutcome entry (search.mode "outcome") is a server note and is
// skipped.
var allowedTypes = map[string]map[string]bool{
	KeyConditions:                {"Condition": true},
	KeyDXA:                       {"Observation": true},
	KeyLabs:                      {"Observation": true},
	KeyMedicationStatements:      {"MedicationStatement": true, "Medication": true},
	KeyMedicationRequests:        {"MedicationRequest": true, "Medication": true},
	KeyMedicationAdministrations: {"MedicationAdministration": true, "Medication": true},
	KeyServiceRequests:           {"ServiceRequest": true},
}

// bundleOf is the part of a Bundle we read, with entry resources of type R:
// json.RawMessage to decode each entry by its type (draftOrders), or a
// resource type or its entry to decode the Bundle (bundle.go). Bundle.type is not read at
// all: prefetch and draftOrders Bundles often lack it.
type bundleOf[R any] struct {
	ResourceType string           `json:"resourceType"`
	Link         []bundleLink     `json:"link"`
	Entry        []bundleEntry[R] `json:"entry"`
}

// bundleLink is a Bundle.link.
type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// bundleEntry is a Bundle.entry with its resource of type R.
type bundleEntry[R any] struct {
	FullURL  string       `json:"fullUrl"`
	Resource R            `json:"resource"`
	Search   *entrySearch `json:"search"`
}

// entrySearch is a Bundle.entry.search.
type entrySearch struct {
	Mode string `json:"mode"`
}

// next returns the Bundle's next link, "" when there is none.
func (b *bundleOf[R]) next() string {
	for _, l := range b.Link {
		if l.Relation == "next" && l.URL != "" {
			return l.URL
		}
	}
	return ""
}

// entryHeader is the part of an entry we check before decoding it: its
// type, its id, whom it is about, and (for an OperationOutcome) whether
// it reports a failed search.
type entryHeader struct {
	ResourceType string          `json:"resourceType"`
	ID           json.RawMessage `json:"id"`
	Subject      json.RawMessage `json:"subject"`
	Patient      json.RawMessage `json:"patient"`
	Issue        []issue         `json:"issue"`
}

// decodeValue decodes the body of one key (a prefetched value or a fetched
// page) into res and returns the Bundle's next link. The patient key holds
// a Patient; every other key holds a Bundle (of any or no Bundle.type) of
// the one resource type the key's search returns (decodeBundle).
func decodeValue(key string, body []byte, patientID string, res *resources) (next string, err error) {
	allowed := allowedTypes[key]
	switch key {
	case KeyPatient:
		return "", decodePatient(body, patientID, res)
	case KeyLabs, KeyDXA:
		return decodeBundle(key, "Observation", body, allowed, patientID, res, (*resources).addObservation)
	case KeyConditions:
		return decodeBundle(key, "Condition", body, allowed, patientID, res, (*resources).addCondition)
	case KeyMedicationStatements:
		return decodeBundle(key, "MedicationStatement", body, allowed, patientID, res, (*resources).addStatement)
	case KeyMedicationAdministrations:
		return decodeBundle(key, "MedicationAdministration", body, allowed, patientID, res, (*resources).addAdministration)
	case KeyServiceRequests:
		return decodeBundle(key, "ServiceRequest", body, allowed, patientID, res, (*resources).addServiceRequest)
	case KeyMedicationRequests:
		return decodeBundle(key, "MedicationRequest", body, allowed, patientID, res, (*resources).addMedicationRequest)
	}
	return "", fmt.Errorf("unknown prefetch key %s: %w", key, ErrInvalidInput)
}

// walkBundle checks that b is a Bundle and hands each entry resource to
// add, in order. Some servers answer "insufficient scope" or a timeout with
// a searchset holding an error OperationOutcome (failed): the search
// failed, it did not find nothing. An entry with search.mode "outcome" is
// a server note about the search, not data.
func walkBundle[R any](key string, b *bundleOf[R], failed func(R) bool, add func(R) error) (next string, err error) {
	if b.ResourceType == "OperationOutcome" {
		return "", fmt.Errorf("prefetch key %s: holds an OperationOutcome: %w", key, errSearchFailed)
	}
	if b.ResourceType != "Bundle" {
		return "", fmt.Errorf("prefetch key %s: holds %s, want a Bundle: %w", key, quoteType(b.ResourceType), ErrInvalidInput)
	}
	for _, e := range b.Entry {
		if failed(e.Resource) {
			return "", fmt.Errorf("prefetch key %s: the search reported an error: %w", key, errSearchFailed)
		}
		if e.Search != nil && e.Search.Mode == "outcome" {
			continue
		}
		if err := add(e.Resource); err != nil {
			return "", err
		}
	}
	return b.next(), nil
}

// errSearchFailed marks a key whose value is an OperationOutcome (the EHR
// could not prefetch it) or a searchset that carries an error or fatal
// OperationOutcome: the key is fetched again, else the answer is 412;
// never an empty result.
var errSearchFailed = errors.New("search reported an error")

// decodePatient decodes the patient key's Patient (see patient and
// readPatient for what is read and what is a gap).
func decodePatient(body []byte, patientID string, res *resources) error {
	var doc patientDoc
	if err := unmarshal(body, &doc); err != nil {
		return fmt.Errorf("prefetch key %s: malformed resource: %w", KeyPatient, ErrInvalidInput)
	}
	h := doc.entryHeader
	if h.ResourceType == "OperationOutcome" {
		return fmt.Errorf("prefetch key %s: holds an OperationOutcome: %w", KeyPatient, errSearchFailed)
	}
	if h.ResourceType != "Patient" {
		return fmt.Errorf("prefetch key %s: holds %s, want a Patient: %w", KeyPatient, quoteType(h.ResourceType), ErrInvalidInput)
	}
	if id, ok := idOf(h); ok && id != patientID {
		return fmt.Errorf("prefetch key %s: %w", KeyPatient, errWrongPatient)
	}
	p, badGender, ok := doc.readPatient()
	if !ok {
		res.gaps = append(res.gaps, unreadable("Patient", refOf("Patient", h)))
		return nil
	}
	if badGender {
		res.gaps = append(res.gaps, rules.Gap{Source: refOf("Patient", h), What: rules.Text{
			NL: "geslacht van de patiënt (geen FHIR-code)", EN: "patient gender (not a FHIR code)"}})
	}
	res.patient = &p
	return nil
}

// decodeGender reads a FHIR administrative gender code.
func decodeGender(code string) (r4.AdministrativeGender, error) {
	var g r4.AdministrativeGender
	err := g.UnmarshalJSON([]byte(`"` + code + `"`))
	return g, err
}

// keepRaw stores a copy of the JSON of a resource a card may need to send
// back whole.
func keepRaw(res *resources, ref rules.Ref, raw json.RawMessage) {
	putRaw(res, ref, bytes.Clone(raw))
}

// putRaw stores raw, which no one else may change, as keepRaw does.
func putRaw(res *resources, ref rules.Ref, raw json.RawMessage) {
	if ref == "" {
		return // no id: a card could not address it anyway
	}
	if res.raw == nil {
		res.raw = map[rules.Ref]json.RawMessage{}
	}
	res.raw[ref] = raw
}

// checkSubject rejects a resource whose subject or patient reference names
// a subject other than Patient/patientID.
func checkSubject(h entryHeader, patientID string) error {
	for _, raw := range []json.RawMessage{h.Subject, h.Patient} {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		var r struct {
			Reference string `json:"reference"`
		}
		if err := unmarshal(raw, &r); err != nil {
			return fmt.Errorf("malformed subject reference: %w", ErrInvalidInput)
		}
		if err := checkReference(r.Reference, patientID); err != nil {
			return err
		}
	}
	return nil
}

// checkReference rejects a reference to a subject other than
// Patient/patientID. References that name no literal target (a contained
// "#x", a urn:uuid, an identifier only) cannot be checked and are
// accepted: the search asked for this patient.
func checkReference(reference, patientID string) error {
	typ, id, ok := parseReference(reference)
	if ok && (typ != "Patient" || id != patientID) {
		return errWrongPatient
	}
	return nil
}

// parseReference splits a literal reference ("Patient/1",
// "https://x/fhir/Patient/1/_history/2") into type and id; ok is false for
// references that name no literal target.
func parseReference(ref string) (typ, id string, ok bool) {
	if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "urn:") {
		return "", "", false
	}
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	ref = strings.TrimRight(ref, "/")
	segs := strings.Split(ref, "/")
	if len(segs) < 2 {
		return "", "", false
	}
	typ, id = segs[len(segs)-2], segs[len(segs)-1]
	if typ == "" || id == "" {
		return "", "", false
	}
	return typ, id, true
}

// idOf returns the resource id when it is a JSON string.
func idOf(h entryHeader) (string, bool) {
	var id string
	if len(h.ID) == 0 || unmarshal(h.ID, &id) != nil || !ValidID(id) {
		return "", false
	}
	return id, true
}

// refOf returns "Type/id", or "" when the resource has no usable id.
func refOf(typ string, h entryHeader) rules.Ref {
	id, ok := idOf(h)
	if !ok {
		return ""
	}
	return rules.Ref(typ + "/" + id)
}

// idRef returns "Type/id", or "" when id is not a valid FHIR id.
func idRef(typ, id string) rules.Ref {
	if !ValidID(id) {
		return ""
	}
	return rules.Ref(typ + "/" + id)
}

// unreadable is the gap for a resource that could not be decoded.
func unreadable(what string, ref rules.Ref) rules.Gap {
	return rules.Gap{
		Source: ref,
		What: rules.Text{
			NL: what + " kon niet worden gelezen",
			EN: what + " could not be read",
		},
	}
}

// incomplete is the gap for a search whose further pages were not read.
func incomplete(key string) rules.Gap {
	return rules.Gap{What: rules.Text{
		NL: "resultaten voor " + key + " onvolledig",
		EN: "results for " + key + " incomplete",
	}}
}

// quoteType names a resourceType for an error message. The value comes
// from the request, so anything that is not a plausible type name is not
// echoed.
func quoteType(t string) string {
	if t == "" {
		return "no resourceType"
	}
	if len(t) > 64 {
		return "an unknown resourceType"
	}
	for _, c := range t {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return "an unknown resourceType"
		}
	}
	return "resourceType " + t
}

// isWrongPatient reports whether err is about another patient's data.
func isWrongPatient(err error) bool { return errors.Is(err, errWrongPatient) }
