package rules

import "time"

// Text is card text in the two languages the service speaks. Dutch is the
// default; English is served when the EHR asks for it.
type Text struct {
	NL, EN string
}

// In returns the text in language lang ("nl" or "en"), falling back to
// Dutch, then English.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	if t.NL != "" {
		return t.NL
	}
	return t.EN
}

// Indicator is the CDS Hooks card urgency.
type Indicator string

// The three CDS Hooks indicators, in increasing urgency.
const (
	Info     Indicator = "info"
	Warning  Indicator = "warning"
	Critical Indicator = "critical"
)

// Rank orders indicators: info < warning < critical.
func (i Indicator) Rank() int {
	switch i {
	case Critical:
		return 3
	case Warning:
		return 2
	case Info:
		return 1
	}
	return 0
}

// Finding is one piece of advice for one topic. Package hooks turns it into
// a CDS Hooks card.
type Finding struct {
	// Topic is the rule's topic code, e.g. "fracture-case-finding": a stable
	// public interface (card source.topic.code).
	Topic     string
	Indicator Indicator
	// Summary must stay under 140 runes in both languages.
	Summary Text
	// Detail is GitHub-flavoured Markdown without the evidence, threshold
	// and citation sections, which hooks renders from the fields below.
	Detail Text
	// Evidence is the patient data the finding used.
	Evidence []Evidence
	// Thresholds names the thresholds applied, e.g. "eGFR < 30 mL/min/1.73m2".
	Thresholds []Text
	// Citations are the guideline sources, first the primary one.
	Citations   []Citation
	Suggestions []Suggestion
	// SelectionAny is true when the clinician may accept several suggestions
	// (selectionBehavior "any"); otherwise at most one ("at-most-one").
	SelectionAny bool
	// OverrideReasons are the reasons offered when the card is dismissed.
	OverrideReasons []OverrideReason
	// SeeAlso are references to other cards; the planner writes them into
	// Detail only for cards that are in the response (planner.go).
	SeeAlso []SeeAlso
	// Brief is the finding in one sentence, used when the planner folds
	// this card into the card of its situation (the laboratory work-up
	// into the case-finding card).
	Brief Text
}

// Evidence is one datum shown on a card: what it is, its value and unit,
// its date and the resource it came from.
type Evidence struct {
	Label Text
	// Value and Unit are language-neutral (numbers, codes, UCUM units). A
	// Value that is a plain number ("-2.4", "+8.0") is shown with a decimal
	// comma in Dutch (ValueIn); anything else is shown as is.
	Value string
	Unit  string
	// ValueText and UnitText are used instead when the value or unit is a
	// word ("none", "days").
	ValueText Text
	UnitText  Text
	Date      time.Time
	Source    Ref
}

// ValueIn returns the evidence value in language lang. A plain number gets
// the Dutch decimal comma and minus sign in Dutch.
func (e Evidence) ValueIn(lang string) string {
	if e.Value == "" {
		return e.ValueText.In(lang)
	}
	if lang != "en" {
		return NumberNL(e.Value)
	}
	return e.Value
}

// UnitIn returns the evidence unit in language lang.
func (e Evidence) UnitIn(lang string) string {
	if e.Unit == "" {
		return e.UnitText.In(lang)
	}
	return e.Unit
}

// Citation is a guideline or label the finding rests on.
type Citation struct {
	Label string
	URL   string
}

// OverrideReason is a coded reason a clinician can give for dismissing a
// card. Codes are stable: feedback analytics key on them.
type OverrideReason struct {
	Code    string
	Display Text
}

// Suggestion is a set of actions the EHR can apply together.
type Suggestion struct {
	// Key identifies the suggestion within its finding, e.g. "order-dxa",
	// for deduplication across findings and for tests.
	Key         string
	Label       Text
	Recommended bool
	Actions     []Action
}

// ActionType is the CDS Hooks action type.
type ActionType string

// CDS Hooks action types.
const (
	Create ActionType = "create"
	Update ActionType = "update"
	Delete ActionType = "delete"
)

// Action is one change to the EHR's record. For create it carries an Order
// that package fhir turns into a complete FHIR R4 resource; for delete it
// carries the id of the draft order to remove; for update (stopping a
// medication) it carries both.
type Action struct {
	Type        ActionType
	Description Text
	Order       *Order
	// ResourceID is the relative reference "Type/id" of the resource to
	// delete or update.
	ResourceID Ref
}

// OrderKind says what resource an Order becomes.
type OrderKind string

// Order kinds.
const (
	// OrderDXA is a ServiceRequest for DXA (LOINC 38268-9), with VFA when
	// WithVFA is set.
	OrderDXA OrderKind = "dxa"
	// OrderLabPanel is one ServiceRequest per analyte in Analytes.
	OrderLabPanel OrderKind = "lab-panel"
	// OrderMedication is a MedicationRequest for Drug.
	OrderMedication OrderKind = "medication"
	// OrderStopMedication is an update of an existing MedicationRequest to
	// status "stopped" (ResourceID on the action).
	OrderStopMedication OrderKind = "stop-medication"
	// OrderReferral is a ServiceRequest referral to a specialty.
	OrderReferral OrderKind = "referral"
	// OrderFollowUp is a ServiceRequest for a follow-up evaluation at Date.
	OrderFollowUp OrderKind = "follow-up"
)

// Drug is a product a card may order, with a fixed code and dose.
type Drug string

// Drugs the cards order.
const (
	DrugOrderZoledronicAcid5mg Drug = "zoledronic-acid-5mg-iv"
	DrugOrderDenosumab60mg     Drug = "denosumab-60mg-sc"
	DrugOrderAlendronate70mg   Drug = "alendronic-acid-70mg-weekly"
	DrugOrderRisedronate35mg   Drug = "risedronic-acid-35mg-weekly"
	DrugOrderColecalciferol    Drug = "colecalciferol-800iu-daily"
	DrugOrderCalciumVitD       Drug = "calcium-colecalciferol"
)

// Order describes a resource to create, in clinical terms. Package fhir
// owns the codes and turns it into FHIR R4.
type Order struct {
	Kind     OrderKind
	WithVFA  bool
	Analytes []Analyte
	Drug     Drug
	// Date is the planned date (ZOL at last denosumab dose + 183 days, a
	// follow-up in 3 years); zero means now.
	Date time.Time
	// Specialty names the referral target, e.g. "internal medicine".
	Specialty Text
	// Reason is the clinical reason, shown as ServiceRequest.reasonCode text.
	Reason Text
	// Confirmation marks a lab order that repeats an abnormal result to
	// confirm it: the planner keeps it although the test was done recently.
	Confirmation bool
}
