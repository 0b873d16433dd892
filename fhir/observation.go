package fhir

import (
	"encoding/json"
	"strings"
	"time"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// observation is the part of an Observation that the rules read, decoded
// straight from the Bundle (decodeBundle). Observations are most of every
// prefetch (years of labs, DXA per site), and samply's r4.Observation,
// with a pointer per string and every element of the resource, cost three
// times as much to decode, plus a copy of the whole Bundle and two header
// passes per entry (issue 6 note). Fields are plain strings where absent
// and empty mean the same to the rules; Status stays a pointer because a
// missing status is usable and "registered" is not.
//
// Only the JSON shape is checked by decoding; valid() checks the codes
// samply would have rejected, so an Observation with an unknown status or
// comparator still becomes an "unreadable" gap, never a silent guess.
type observation struct {
	header
	Status            *string          `json:"status"`
	Code              concept          `json:"code"`
	BodySite          *concept         `json:"bodySite"`
	EffectiveDateTime string           `json:"effectiveDateTime"`
	EffectivePeriod   *period          `json:"effectivePeriod"`
	EffectiveInstant  string           `json:"effectiveInstant"`
	Issued            string           `json:"issued"`
	ValueQuantity     *quantity        `json:"valueQuantity"`
	ValueInteger      *int             `json:"valueInteger"`
	ReferenceRange    []referenceRange `json:"referenceRange"`
	Component         []component      `json:"component"`
}

// component is an Observation.component (blood pressure, a DXA result
// with its T- and Z-score as components).
type component struct {
	Code           concept          `json:"code"`
	ValueQuantity  *quantity        `json:"valueQuantity"`
	ValueInteger   *int             `json:"valueInteger"`
	ReferenceRange []referenceRange `json:"referenceRange"`
}

// header is what every resource decoded from a Bundle carries: its type,
// id and subject, checked before it is used, and the issues of an
// OperationOutcome entry, so that an error outcome in a searchset is seen
// in the same pass (failedSearch).
type header struct {
	ResourceType string    `json:"resourceType"`
	ID           string    `json:"id"`
	Subject      reference `json:"subject"`
	// Patient is not an element of the types read here, but a resource
	// that names another patient in it is still refused.
	Patient reference `json:"patient"`
	Issue   []issue   `json:"issue"`
}

// reference is a Reference: only its literal reference is read.
type reference struct {
	Reference string `json:"reference"`
}

// issue is an OperationOutcome.issue: only its severity is read.
type issue struct{ Severity string }

// head returns the header (the onePass interface).
func (h *header) head() header { return *h }

// failedSearch reports whether the entry is an OperationOutcome with an
// issue of severity error or fatal.
func (h header) failedSearch() bool {
	return h.ResourceType == "OperationOutcome" && severe(h.Issue)
}

// coding is a Coding's system and code.
type coding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

// key returns the coding's system and code, trimmed.
func (c coding) key() (system, code string) {
	return strings.TrimSpace(c.System), strings.TrimSpace(c.Code)
}

// concept is a CodeableConcept's codings (its text is never read: free
// text does not drive a card).
type concept struct {
	Coding []coding `json:"coding"`
	// Text is the record's own wording (CodeableConcept.text), shown to
	// the clinician instead of a code where a card names the record.
	Text string `json:"text"`
}

// codings returns the codings of a possibly absent concept.
func (c *concept) codings() []coding {
	if c == nil {
		return nil
	}
	return c.Coding
}

// quantity is a FHIR Quantity. Value keeps the number as written, so a
// value such as 0.1 is not rounded on the way in. The unit's system is not
// read: a unit is recognised by its UCUM code or its text alone.
type quantity struct {
	Value      json.Number `json:"value"`
	Comparator string      `json:"comparator"`
	Unit       string      `json:"unit"`
	Code       string      `json:"code"`
}

// quantityOf converts a samply Quantity (medication doses) so that doses
// and lab values go through the same unit code.
func quantityOf(q *r4.Quantity) *quantity {
	if q == nil {
		return nil
	}
	out := &quantity{Unit: deref(q.Unit), Code: deref(q.Code)}
	if q.Value != nil {
		out.Value = *q.Value
	}
	if q.Comparator != nil {
		out.Comparator = q.Comparator.Code()
	}
	return out
}

// deref returns *s, "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// referenceRange is the low and high bound of a reference range.
type referenceRange struct {
	Low  *quantity `json:"low"`
	High *quantity `json:"high"`
}

// period is a FHIR Period.
type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// start returns the period's start, else its end (a period that only says
// when it ended still dates the event), else zero (also for no period).
func (p *period) start() time.Time {
	if p == nil {
		return time.Time{}
	}
	if t := dateOf(&p.Start); !t.IsZero() {
		return t
	}
	if t := dateOf(&p.End); !t.IsZero() {
		return t
	}
	return time.Time{}
}

// observationStatuses are the codes of ObservationStatus (R4).
var observationStatuses = map[string]bool{
	"registered": true, "preliminary": true, "final": true, "amended": true,
	"corrected": true, "cancelled": true, "entered-in-error": true, "unknown": true,
}

// comparators are the codes of QuantityComparator (R4); "" is no
// comparator.
var comparators = map[string]bool{"": true, "<": true, "<=": true, ">=": true, ">": true}

// valid reports whether every code the rules depend on is a FHIR code:
// an unknown status or comparator must not be read as final or exact.
func (o *observation) valid() bool {
	if o.Status != nil && !observationStatuses[*o.Status] {
		return false
	}
	ok := func(q *quantity) bool { return q == nil || comparators[q.Comparator] }
	ranges := func(rs []referenceRange) bool {
		for _, r := range rs {
			if !ok(r.Low) || !ok(r.High) {
				return false
			}
		}
		return true
	}
	if !ok(o.ValueQuantity) || !ranges(o.ReferenceRange) {
		return false
	}
	for _, c := range o.Component {
		if !ok(c.ValueQuantity) || !ranges(c.ReferenceRange) {
			return false
		}
	}
	return true
}

// usable decides whether an Observation's status allows reading its
// value. final, amended, corrected and preliminary are usable;
// registered (no result yet), entered-in-error, cancelled and unknown are
// not. A missing status is a sender's omission, not a "registered"
// Observation: the value is read.
func (o *observation) usable() bool {
	if o.Status == nil {
		return true
	}
	switch *o.Status {
	case "final", "amended", "corrected", "preliminary":
		return true
	}
	return false
}

// date returns effectiveDateTime, else effectivePeriod.start (or end),
// else effectiveInstant, else issued.
//
// It stops at the first date found instead of calling firstDate, which
// would parse every element of every Observation only to drop all but one.
func (o *observation) date() time.Time {
	if t := dateOf(&o.EffectiveDateTime); !t.IsZero() {
		return t
	}
	if t := o.EffectivePeriod.start(); !t.IsZero() {
		return t
	}
	if t := dateOf(&o.EffectiveInstant); !t.IsZero() {
		return t
	}
	if t := dateOf(&o.Issued); !t.IsZero() {
		return t
	}
	return time.Time{}
}

// severe reports whether any issue has severity error or fatal.
func severe(issues []issue) bool {
	for _, i := range issues {
		if i.Severity == "error" || i.Severity == "fatal" {
			return true
		}
	}
	return false
}
