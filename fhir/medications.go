package fhir

// Medication records (rules.md §0.3 "Medication exposure" and
// "Injectables"): one rules.MedicationRecord per MedicationStatement,
// MedicationRequest, MedicationAdministration and draft MedicationRequest
// whose drug belongs to a class the rules know.

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// statusEnteredInError is the status of a record made by mistake; it never
// drives a card (rules.md §0.3 "Status").
const statusEnteredInError = "entered-in-error"

// medicationRecords turns the medication resources of res into records.
//
// Status is copied as sent. samply keeps the status of the three
// Medication* resources as a plain string (not an enum), so a missing
// status reads as "" rather than as a first enum value; rules treat "" as
// unknown. Records with status entered-in-error are skipped.
//
// A record whose medication is coded but belongs to no known class is
// dropped silently: it is an irrelevant drug, not lost data. A medication
// that cannot be read at all (no code, text or reference, or a
// medicationReference that resolves to nothing) becomes a Gap, because it
// could be a bone drug.
//
// in is part of the extract() contract; the records depend on res only.
func medicationRecords(res *resources, in Input, t *Terminology) ([]rules.MedicationRecord, []rules.Gap) {
	b := recordBuilder{res: res, t: t}
	for _, s := range res.medicationStatements {
		b.statement(s)
	}
	for _, r := range res.medicationRequests {
		b.request(r, rules.KindRequest)
	}
	for _, a := range res.medicationAdministrations {
		b.administration(a)
	}
	for _, r := range res.draftMedicationRequests {
		b.request(r, rules.KindDraftOrder)
	}
	return b.records, b.gaps
}

// recordBuilder collects records and gaps for one request.
type recordBuilder struct {
	res     *resources
	t       *Terminology
	records []rules.MedicationRecord
	gaps    []rules.Gap
}

// drug is a resolved and classified medication.
type drug struct {
	match drugMatch
	// ingredientMg is Medication.ingredient.strength in mg, 0 when absent.
	ingredientMg float64
}

func (b *recordBuilder) gap(ref rules.Ref, what rules.Text) {
	b.gaps = append(b.gaps, rules.Gap{Source: ref, What: what})
}

// resolve classifies the medication[x] of the resource ref. ok is false
// when the record must be skipped; a gap has then been added if the drug
// could not be read at all.
//
// reference is medicationReference.reference; nil and "" are both none.
func (b *recordBuilder) resolve(ref rules.Ref, cc *r4.CodeableConcept, reference *string) (drug, bool) {
	if len(cc.Coding) > 0 || cc.Text != nil {
		m, ok := b.t.matchDrug(cc)
		if !ok {
			b.t.Unmapped().recordConcept(UnmappedMedication, cc)
		}
		return drug{match: m}, ok
	}
	if reference == nil || strings.TrimSpace(*reference) == "" {
		b.gap(ref, unknownMedicationText(ref))
		return drug{}, false
	}
	med, found := b.res.medication(ref, strings.TrimSpace(*reference))
	if !found {
		b.gap(ref, unknownMedicationText(ref))
		return drug{}, false
	}
	d, ok := b.t.classifyMedication(med)
	if !ok {
		b.t.Unmapped().recordConcept(UnmappedMedication, med.Code)
	}
	return d, ok
}

// unknownMedicationText names a record whose drug is unknown. It names the
// resource, never the EHR's free text.
func unknownMedicationText(ref rules.Ref) rules.Text {
	return rules.Text{
		NL: "medicatiecode onbekend voor " + string(ref),
		EN: "medication code unknown for " + string(ref),
	}
}

// classifyMedication classifies a Medication resource by its code, else by
// its ingredients (Dutch Medication resources often code the product
// locally and the substance in ingredient.itemCodeableConcept).
func (t *Terminology) classifyMedication(med r4.Medication) (drug, bool) {
	if m, ok := t.matchDrug(med.Code); ok {
		return drug{match: m, ingredientMg: ingredientStrength(med, nil)}, true
	}
	for i := range med.Ingredient {
		ing := &med.Ingredient[i]
		if m, ok := t.matchDrug(&ing.ItemCodeableConcept); ok {
			return drug{match: m, ingredientMg: ingredientStrength(med, ing)}, true
		}
	}
	return drug{}, false
}

