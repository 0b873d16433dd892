package fhir

import (
	"slices"
	"strings"
	"time"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// extract turns the decoded resources of one request into rules.Facts. It
// never fails: what it cannot read becomes a rules.Gap (an unconvertible
// unit, a DXA result without a site), or is left out when it carries no
// meaning for the rules (a condition with an unknown code).
func extract(res *resources, in Input, t *Terminology) Result {
	f := rules.Facts{AsOf: in.AsOf, Hook: in.Hook}
	if res == nil {
		f.Patient.ID = in.PatientID
		return Result{Facts: f}
	}
	f.Patient = patientFacts(res.patient, in.PatientID)
	for i, c := range res.conditions {
		if cond, ok := conditionFacts(c, t); ok {
			if f.Conditions == nil {
				// Size once for the rest instead of growing. Made at
				// the first match, so no match still leaves it nil.
				f.Conditions = make([]rules.Condition, 0, len(res.conditions)-i)
			}
			f.Conditions = append(f.Conditions, cond)
			if undatedFracture(cond) {
				f.Gaps = append(f.Gaps, rules.Gap{Source: cond.Source, What: rules.Text{
					NL: "datum van de fractuur ontbreekt",
					EN: "date of the fracture is missing",
				}})
			}
		}
	}
	if len(res.observations) > 0 {
		// Most observations are labs: size for them once instead of
		// growing.
		f.Labs = make([]rules.Lab, 0, len(res.observations))
	}
	for _, o := range res.observations {
		observationFacts(o, t, &f)
	}
	for _, sr := range res.serviceRequests {
		if so, ok := serviceOrderFacts(sr, false); ok {
			f.ServiceOrder = append(f.ServiceOrder, so)
		}
	}
	for _, sr := range res.draftServiceRequests {
		if so, ok := serviceOrderFacts(sr, true); ok {
			f.ServiceOrder = append(f.ServiceOrder, so)
		}
	}
	meds, medGaps := medicationRecords(res, in, t)
	f.Medications = append(f.Medications, meds...)
	f.Gaps = append(f.Gaps, medGaps...)
	f.Gaps = append(f.Gaps, res.gaps...)
	return Result{Facts: f, raw: res.raw, Unreadable: res.unreadable, SelectionPending: selectionPending(res, in)}
}

// selectionPending reports whether in is an order-select whose every
// selection is a draft MedicationRequest without any medication[x]: the
// clinician has not chosen a drug yet. That is no missing data to report,
// only an order that is not there yet.
func selectionPending(res *resources, in Input) bool {
	if in.Hook != rules.OrderSelect || len(in.Selections) == 0 {
		return false
	}
	for _, sel := range in.Selections {
		i := slices.IndexFunc(res.draftMedicationRequests, func(m *medicationRequest) bool {
			return string(idRef("MedicationRequest", m.ID)) == sel
		})
		if i < 0 || res.draftMedicationRequests[i].hasMedication() {
			return false
		}
	}
	return true
}

// patientFacts reads id, birth date and gender. A missing or invalid birth
// date stays zero: the rules report it and skip age-gated advice.
func patientFacts(p *patient, fallbackID string) rules.Patient {
	out := rules.Patient{ID: fallbackID}
	if p == nil {
		return out
	}
	if p.ID != nil && *p.ID != "" {
		out.ID = *p.ID
	}
	out.BirthDate = dateOf(p.BirthDate)
	if p.Gender != nil {
		out.Gender = p.Gender.Code()
	}
	return out
}

// conditionFacts reads one Condition. Entered-in-error and refuted
// conditions never drive a card (rules.md §0.3) and are dropped; a
// condition whose code means nothing to the rules is dropped as well.
func conditionFacts(c *condition, t *Terminology) (rules.Condition, bool) {
	if hasAnyCode(c.VerificationStatus, "entered-in-error", "refuted") {
		return rules.Condition{}, false
	}
	m, ok := t.classifyCondition(c.Code.codings())
	if !ok {
		t.Unmapped().recordCodings(UnmappedCondition, c.Code.codings())
		return rules.Condition{}, false
	}
	onset, recordedOnly := conditionOnset(c)
	return rules.Condition{
		Source:        refTo("Condition", c.ID),
		Concepts:      m.concepts,
		Code:          m.code,
		Onset:         onset,
		RecordedOnly:  recordedOnly,
		Active:        conditionActive(c),
		LowConfidence: m.lowConfidence,
		GenantGrade:   genantGrade(c),
		Display:       conditionDisplay(c),
	}, true
}

// conditionDisplay is the record's own wording for a condition: the
// code's text, as the clinician wrote it ("Fractuur distale tibia links").
func conditionDisplay(c *condition) string {
	if c.Code == nil {
		return ""
	}
	return strings.TrimSpace(c.Code.Text)
}

// undatedFracture reports whether cond is a fracture that counts for
// case finding but has no date at all. The rules cannot tell whether it is
// recent (an undated non-vertebral fracture is never an index fracture), so
// it must be named on the insufficient-data card instead of vanishing.
func undatedFracture(cond rules.Condition) bool {
	if !cond.Onset.IsZero() || cond.Has(rules.ConceptFractureExcluded) {
		return false
	}
	return cond.Has(rules.ConceptFracture) || cond.Has(rules.ConceptVertebralFracture)
}

// GenantGradeSystem is the code system, owned by fracturecds, for the
// Genant semi-quantitative grade of a vertebral deformity found on VFA
// (codes "1" mild, "2" moderate, "3" severe). No LOINC or SNOMED CT code
// for the grade could be verified (terminology.md §2), so VFA reports state
// it on the vertebral fracture Condition as stage.summary with this system
// (README "Vertebral fracture assessment").
const GenantGradeSystem = "https://fracturecds.org/fhir/CodeSystem/genant-grade"

// genantGrade reads the Genant grade from Condition.stage.summary, 0 when
// the condition is not graded.
func genantGrade(c *condition) int {
	for _, st := range c.Stage {
		for _, cd := range st.Summary.codings() {
			if cd.System != GenantGradeSystem {
				continue
			}
			switch cd.Code {
			case "1":
				return 1
			case "2":
				return 2
			case "3":
				return 3
			}
		}
	}
	return 0
}

// conditionActive reads clinicalStatus. A missing clinicalStatus counts as
// active (a problem-list entry without status is still on the list),
// unless abatement[x] is present: FHIR then requires an inactive status,
// so the sender simply left it out.
func conditionActive(c *condition) bool {
	if len(c.ClinicalStatus.codings()) == 0 {
		return !c.abated()
	}
	return !hasAnyCode(c.ClinicalStatus, "inactive", "remission", "resolved")
}

// hasAnyCode reports whether any coding of cc has one of the codes
// (system-independent: the status code systems have one meaning per code).
func hasAnyCode(cc *concept, codes ...string) bool {
	for _, c := range cc.codings() {
		_, code := c.key()
		for _, want := range codes {
			if code == want {
				return true
			}
		}
	}
	return false
}

// refTo builds "Type/id", "Type/" when id is not a valid FHIR id.
func refTo(resourceType, id string) rules.Ref {
	if !ValidID(id) {
		return rules.Ref(resourceType + "/")
	}
	return rules.Ref(resourceType + "/" + id)
}

// ValidID reports whether id is a valid FHIR id, the R4 id datatype
// [A-Za-z0-9\-\.]{1,64}. Ids come from the request and end up in card
// evidence and in delete/update actions, so an invalid one
// ("../Patient/x", markup) is treated as no id at all. It is checked for
// every resource of every request, which a regexp made 5 % of a request's
// CPU.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// measurement is one coded value of an Observation: the Observation itself
// or one of its components (a DXA report may carry each site as a
// component).
type measurement struct {
	code     concept
	quantity *quantity
	integer  *int
	ranges   []referenceRange
}

// observationFacts reads one Observation (and its components) as labs and
// DXA measurements into f, and what cannot be read as gaps. Category is
// not checked: DXA results may carry "imaging" or no category at all.
func observationFacts(o *observation, t *Terminology, f *rules.Facts) {
	if !o.usable() {
		return
	}
	if lr, ok := lifestyleFact(o, t); ok {
		f.Lifestyle = append(f.Lifestyle, lr)
		return
	}
	src := refTo("Observation", o.ID)
	date := o.date()
	read := func(m measurement) {
		if lm, ok := t.classifyLab(m.code.Coding); ok {
			if lab, gap, ok := labFact(lm, m, src, date); ok {
				f.Labs = append(f.Labs, lab)
			} else {
				f.Gaps = append(f.Gaps, gap)
			}
			return
		}
		if dm, ok := t.classifyDXA(m.code.Coding, o.BodySite.codings()); ok {
			if d, gap, ok := dxaFact(dm, m, src, date); ok {
				f.DXA = append(f.DXA, d)
			} else {
				f.Gaps = append(f.Gaps, gap)
			}
			return
		}
		t.Unmapped().recordCodings(UnmappedObservation, m.code.Coding)
	}
	read(measurement{code: o.Code, quantity: o.ValueQuantity, integer: o.ValueInteger, ranges: o.ReferenceRange})
	for _, c := range o.Component {
		read(measurement{code: c.Code, quantity: c.ValueQuantity, integer: c.ValueInteger, ranges: c.ReferenceRange})
	}
}

// labFact converts one lab measurement, or explains why it cannot be used.
//
// It is called for every lab value of every request, so the analyte's name
// is looked up only for a gap, the value is parsed once (convertLab would
// parse it again), and the unit factors are looked up once for the value
// and its reference range.
func labFact(lm labMatch, m measurement, src rules.Ref, date time.Time) (rules.Lab, rules.Gap, bool) {
	q := m.quantity
	if q == nil || q.Value == "" {
		name := analyteName(lm.analyte)
		return rules.Lab{}, rules.Gap{Source: src, What: rules.Text{NL: name.NL + " (geen numerieke waarde)", EN: name.EN + " (no numeric value)"}}, false
	}
	unit := quantityUnit(q)
	factors := unitFactors[lm.analyte]
	original, ok := quantityValue(q)
	var value float64
	if ok {
		value, ok = convertValue(factors, original, q)
	}
	if !ok {
		name := analyteName(lm.analyte)
		if _, known := lookupFactor(factors, q); known && unit != "" {
			// The unit is fine; the value is not (negative or absurd):
			// saying so sends nobody looking for a unit problem.
			return rules.Lab{}, rules.Gap{Source: src, What: rules.Text{NL: name.NL + " (onmogelijke waarde)", EN: name.EN + " (implausible value)"}}, false
		}
		return rules.Lab{}, rules.Gap{Source: src, What: unitGapText(name, unit)}, false
	}
	if date.IsZero() {
		name := analyteName(lm.analyte)
		return rules.Lab{}, rules.Gap{Source: src, What: rules.Text{NL: name.NL + " (datum onbekend)", EN: name.EN + " (date unknown)"}}, false
	}
	lab := rules.Lab{
		Source:        src,
		Analyte:       lm.analyte,
		Value:         value,
		Comparator:    comparator(q),
		Date:          date,
		Code:          lm.code,
		OriginalValue: original,
		OriginalUnit:  unit,
	}
	if len(m.ranges) > 0 {
		lab.RefLow, lab.RefHigh = referenceBounds(factors, m.ranges[0], q)
	}
	return lab, rules.Gap{}, true
}

// dxaFact converts one DXA measurement, or explains why it cannot be used.
// T- and Z-scores ignore their unit (none, "1", "{T-score}", "SD").
func dxaFact(dm dxaMatch, m measurement, src rules.Ref, date time.Time) (rules.DXAMeasurement, rules.Gap, bool) {
	label := measureLabels[dm.measure] + " (" + dm.code + ")"
	name := rules.Text{NL: label, EN: label}
	if dm.site == "" {
		return rules.DXAMeasurement{}, rules.Gap{Source: src, What: rules.Text{NL: name.NL + " zonder meetlocatie", EN: name.EN + " without measurement site"}}, false
	}
	var value float64
	switch {
	case dm.measure == rules.BMD:
		v, ok := convertBMD(m.quantity)
		if !ok {
			if _, hasValue := quantityValue(m.quantity); hasValue {
				return rules.DXAMeasurement{}, rules.Gap{Source: src, What: unitGapText(name, quantityUnit(m.quantity))}, false
			}
			return rules.DXAMeasurement{}, rules.Gap{Source: src, What: rules.Text{NL: name.NL + " (geen numerieke waarde)", EN: name.EN + " (no numeric value)"}}, false
		}
		value = v
	case m.quantity != nil && m.quantity.Value != "":
		v, ok := quantityValue(m.quantity)
		if !ok {
			return rules.DXAMeasurement{}, rules.Gap{Source: src, What: rules.Text{NL: name.NL + " (geen numerieke waarde)", EN: name.EN + " (no numeric value)"}}, false
		}
		value = v
	case m.integer != nil:
		value = float64(*m.integer)
	default:
		return rules.DXAMeasurement{}, rules.Gap{Source: src, What: rules.Text{NL: name.NL + " (geen numerieke waarde)", EN: name.EN + " (no numeric value)"}}, false
	}
	if date.IsZero() {
		return rules.DXAMeasurement{}, rules.Gap{Source: src, What: rules.Text{NL: name.NL + " (datum onbekend)", EN: name.EN + " (date unknown)"}}, false
	}
	return rules.DXAMeasurement{
		Source:     src,
		Site:       dm.site,
		Measure:    dm.measure,
		Value:      value,
		Date:       date,
		Code:       dm.code,
		Laterality: dm.laterality,
	}, rules.Gap{}, true
}

// measureLabels name DXA measures in Gap texts (the same in both languages).
var measureLabels = map[rules.Measure]string{
	rules.TScore:       "DXA T-score",
	rules.ZScore:       "DXA Z-score",
	rules.BMD:          "DXA BMD",
	rules.BMDChangePct: "DXA BMD change",
}

// serviceOrderFacts reads a ServiceRequest for DXA (LOINC 38268-9). The
// status is as samply decoded it (a missing status reads "draft"); an
// entered-in-error request is dropped, like every entered-in-error record.
// Only valid requests are kept (decodeBundle, decodeDraftOrders), so the
// status is a known code.
func serviceOrderFacts(sr *serviceRequest, draft bool) (rules.ServiceOrder, bool) {
	status, _ := sr.status()
	if !hasCoding(sr.Code, SystemLOINC, LOINCDXAOrder) || status == r4.RequestStatusEnteredInError {
		return rules.ServiceOrder{}, false
	}
	return rules.ServiceOrder{
		Source: refTo("ServiceRequest", sr.ID),
		Kind:   rules.ServiceDXA,
		Status: status.Code(),
		Date:   serviceRequestDate(sr),
		Draft:  draft,
	}, true
}
