package fhir

// condition is the part of a Condition that the rules read, decoded in one
// go straight from the Bundle (decodeBundle), like observation. Condition
// has no required code elements that samply would reject, so every
// condition that decodes is valid.
type condition struct {
	header
	ClinicalStatus     *concept `json:"clinicalStatus"`
	VerificationStatus *concept `json:"verificationStatus"`
	Code               *concept `json:"code"`
	OnsetDateTime      string   `json:"onsetDateTime"`
	OnsetPeriod        *period  `json:"onsetPeriod"`
	RecordedDate       string   `json:"recordedDate"`
	// Abatement[x] is only read for its presence (conditionActive).
	AbatementDateTime presence         `json:"abatementDateTime"`
	AbatementAge      presence         `json:"abatementAge"`
	AbatementPeriod   presence         `json:"abatementPeriod"`
	AbatementRange    presence         `json:"abatementRange"`
	AbatementString   presence         `json:"abatementString"`
	Stage             []conditionStage `json:"stage"`
}

// conditionStage is a Condition.stage: only its summary is read.
type conditionStage struct {
	Summary *concept `json:"summary"`
}

// valid is true: see the type comment.
func (c *condition) valid() bool { return true }

// abated reports whether any abatement[x] is present.
func (c *condition) abated() bool {
	return bool(c.AbatementDateTime || c.AbatementAge || c.AbatementPeriod || c.AbatementRange || c.AbatementString)
}

// presence records that an element is present (not absent, not null)
// without decoding it.
type presence bool

// UnmarshalJSON is called for any present value; null is absence.
func (p *presence) UnmarshalJSON(b []byte) error {
	*p = string(b) != "null"
	return nil
}