// ingredientStrength returns the strength in mg of the matched ingredient,
// or of the only ingredient with a strength when none was matched. The
// numerator is the amount per presentation (Xgeva "120 mg / 1.7 mL" gives
// 120), which is what StrengthMg means.
func ingredientStrength(med r4.Medication, matched *r4.MedicationIngredient) float64 {
	if matched != nil && matched.Strength != nil {
		if mg, ok := quantityMg(quantityOf(matched.Strength.Numerator)); ok {
			return mg
		}
	}
	found := 0.0
	n := 0
	for _, ing := range med.Ingredient {
		if ing.Strength == nil {
			continue
		}
		if mg, ok := quantityMg(quantityOf(ing.Strength.Numerator)); ok {
			found = mg
			n++
		}
	}
	if n == 1 {
		return found
	}
	return 0
}

// medication finds the Medication that owner's medicationReference points
// at: a contained "#id" in owner's raw JSON (samply drops contained), else
// res.medications under owner+"#id" or the reference as written, else a
// "Medication/id" tail of an absolute reference.
func (res *resources) medication(owner rules.Ref, reference string) (r4.Medication, bool) {
	if strings.HasPrefix(reference, "#") {
		if med, ok := containedMedication(res.raw[owner], reference[1:]); ok {
			return med, true
		}
		if med, ok := res.medications[string(owner)+reference]; ok {
			return med, true
		}
	}
	if med, ok := res.medications[reference]; ok {
		return med, true
	}
	if i := strings.LastIndex(reference, "/Medication/"); i >= 0 {
		if med, ok := res.medications[reference[i+1:]]; ok {
			return med, true
		}
	}
	return r4.Medication{}, false
}

// containedMedication decodes the contained Medication with the given id
// from a resource's JSON. samply has no contained field (ecosystem.md §2).
func containedMedication(raw json.RawMessage, id string) (r4.Medication, bool) {
	if len(raw) == 0 || id == "" {
		return r4.Medication{}, false
	}
	var owner struct {
		Contained []json.RawMessage `json:"contained"`
	}
	if err := unmarshal(raw, &owner); err != nil {
		return r4.Medication{}, false
	}
	for _, c := range owner.Contained {
		var hdr struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		}
		if unmarshal(c, &hdr) != nil || hdr.ResourceType != "Medication" || hdr.ID != id {
			continue
		}
		med, err := decodeAs[r4.Medication](c)
		if err != nil {
			return r4.Medication{}, false
		}
		return med, true
	}
	return r4.Medication{}, false
}

// addContained records the Medications contained in the resource owner
// (contained is its contained member as JSON, nil when absent) in
// res.medications under "owner#id", the key medication() looks up.
// Statements and administrations are recorded this way as they are
// decoded: their JSON is not kept in res.raw. A contained member that is
// not a list is ignored, as it was when samply, which has no contained
// field, decoded them.
func addContained(res *resources, owner rules.Ref, contained json.RawMessage) {
	if len(contained) == 0 {
		return // most statements contain nothing
	}
	var list []json.RawMessage
	if unmarshal(contained, &list) != nil {
		return
	}
	for _, c := range list {
		var hdr struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		}
		if unmarshal(c, &hdr) != nil || hdr.ResourceType != "Medication" || hdr.ID == "" {
			continue
		}
		med, err := decodeAs[r4.Medication](c)
		if err != nil {
			continue
		}
		if res.medications == nil {
			res.medications = map[string]r4.Medication{}
		}
		res.medications[string(owner)+"#"+hdr.ID] = med
	}
}

// newRecord fills the fields every kind shares. strengthMg follows the
// order documented on classifyDrug: ingredient strength, code-implied
// strength, dose in mg, display text.
func newRecord(ref rules.Ref, kind rules.RecordKind, status string, d drug, route string, doseMg float64) rules.MedicationRecord {
	strength := d.ingredientMg
	if strength == 0 {
		strength = d.match.strengthMg
	}
	if strength == 0 {
		strength = doseMg
	}
	if strength == 0 {
		strength = d.match.displayStrengthMg
	}
	if route == "" {
		// An RxNorm product's dose form says it ("Oral Tablet").
		route = d.match.formRoute
	}
	return rules.MedicationRecord{
		Source:     ref,
		Kind:       kind,
		Classes:    applyRoute(d.match.drugEntry, route),
		Code:       d.match.code,
		Name:       d.match.name,
		NameNL:     d.match.nameNL,
		Status:     status,
		StrengthMg: strength,
		Route:      route,
	}
}

