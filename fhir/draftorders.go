package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// decodeDraftOrders decodes context.draftOrders into res: MedicationRequests
// and ServiceRequests, entry by entry. The Bundle may lack Bundle.type (the
// spec examples and the sandbox send none). Other order types
// (NutritionOrder, DeviceRequest, VisionPrescription) are ignored: no rule
// reads them. The raw JSON of each draft MedicationRequest is kept by
// "MedicationRequest/<id>", replacing a prefetched version of the same id,
// because the draft is what the clinician is about to sign. An order that
// cannot be decoded becomes a gap naming the element; an order about another patient, or a
// value that is not a Bundle, is ErrInvalidInput.
func decodeDraftOrders(raw json.RawMessage, patientID string, res *resources) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil
	}
	if trimmed[0] != '{' {
		return fmt.Errorf("context.draftOrders: not a JSON object: %w", ErrInvalidInput)
	}
	var b bundleOf[json.RawMessage]
	if err := unmarshal(trimmed, &b); err != nil {
		return fmt.Errorf("context.draftOrders: malformed Bundle: %w", ErrInvalidInput)
	}
	if b.ResourceType != "Bundle" {
		return fmt.Errorf("context.draftOrders: holds %s, want a Bundle: %w", quoteType(b.ResourceType), ErrInvalidInput)
	}
	for _, e := range b.Entry {
		entry := bytes.TrimSpace(e.Resource)
		if len(entry) == 0 || bytes.Equal(entry, []byte("null")) {
			continue
		}
		var h entryHeader
		if err := unmarshal(entry, &h); err != nil {
			res.setAside("draft order", "", "")
			continue
		}
		if h.ResourceType == "Medication" {
			// A draft order may reference a Medication in the same Bundle,
			// by "Medication/id" or by the entry's fullUrl (urn:uuid:...).
			m, err := decodeAs[r4.Medication](entry)
			if err != nil {
				res.setAside("draft Medication", elementOf(err), refOf("Medication", h))
				continue
			}
			if res.medications == nil {
				res.medications = map[string]r4.Medication{}
			}
			if ref := refOf("Medication", h); ref != "" {
				res.medications[string(ref)] = m
			}
			if e.FullURL != "" {
				res.medications[e.FullURL] = m
			}
			continue
		}
		if h.ResourceType != "MedicationRequest" && h.ResourceType != "ServiceRequest" {
			continue
		}
		if err := checkSubject(h, patientID); err != nil {
			return fmt.Errorf("context.draftOrders: %w", err)
		}
		ref := refOf(h.ResourceType, h)
		switch h.ResourceType {
		case "MedicationRequest":
			// Only what the rules read is decoded: an element no rule
			// needs (the sandbox sends category as one object) never
			// costs the order.
			m, err := decodeAs[medicationRequest](entry)
			if err != nil || !m.valid() {
				res.setAside("draft MedicationRequest", elementOf(err), ref)
				continue
			}
			res.draftMedicationRequests = append(res.draftMedicationRequests, &m)
			putRaw(res, ref, m.raw)
		case "ServiceRequest":
			s, err := decodeAs[serviceRequest](entry)
			if err != nil || !s.valid() {
				res.setAside("draft ServiceRequest", elementOf(err), ref)
				continue
			}
			res.draftServiceRequests = append(res.draftServiceRequests, &s)
		}
	}
	return nil
}
