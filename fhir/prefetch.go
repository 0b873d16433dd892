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
// json.RawMessage to decode each entry by its type, or a onePass type to
// decode the whole Bundle in one pass (onepass.go). Bundle.type is not read at
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

// entryByEntryOnly turns the one-pass path off, for the test that proves
// both paths read the same data.
var entryByEntryOnly = false

// decodeValue decodes the body of one key (a prefetched value or a fetched
// page) into res and returns the Bundle's next link. The patient key holds
// a Patient; every other key holds a Bundle (of any or no Bundle.type).
func decodeValue(key string, body []byte, patientID string, res *resources) (next string, err error) {
	return decodeValueWith(key, body, patientID, res, nil)
}

// decodeValueWith is decodeValue with the value already decoded by
// Predecoded, if pre is not nil.
func decodeValueWith(key string, body []byte, patientID string, res *resources, pre any) (next string, err error) {
	if key == KeyPatient {
		return "", decodePatient(body, patientID, res)
	}
	allowed, ok := allowedTypes[key]
	if !ok {
		return "", fmt.Errorf("unknown prefetch key %s: %w", key, ErrInvalidInput)
	}
	// The keys that hold one resource type the rules read in full are
	// decoded in one pass (onepass.go). When one entry does not fit (a
	// string where a number belongs), the Bundle is read entry by entry
	// below, where such an entry becomes a gap and costs no other.
	switch {
	case entryByEntryOnly:
	case key == KeyLabs || key == KeyDXA:
		if next, ok, err := decodeOnePass(key, "Observation", body, allowed, patientID, res, (*resources).addObservation, fastOr[observation](pre)); ok {
			return next, err
		}
	case key == KeyConditions:
		if next, ok, err := decodeOnePass(key, "Condition", body, allowed, patientID, res, (*resources).addCondition, fastOr[condition](pre)); ok {
			return next, err
		}
	case key == KeyMedicationStatements:
		if next, ok, err := decodeOnePass(key, "MedicationStatement", body, allowed, patientID, res, (*resources).addStatement, fastOr[medicationStatement](pre)); ok {
			return next, err
		}
	case key == KeyMedicationAdministrations:
		if next, ok, err := decodeOnePass(key, "MedicationAdministration", body, allowed, patientID, res, (*resources).addAdministration, nil); ok {
			return next, err
		}
	case key == KeyServiceRequests:
		if next, ok, err := decodeOnePass(key, "ServiceRequest", body, allowed, patientID, res, (*resources).addServiceRequest, nil); ok {
			return next, err
		}
	case key == KeyMedicationRequests:
		if next, ok, err := decodeOnePass(key, "MedicationRequest", body, allowed, patientID, res, (*resources).addMedicationRequest, nil); ok {
			return next, err
		}
	}
	var b bundleOf[json.RawMessage]
	if err := unmarshal(body, &b); err != nil {
		return "", fmt.Errorf("prefetch key %s: malformed Bundle: %w", key, ErrInvalidInput)
	}
	var h *entryHeader
	return walkBundle(key, &b, func(raw json.RawMessage) bool {
		// Each entry's header is decoded once, here, and reused by
		// decodeEntry; nil when the entry is not a JSON object.
		h = &entryHeader{}
		if unmarshal(raw, h) != nil {
			h = nil
			return false
		}
		return h.ResourceType == "OperationOutcome" && severe(h.Issue)
	}, func(raw json.RawMessage) error {
		return decodeEntry(key, raw, h, allowed, patientID, res)
	})
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

// decodeEntry decodes one Bundle entry resource, whose header h has been
// read (nil: it could not be), into res. A type the key cannot return and
// data about another patient are errors; an entry that cannot be decoded
// (an unknown enum code) becomes a gap.
func decodeEntry(key string, raw json.RawMessage, h *entryHeader, allowed map[string]bool, patientID string, res *resources) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil // an entry without a resource (e.g. only a fullUrl)
	}
	if h == nil {
		res.gaps = append(res.gaps, unreadable("resource in "+key, ""))
		return nil
	}
	if h.ResourceType == "OperationOutcome" {
		return nil // an outcome entry without search.mode
	}
	if !allowed[h.ResourceType] {
		return fmt.Errorf("prefetch key %s: holds %s: %w", key, quoteType(h.ResourceType), ErrInvalidInput)
	}
	if err := checkSubject(*h, patientID); err != nil {
		return fmt.Errorf("prefetch key %s: %w", key, err)
	}
	ref := refOf(h.ResourceType, *h)
	gap := func() error {
		res.gaps = append(res.gaps, unreadable(h.ResourceType, ref))
		return nil
	}
	switch h.ResourceType {
	case "Condition":
		c, err := decodeAs[condition](raw)
		if err != nil || !c.valid() {
			return gap()
		}
		res.addCondition(&c)
	case "Observation":
		o, err := decodeAs[observation](raw)
		if err != nil || !o.valid() {
			return gap()
		}
		res.addObservation(&o)
	case "MedicationStatement":
		m, err := decodeAs[medicationStatement](raw)
		if err != nil || !m.valid() {
			return gap()
		}
		res.addStatement(&m)
	case "MedicationRequest":
		m, err := decodeAs[medicationRequest](raw)
		if err != nil || !m.valid() {
			return gap()
		}
		res.addMedicationRequest(&m)
	case "MedicationAdministration":
		m, err := decodeAs[medicationAdministration](raw)
		if err != nil || !m.valid() {
			return gap()
		}
		res.addAdministration(&m)
	case "ServiceRequest":
		s, err := decodeAs[serviceRequest](raw)
		if err != nil || !s.valid() {
			return gap()
		}
		res.addServiceRequest(&s)
	case "Medication":
		m, err := decodeAs[r4.Medication](raw)
		if err != nil {
			return gap()
		}
		if ref != "" {
			if res.medications == nil {
				res.medications = map[string]r4.Medication{}
			}
			res.medications[string(ref)] = m
		}
	default:
		// allowedTypes and this switch disagree: a programming error, but
		// never drop data silently.
		return gap()
	}
	return nil
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