// unitStrength is the strength per dose unit used to turn "2 tablets" into
// mg: never the dose itself.
func (d drug) unitStrength() float64 {
	for _, s := range []float64{d.ingredientMg, d.match.strengthMg, d.match.displayStrengthMg} {
		if s > 0 {
			return s
		}
	}
	return 0
}

// isInjectable marks the drugs whose statement with one date is one dose
// (rules.md §0.3 "Injectables").
func isInjectable(classes []rules.DrugClass) bool {
	return hasClass(classes, rules.DrugDenosumab) || hasClass(classes, rules.DrugZoledronicAcid) || hasClass(classes, rules.DrugBisphosphonateIV)
}

func (b *recordBuilder) statement(s *medicationStatement) {
	ref := resourceRef("MedicationStatement", &s.ID)
	if s.Status == statusEnteredInError {
		return
	}
	d, ok := b.resolve(ref, &s.MedicationCodeableConcept, &s.MedicationReference.Reference)
	if !ok {
		return
	}
	dose := dosageSummary(s.Dosage, d.unitStrength())
	rec := newRecord(ref, rules.KindStatement, s.Status, d, dose.route, dose.doseMg)
	rec.DailyDoseMg = dose.dailyMg
	switch {
	case s.EffectivePeriod != nil:
		rec.Start = b.date(ref, &s.EffectivePeriod.Start)
		rec.End = b.date(ref, &s.EffectivePeriod.End)
	case s.EffectiveDateTime != nil:
		rec.Start = b.date(ref, s.EffectiveDateTime)
		// A denosumab or zoledronic acid statement with one date records
		// one dose (GP systems send one per dispense or injection).
		rec.SingleDose = isInjectable(rec.Classes)
	}
	b.records = append(b.records, rec)
}

func (b *recordBuilder) request(r *medicationRequest, kind rules.RecordKind) {
	ref := resourceRef("MedicationRequest", &r.ID)
	if r.Status == statusEnteredInError {
		return
	}
	d, ok := b.resolve(ref, &r.MedicationCodeableConcept, &r.MedicationReference.Reference)
	if !ok {
		return
	}
	dose := dosageSummary(r.dosages(), d.unitStrength())
	rec := newRecord(ref, kind, r.Status, d, dose.route, dose.doseMg)
	rec.DailyDoseMg = dose.dailyMg
	rec.DoNotPerform = r.DoNotPerform != nil && *r.DoNotPerform
	rec.Start = b.date(ref, r.AuthoredOn)

	var validity *r4.Period
	var supply *r4.Duration
	repeats := 0
	if dr := r.DispenseRequest; dr != nil {
		validity, supply = dr.ValidityPeriod, dr.ExpectedSupplyDuration
		if dr.NumberOfRepeatsAllowed != nil && *dr.NumberOfRepeatsAllowed > 0 {
			repeats = *dr.NumberOfRepeatsAllowed
		}
	}
	var validityStart time.Time
	if validity != nil {
		validityStart = b.date(ref, validity.Start)
	}
	if rec.Start.IsZero() {
		rec.Start = validityStart
	}
	// End: the validity end when given; else the supply (initial fill plus
	// repeats, each expectedSupplyDuration long) from the start.
	supplyDays, haveSupply := durationDays(supply)
	switch {
	case validity != nil && validity.End != nil:
		rec.End = b.date(ref, validity.End)
		from := firstDate(validityStart, rec.Start)
		if !rec.End.IsZero() && !from.IsZero() && rec.End.After(from) {
			rec.SupplyDays = int(math.Round(rec.End.Sub(from).Hours() / 24))
		}
	case haveSupply:
		rec.SupplyDays = int(math.Round(supplyDays * float64(repeats+1)))
		if !rec.Start.IsZero() {
			rec.End = rec.Start.AddDate(0, 0, rec.SupplyDays)
		}
	}
	rec.PlannedDate = validityStart
	if len(r.DosageInstruction) > 0 {
		if tm := r.DosageInstruction[0].Timing; tm != nil && len(tm.Event) > 0 {
			rec.PlannedDate = firstDate(b.date(ref, &tm.Event[0]), validityStart)
		}
	}
	if kind == rules.KindDraftOrder {
		rec.Selected = b.res.isSelected(ref)
	}
	b.records = append(b.records, rec)
}

func (b *recordBuilder) administration(a *medicationAdministration) {
	ref := resourceRef("MedicationAdministration", &a.ID)
	if a.Status == statusEnteredInError {
		return
	}
	d, ok := b.resolve(ref, &a.MedicationCodeableConcept, &a.MedicationReference.Reference)
	if !ok {
		return
	}
	var route string
	var doseMg float64
	if ad := a.Dosage; ad != nil {
		route = routeOf(ad.Route)
		doseMg, _ = doseInMg(ad.Dose.q(), d.unitStrength())
	}
	rec := newRecord(ref, rules.KindAdministration, a.Status, d, route, doseMg)
	rec.SingleDose = true
	// effective[x] of MedicationAdministration are values (as samply kept
	// them), so an absent dateTime is "" and an absent period is empty.
	if strings.TrimSpace(a.EffectiveDateTime) != "" {
		rec.Start = b.date(ref, &a.EffectiveDateTime)
	} else {
		rec.Start = b.date(ref, &a.EffectivePeriod.Start)
	}
	b.records = append(b.records, rec)
}

// date parses an optional FHIR date; an unreadable one becomes a Gap (a
// dose date the rules cannot see matters for the denosumab rules).
func (b *recordBuilder) date(ref rules.Ref, s *string) time.Time {
	if s == nil || strings.TrimSpace(*s) == "" {
		return time.Time{}
	}
	t, err := parseDate(*s)
	if err != nil {
		b.gap(ref, rules.Text{
			NL: "onleesbare medicatiedatum in " + string(ref),
			EN: "unreadable medication date in " + string(ref),
		})
		return time.Time{}
	}
	return t
}

// isSelected reports whether ref is in context.selections.
func (res *resources) isSelected(ref rules.Ref) bool {
	for _, s := range res.selections {
		if s == string(ref) {
			return true
		}
	}
	return false
}

// resourceRef builds "Type/id"; a resource without an id gets just its type.
func resourceRef(typ string, id *string) rules.Ref {
	if id == nil || !ValidID(*id) {
		return rules.Ref(typ)
	}
	return rules.Ref(typ + "/" + *id)
}

// dosageInfo is what a dosage list says, reduced to what records need.
type dosageInfo struct {
	route string
	// doseMg is the first dose in mg when its unit is a mass, else 0.
	doseMg float64
	// dailyMg is the daily dose in mg, 0 when unknown.
	dailyMg float64
}

// dosageSummary reads route, dose and daily dose from a dosage list.
// Dosages with the same sequence as the first are taken together (a
// morning and an evening dose are two Dosage elements); later sequences are
// later phases and are ignored. The daily dose is unknown (0) when any
// concurrent dosage lacks a dose or a timing: a partial sum would
// understate a glucocorticoid dose.
func dosageSummary(ds []dosage, unitStrengthMg float64) dosageInfo {
	var out dosageInfo
	if len(ds) == 0 {
		return out
	}
	for _, d := range ds {
		if r := routeOf(d.Route); r != "" {
			out.route = r
			break
		}
	}
	if q := doseQuantity(ds[0]); q != nil {
		out.doseMg, _ = quantityMg(q)
	}
	total := 0.0
	for _, d := range ds {
		if !sameSequence(d.Sequence, ds[0].Sequence) {
			continue
		}
		mg, ok := doseInMg(doseQuantity(d), unitStrengthMg)
		if !ok {
			return out
		}
		perDay, ok := timesPerDay(d.Timing)
		if !ok {
			return out
		}
		total += mg * perDay
	}
	out.dailyMg = round(total, 3)
	return out
}

func sameSequence(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// doseQuantity returns the first doseAndRate.doseQuantity. A dose range is
// not read: its lower bound would understate and its upper overstate.
func doseQuantity(d dosage) *quantity {
	for _, dr := range d.DoseAndRate {
		if dr.DoseQuantity != nil {
			return dr.DoseQuantity.q()
		}
	}
	return nil
}

// doseInMg converts a dose to mg: directly for a mass unit, or as a count
// of units (tablets, mL, "1") times the strength per unit when known.
// A dose without a unit, or in international units, cannot be converted.
func doseInMg(q *quantity, unitStrengthMg float64) (float64, bool) {
	if mg, ok := quantityMg(q); ok {
		return mg, true
	}
	v, ok := quantityValue(q)
	if !ok || unitStrengthMg <= 0 {
		return 0, false
	}
	// A bare number could be mg or tablets; international units are not a
	// count of dose units.
	switch unitKey(quantityUnit(q)) {
	case "", "iu", "[iu]", "ie", "[ie]", "u", "unit", "units", "e":
		return 0, false
	}
	return v * unitStrengthMg, true
}

// massToMg are mass units and their factor to mg.
var massToMg = map[string]float64{
	"mg": 1, "milligram": 1, "milligrams": 1, "milligram(s)": 1,
	"g": 1000, "gram": 1000, "grams": 1000,
	"ug": 0.001, "mcg": 0.001, "microgram": 0.001, "micrograms": 0.001,
}

// quantityMg returns a mass quantity in mg.
func quantityMg(q *quantity) (float64, bool) {
	v, ok := quantityValue(q)
	if !ok {
		return 0, false
	}
	f, ok := lookupFactor(massToMg, q)
	if !ok {
		return 0, false
	}
	return v * f, true
}

// unitDays converts UCUM time units (Timing.periodUnit, Duration.code) and
// their common spellings to days. A month is 30 days and a year 365: the
// exposure windows of rules.md are not sensitive to the difference.
var unitDays = map[string]float64{
	"s": 1.0 / 86400, "min": 1.0 / 1440, "h": 1.0 / 24, "hour": 1.0 / 24, "hours": 1.0 / 24,
	"d": 1, "day": 1, "days": 1, "dag": 1, "dagen": 1,
	"wk": 7, "week": 7, "weeks": 7, "weken": 7,
	"mo": 30, "month": 30, "months": 30, "maand": 30, "maanden": 30,
	"a": 365, "year": 365, "years": 365, "jaar": 365,
}

// durationDays returns a Duration in days.
func durationDays(d *r4.Duration) (float64, bool) {
	if d == nil || d.Value == nil {
		return 0, false
	}
	v, err := d.Value.Float64()
	if err != nil || v <= 0 {
		return 0, false
	}
	for _, u := range []*string{d.Code, d.Unit} {
		if u == nil {
			continue
		}
		if f, ok := unitDays[unitKey(*u)]; ok {
			return v * f, true
		}
	}
	return 0, false
}

// timingCodes are the HL7 timing abbreviations, as administrations per day.
var timingCodes = map[string]float64{
	"QD": 1, "AM": 1, "PM": 1, "BED": 1, "BID": 2, "TID": 3, "QID": 4, "QOD": 0.5,
	"Q1H": 24, "Q2H": 12, "Q3H": 8, "Q4H": 6, "Q6H": 4, "Q8H": 3, "WK": 1.0 / 7, "MO": 1.0 / 30,
}

// timesPerDay returns how often per day a timing gives a dose:
// frequency per period (period in periodUnit), or the number of
// timeOfDay/when entries per day, or days of the week per week, or a
// timing code. A timing with only events (a single dose) has no rate.
func timesPerDay(tm *dosageTiming) (float64, bool) {
	if tm == nil {
		return 0, false
	}
	if rp := tm.Repeat; rp != nil {
		freq := 0.0
		switch {
		case rp.Frequency != nil:
			freq = float64(*rp.Frequency)
		case len(rp.TimeOfDay) > 0:
			freq = float64(len(rp.TimeOfDay))
		case len(rp.When) > 0:
			freq = float64(len(rp.When))
		}
		if rp.Period != "" {
			period, err := rp.Period.Float64()
			if err != nil || period <= 0 || rp.PeriodUnit == "" {
				return 0, false
			}
			f, ok := unitDays[unitKey(rp.PeriodUnit)]
			if !ok {
				return 0, false
			}
			if freq == 0 {
				freq = 1
			}
			return freq / (period * f), true
		}
		if len(rp.DayOfWeek) > 0 {
			if freq == 0 {
				freq = 1
			}
			return freq * float64(len(rp.DayOfWeek)) / 7, true
		}
		if freq > 0 && (len(rp.TimeOfDay) > 0 || len(rp.When) > 0) {
			return freq, true // times of day without a period: daily
		}
	}
	for _, c := range tm.Code.codings() {
		if n, ok := timingCodes[strings.ToUpper(c.Code)]; ok {
			return n, true
		}
	}
	return 0, false
}
