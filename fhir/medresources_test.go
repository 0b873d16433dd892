package fhir

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// The samply oracle: how medications.go read MedicationStatements and
// MedicationAdministrations when prefetch.go decoded them with samply's
// types (commit 1bb1247), copied with "samply" prefixed to the names. It
// is the reference TestMedicationDecodeReadsWhatSamplyRead holds the small
// types (medresources.go) to. The shared helpers it calls (resolve,
// newRecord, date, routeOf, quantityMg, unitDays, timingCodes) did not
// change.

func (b *recordBuilder) samplyStatement(s r4.MedicationStatement) {
	ref := resourceRef("MedicationStatement", s.Id)
	if s.Status == statusEnteredInError {
		return
	}
	d, ok := b.resolve(ref, &s.MedicationCodeableConcept, s.MedicationReference.Reference)
	if !ok {
		return
	}
	dose := samplyDosageSummary(s.Dosage, d.unitStrength())
	rec := newRecord(ref, rules.KindStatement, s.Status, d, dose.route, dose.doseMg)
	rec.DailyDoseMg = dose.dailyMg
	switch {
	case s.EffectivePeriod != nil:
		rec.Start = b.date(ref, s.EffectivePeriod.Start)
		rec.End = b.date(ref, s.EffectivePeriod.End)
	case s.EffectiveDateTime != nil:
		rec.Start = b.date(ref, s.EffectiveDateTime)
		// A denosumab or zoledronic acid statement with one date records
		// one dose (GP systems send one per dispense or injection).
		rec.SingleDose = isInjectable(rec.Classes)
	}
	b.records = append(b.records, rec)
}

func (b *recordBuilder) samplyAdministration(a r4.MedicationAdministration) {
	ref := resourceRef("MedicationAdministration", a.Id)
	if a.Status == statusEnteredInError {
		return
	}
	d, ok := b.resolve(ref, &a.MedicationCodeableConcept, a.MedicationReference.Reference)
	if !ok {
		return
	}
	var route string
	var doseMg float64
	if ad := a.Dosage; ad != nil {
		route = routeOf(ad.Route)
		doseMg, _ = samplyDoseInMg(ad.Dose, d.unitStrength())
	}
	rec := newRecord(ref, rules.KindAdministration, a.Status, d, route, doseMg)
	rec.SingleDose = true
	// samply keeps effective[x] of MedicationAdministration as values, so
	// an absent dateTime is "" and an absent period is empty.
	if strings.TrimSpace(a.EffectiveDateTime) != "" {
		s := a.EffectiveDateTime
		rec.Start = b.date(ref, &s)
	} else {
		rec.Start = b.date(ref, a.EffectivePeriod.Start)
	}
	b.records = append(b.records, rec)
}

func samplyDosageSummary(ds []r4.Dosage, unitStrengthMg float64) dosageInfo {
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
	if q := samplyDoseQuantity(ds[0]); q != nil {
		out.doseMg, _ = quantityMg(quantityOf(q))
	}
	total := 0.0
	for _, d := range ds {
		if !sameSequence(d.Sequence, ds[0].Sequence) {
			continue
		}
		mg, ok := samplyDoseInMg(samplyDoseQuantity(d), unitStrengthMg)
		if !ok {
			return out
		}
		perDay, ok := samplyTimesPerDay(d.Timing)
		if !ok {
			return out
		}
		total += mg * perDay
	}
	out.dailyMg = round(total, 3)
	return out
}

func samplyDoseQuantity(d r4.Dosage) *r4.Quantity {
	for _, dr := range d.DoseAndRate {
		if dr.DoseQuantity != nil {
			return dr.DoseQuantity
		}
	}
	return nil
}

func samplyDoseInMg(dose *r4.Quantity, unitStrengthMg float64) (float64, bool) {
	q := quantityOf(dose)
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

func samplyTimesPerDay(tm *r4.Timing) (float64, bool) {
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
		if rp.Period != nil {
			period, err := rp.Period.Float64()
			if err != nil || period <= 0 || rp.PeriodUnit == nil {
				return 0, false
			}
			f, ok := unitDays[unitKey(*rp.PeriodUnit)]
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
	if tm.Code != nil {
		for _, c := range tm.Code.Coding {
			if c.Code != nil {
				if n, ok := timingCodes[strings.ToUpper(*c.Code)]; ok {
					return n, true
				}
			}
		}
	}
	return 0, false
}

func samplyAddContainedMedications(res *resources, owner rules.Ref, raw json.RawMessage) {
	if !bytes.Contains(raw, []byte(`"contained"`)) && !bytes.Contains(raw, []byte(`\u`)) {
		// Most statements contain nothing: skip a decoding pass over
		// each of them. A key spelled with \u escapes is still read.
		return
	}
	var o struct {
		Contained []json.RawMessage `json:"contained"`
	}
	if unmarshal(raw, &o) != nil {
		return
	}
	samplyAddContained(res, owner, o.Contained)
}

func samplyAddContained(res *resources, owner rules.Ref, contained []json.RawMessage) {
	for _, c := range contained {
		var hdr struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		}
		if unmarshal(c, &hdr) != nil || hdr.ResourceType != "Medication" || hdr.ID == "" {
			continue
		}
		med, err := samplyAs[r4.Medication](c)
		if err != nil {
			continue
		}
		if res.medications == nil {
			res.medications = map[string]r4.Medication{}
		}
		res.medications[string(owner)+"#"+hdr.ID] = med
	}
}

// samplyRecords decodes one MedicationStatement or MedicationAdministration
// as decodeEntry did with samply's types and builds its records; meds are
// the Medications of the request (res.medications).
func samplyRecords(raw json.RawMessage, h *entryHeader, meds map[string]r4.Medication, term *Terminology) ([]rules.MedicationRecord, []rules.Gap) {
	res := &resources{medications: maps.Clone(meds)}
	b := recordBuilder{res: res, t: term}
	ref := refOf(h.ResourceType, *h)
	switch h.ResourceType {
	case "MedicationStatement":
		m, err := samplyAs[r4.MedicationStatement](raw)
		if err != nil {
			return nil, []rules.Gap{unreadable(h.ResourceType, ref)}
		}
		samplyAddContainedMedications(res, ref, raw)
		b.samplyStatement(m)
	case "MedicationAdministration":
		m, err := samplyAs[r4.MedicationAdministration](raw)
		if err != nil {
			return nil, []rules.Gap{unreadable(h.ResourceType, ref)}
		}
		samplyAddContainedMedications(res, ref, raw)
		b.samplyAdministration(m)
	}
	return b.records, b.gaps
}

// smallRecords is samplyRecords with today's decodeEntry and
// medicationRecords.
func smallRecords(t *testing.T, key string, raw json.RawMessage, h *entryHeader, meds map[string]r4.Medication, term *Terminology) ([]rules.MedicationRecord, []rules.Gap) {
	t.Helper()
	res := &resources{medications: maps.Clone(meds)}
	if err := decodeEntry(key, raw, h, allowedTypes[key], patientOf(h), res); err != nil {
		t.Fatalf("decodeEntry: %v", err)
	}
	recs, gaps := medicationRecords(res, Input{}, term)
	return recs, append(res.gaps, gaps...)
}

// patientOf returns the patient id the resource's subject names, so that
// decodeEntry accepts it.
func patientOf(h *entryHeader) string {
	var subject struct {
		Reference string `json:"reference"`
	}
	_ = unmarshal(h.Subject, &subject)
	_, id, _ := parseReference(subject.Reference)
	return id
}

// resourceCorpus is every MedicationStatement, MedicationAdministration,
// MedicationRequest, ServiceRequest and (not contained) Medication found
// anywhere in one JSON document, as sent.
type resourceCorpus struct {
	statements, administrations, requests, services []json.RawMessage
	medications                                     map[string]r4.Medication
}

func collectResources(t *testing.T, doc []byte) resourceCorpus {
	t.Helper()
	c := resourceCorpus{medications: map[string]r4.Medication{}}
	walkResources(doc, func(typ, id string, raw json.RawMessage) {
		switch typ {
		case "MedicationStatement":
			c.statements = append(c.statements, raw)
		case "MedicationAdministration":
			c.administrations = append(c.administrations, raw)
		case "MedicationRequest":
			c.requests = append(c.requests, raw)
		case "ServiceRequest":
			c.services = append(c.services, raw)
		case "Medication":
			if m, err := samplyAs[r4.Medication](raw); err == nil && id != "" {
				c.medications["Medication/"+id] = m
			}
		}
	}, "contained") // contained Medications are the owner's
	return c
}

// walkResources calls visit for every JSON object in doc that has a
// resourceType, depth first in key order, without descending into the
// members named in skip.
func walkResources(doc []byte, visit func(typ, id string, raw json.RawMessage), skip ...string) {
	var walk func(raw json.RawMessage)
	walk = func(raw json.RawMessage) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return
		}
		switch raw[0] {
		case '[':
			var list []json.RawMessage
			if json.Unmarshal(raw, &list) == nil {
				for _, v := range list {
					walk(v)
				}
			}
		case '{':
			var obj map[string]json.RawMessage
			if json.Unmarshal(raw, &obj) != nil {
				return
			}
			var typ, id string
			_ = json.Unmarshal(obj["resourceType"], &typ)
			_ = json.Unmarshal(obj["id"], &id)
			if typ != "" {
				visit(typ, id, raw)
			}
			for _, k := range slices.Sorted(maps.Keys(obj)) {
				if !slices.Contains(skip, k) {
					walk(obj[k])
				}
			}
		}
	}
	walk(doc)
}

// corpusDocuments are the seed requests, the fhir test fixtures and
// generated patients, by name.
func corpusDocuments(t *testing.T) map[string][]byte {
	t.Helper()
	asOf := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	docs := map[string][]byte{
		"typical": fhirtest.Generate(fhirtest.Typical, 1, asOf),
		"heavy":   fhirtest.Generate(fhirtest.Heavy, 2, asOf),
		"n3000":   fhirtest.Generate(fhirtest.Sized(3000), 3, asOf),
	}
	var files []string
	for _, pattern := range []string{
		filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds", "*.json"),
		filepath.Join("testdata", "*", "*.json"),
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = b
	}
	return docs
}

// medicationEdgeCases are hand-written statements and administrations
// around every distinction the small types must keep: absent versus empty
// versus null, enum codes samply rejected (also escaped and null ones),
// JSON types samply rejected, contained lists that are not lists.
var medicationEdgeCases = []string{
	// Statements: dose comparators.
	`{"resourceType":"MedicationStatement","id":"c1","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"effectiveDateTime":"2024-01-01","dosage":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":10,"comparator":"<","code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"c2","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"doseAndRate":[{"doseQuantity":{"value":10,"comparator":"\u003c","code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"c3","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"doseAndRate":[{"doseQuantity":{"value":10,"comparator":null,"code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"c4","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"doseAndRate":[{"doseQuantity":{"value":10,"comparator":"","code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"c5","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"doseAndRate":[{"doseQuantity":{"value":10,"comparator":"~","code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"c6","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"doseAndRate":[{"doseQuantity":{"value":10,"comparator":5,"code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"c7","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"doseAndRate":[{"doseRange":{"low":{"value":5,"code":"mg"}}},{"doseQuantity":{"value":"10","code":"mg"}}]}]}`,
	// Statements: days of the week.
	`{"resourceType":"MedicationStatement","id":"d1","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"L04AX03"}]},"dosage":[{"timing":{"repeat":{"dayOfWeek":["mon","thu"]}},"doseAndRate":[{"doseQuantity":{"value":15,"code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"d2","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"L04AX03"}]},"dosage":[{"timing":{"repeat":{"dayOfWeek":["mon","maandag"]}}}]}`,
	`{"resourceType":"MedicationStatement","id":"d3","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"L04AX03"}]},"dosage":[{"timing":{"repeat":{"dayOfWeek":[null]}}}]}`,
	`{"resourceType":"MedicationStatement","id":"d4","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"L04AX03"}]},"dosage":[{"timing":{"repeat":{"dayOfWeek":null}}}]}`,
	`{"resourceType":"MedicationStatement","id":"d5","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"L04AX03"}]},"dosage":[{"timing":{"repeat":{"dayOfWeek":["\u006don"]}}}]}`,
	// Statements: timing.
	`{"resourceType":"MedicationStatement","id":"t1","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"timing":{"repeat":{"frequency":2,"period":"1","periodUnit":null}},"doseAndRate":[{"doseQuantity":{"value":5,"code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"t2","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"timing":{"repeat":{"frequency":2,"period":1,"periodUnit":""}},"doseAndRate":[{"doseQuantity":{"value":5,"code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"t3","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"timing":{"repeat":{"frequency":"2","period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":5,"code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"t4","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"timing":{"repeat":{"period":0,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":5,"code":"mg"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"t5","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"timing":{"code":{"coding":[{"code":null},{"code":"bid"}]}},"doseAndRate":[{"doseQuantity":{"value":2,"unit":"tablet"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"t6","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}],"text":"prednisolon 5 mg"},"dosage":[{"timing":{"repeat":{"when":["MORN","EVE"],"timeOfDay":null}},"doseAndRate":[{"doseQuantity":{"value":1,"unit":"tablet"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"t7","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"sequence":1,"timing":{"repeat":{"timeOfDay":["08:00:00"]}},"doseAndRate":[{"doseQuantity":{"value":30,"code":"mg"}}]},{"sequence":2,"route":{"text":"oraal"},"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":20,"code":"mg"}}]},{"timing":{"repeat":{"frequency":1}},"doseAndRate":[{"doseQuantity":{"value":1,"code":"g"}}]}]}`,
	`{"resourceType":"MedicationStatement","id":"t8","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"timing":{"repeat":{"frequency":1.5,"period":1,"periodUnit":"d"}}}]}`,
	`{"resourceType":"MedicationStatement","id":"t9","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":{"text":"1 dd"}}`,
	`{"resourceType":"MedicationStatement","id":"t10","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosage":[{"route":{"coding":[{"system":"http://snomed.info/sct","code":"18679011000001101"},{"system":"","code":"inhalatie"}]},"doseAndRate":null}]}`,
	// Statements: status, dates, medication[x], contained, id.
	`{"resourceType":"MedicationStatement","id":"s1","status":"onbekend","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"effectivePeriod":{"end":"2024-02-01"}}`,
	`{"resourceType":"MedicationStatement","id":"s2","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"effectiveDateTime":""}`,
	`{"resourceType":"MedicationStatement","id":"s3","status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"effectiveDateTime":null,"effectivePeriod":null}`,
	`{"resourceType":"MedicationStatement","id":"s4","status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"effectiveDateTime":"gisteren"}`,
	`{"resourceType":"MedicationStatement","id":"s5","status":"active","medicationCodeableConcept":{"text":""}}`,
	`{"resourceType":"MedicationStatement","id":"s6","status":"active","medicationCodeableConcept":{"text":"Prolia 60 mg"},"medicationReference":{"reference":"#m"}}`,
	`{"resourceType":"MedicationStatement","id":"s7","status":"active","medicationReference":{"reference":" "}}`,
	`{"resourceType":"MedicationStatement","id":"s8","status":"active","medicationReference":{"reference":"#m"},"contained":{"resourceType":"Medication","id":"m"}}`,
	`{"resourceType":"MedicationStatement","id":"s9","status":"active","medicationReference":{"reference":"#m"},"contained":[{"resourceType":"Medication","id":"m","code":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BB03"}]},"ingredient":[{"itemCodeableConcept":{"text":"x"},"strength":{"numerator":{"value":70,"code":"mg"}}}]},5,{"resourceType":"Medication","id":"n","status":"bogus"}]}`,
	`{"resourceType":"MedicationStatement","id":"s10","status":"active","medicationReference":{"reference":"Medication/known"}}`,
	`{"resourceType":"MedicationStatement","id":"s11","status":"entered-in-error","medicationReference":{"reference":"Medication/unknown"}}`,
	`{"resourceType":"MedicationStatement","id":"../s12","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"effectiveDateTime":"2024-05"}`,
	`{"resourceType":"MedicationStatement","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04","display":"denosumab 120 mg"}]},"effectiveDateTime":"2024-05-01T10:00:00+02:00"}`,
	`{"resourceType":"MedicationStatement","id":"s14","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04","extension":[{"url":"x","valueQuantity":{"value":1,"comparator":"bogus"}}]}]}}`,
	`{"resourceType":"MedicationStatement","id":"s15","status":5,"medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}`,
	`{"resourceType":"MedicationStatement","id":"s16","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"effectivePeriod":{"start":20240101}}`,
	// Administrations.
	`{"resourceType":"MedicationAdministration","id":"a1","status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"effectiveDateTime":"2024-03-01","dosage":{"route":{"coding":[{"system":"http://snomed.info/sct","code":"34206005"}]},"dose":{"value":60,"unit":"mg"}}}`,
	`{"resourceType":"MedicationAdministration","id":"a2","status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"effectiveDateTime":"  ","effectivePeriod":{"start":"2024-03-01"},"dosage":{"dose":{"value":60,"unit":"mg","comparator":"<="}}}`,
	`{"resourceType":"MedicationAdministration","id":"a3","status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"dosage":{"dose":{"value":60,"unit":"mg","comparator":"ca."}}}`,
	`{"resourceType":"MedicationAdministration","id":"a4","status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"dosage":{"dose":"60 mg"}}`,
	`{"resourceType":"MedicationAdministration","id":"a5","status":"in-progress","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA08"}]},"effectivePeriod":{"start":"2024-13-01"},"dosage":null}`,
	`{"resourceType":"MedicationAdministration","id":"a6","status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA08"}]},"effectiveDateTime":"2024-03-01","dosage":{"route":{"text":"IV"},"dose":{"value":1,"unit":"flacon"}}}`,
	`{"resourceType":"MedicationAdministration","id":"a7","status":"completed","medicationReference":{"reference":"#z"},"contained":[{"resourceType":"Medication","id":"z","code":{"text":"Aclasta 5 mg"},"ingredient":[{"itemCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA08"}]},"strength":{"numerator":{"value":5,"unit":"mg"}}}]}],"effectiveDateTime":"2024-03-01"}`,
	`{"resourceType":"MedicationAdministration","id":"a8","status":"completed","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"effectiveDateTime":20240301}`,
	`{"resourceType":"MedicationAdministration","id":"a9","status":"entered-in-error","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}`,
}

// knownMedication is the Medication the edge cases may reference.
var knownMedication = `{"resourceType":"Medication","id":"known","code":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]}}`

// The small statement and administration types must read exactly the
// records and gaps that samply's types read, on every such resource of the
// seed requests, the fhir fixtures, generated patients and the edge cases.
// The dosages of the small request type (medrequest.go) must summarise as
// samply's did; its other members are compared in medrequest_test.go.
func TestMedicationDecodeReadsWhatSamplyRead(t *testing.T) {
	docs := corpusDocuments(t)
	docs["edge cases"] = []byte("[" + strings.Join(append(medicationEdgeCases, knownMedication), ",") + "]")
	terms := map[string]*Terminology{"default": DefaultTerminology(), "with local codes": testTerminology(t)}
	local, err := NewTerminology([]LocalCode{{System: "urn:oid:2.16.840.1.113883.2.4.4.7", Code: "2090929", DrugClasses: []rules.DrugClass{rules.DrugDenosumab}, StrengthMg: 60}})
	if err != nil {
		t.Fatal(err)
	}
	terms["G-Standaard"] = local
	counts := map[string]int{}
	for name, doc := range docs {
		c := collectResources(t, doc)
		for termName, term := range terms {
			compare := func(key string, raw json.RawMessage) {
				t.Helper()
				var h entryHeader
				if err := unmarshal(raw, &h); err != nil {
					t.Fatalf("%s: header: %v", name, err)
				}
				wantRecs, wantGaps := samplyRecords(raw, &h, c.medications, term)
				gotRecs, gotGaps := smallRecords(t, key, raw, &h, c.medications, term)
				if toleratedOnly(wantGaps, len(gotRecs) > 0) {
					counts["tolerated"]++
					return
				}
				if diff := cmp.Diff(wantRecs, gotRecs); diff != "" {
					t.Errorf("%s (%s): records differ from samply's (-samply +small):\n%s\nresource: %s", name, termName, diff, raw)
				}
				if diff := cmp.Diff(wantGaps, gotGaps, withoutElement); diff != "" {
					t.Errorf("%s (%s): gaps differ from samply's (-samply +small):\n%s\nresource: %s", name, termName, diff, raw)
				}
				counts[h.ResourceType]++
				if len(wantRecs) > 0 {
					counts["records"]++
				}
				if len(wantGaps) > 0 {
					counts["gaps"]++
				}
			}
			for _, raw := range c.statements {
				compare(KeyMedicationStatements, raw)
			}
			for _, raw := range c.administrations {
				compare(KeyMedicationAdministrations, raw)
			}
		}
		for _, raw := range c.requests {
			r, err := samplyAs[r4.MedicationRequest](raw)
			if err != nil {
				continue
			}
			m, err := decodeAs[medicationRequest](raw)
			if err != nil || !m.valid() {
				t.Errorf("%s: samply read the request, the small type did not (err %v)\nresource: %s", name, err, raw)
				continue
			}
			for _, strength := range []float64{0, 5, 70} {
				want := samplyDosageSummary(r.DosageInstruction, strength)
				got := dosageSummary(m.dosages(), strength)
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(dosageInfo{})); diff != "" {
					t.Errorf("%s: request dosage summary differs (-samply +small):\n%s\nresource: %s", name, diff, raw)
				}
			}
			counts["MedicationRequest"]++
		}
	}
	// The corpus must exercise every outcome, or the comparison proves
	// little.
	for _, k := range []string{"MedicationStatement", "MedicationAdministration", "MedicationRequest", "records", "gaps"} {
		if counts[k] < 10 {
			t.Errorf("only %d %s compared", counts[k], k)
		}
	}
	t.Logf("compared: %v", counts)
}

// valid() makes a resource with an enum code samply rejected a gap, in one
// pass and entry by entry alike; a member of the wrong JSON type fails the
// one pass, and entry by entry that resource alone is a gap.
func TestMedicationValid(t *testing.T) {
	const (
		atc   = `"medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"subject":{"reference":"Patient/p1"}`
		stmt  = `{"resourceType":"MedicationStatement","id":"x","status":"active",` + atc
		admin = `{"resourceType":"MedicationAdministration","id":"x","status":"completed",` + atc
	)
	gap := func(what string) []rules.Gap {
		typ, _, _ := strings.Cut(what, ".")
		return []rules.Gap{unreadable(what, rules.Ref(typ+"/x"))}
	}
	tests := []struct {
		name     string
		key      string
		resource string
		onePass  bool   // the one pass reads the Bundle
		status   string // the status read, "-" for a gap
		gaps     []rules.Gap
	}{
		{"an unknown status is kept as sent (samply kept it as a string)", KeyMedicationStatements,
			`{"resourceType":"MedicationStatement","id":"x","status":"onbekend",` + atc + `}`, true, "onbekend", nil},
		{"a missing status reads as empty", KeyMedicationStatements,
			`{"resourceType":"MedicationStatement","id":"x",` + atc + `}`, true, "", nil},
		{"a known dose comparator is read", KeyMedicationStatements,
			stmt + `,"dosage":[{"doseAndRate":[{"doseQuantity":{"value":5,"comparator":">=","code":"mg"}}]}]}`, true, "active", nil},
		{"a null dose comparator is no comparator", KeyMedicationStatements,
			stmt + `,"dosage":[{"doseAndRate":[{"doseQuantity":{"value":5,"comparator":null,"code":"mg"}}]}]}`, true, "active", nil},
		{"an unknown dose comparator is a gap", KeyMedicationStatements,
			stmt + `,"dosage":[{"doseAndRate":[{"doseQuantity":{"value":5,"comparator":"~","code":"mg"}}]}]}`, true, "-", gap("MedicationStatement")},
		{"an empty dose comparator is a gap", KeyMedicationStatements,
			stmt + `,"dosage":[{"doseAndRate":[{"doseQuantity":{"value":5,"comparator":"","code":"mg"}}]}]}`, true, "-", gap("MedicationStatement")},
		{"an escaped comparator samply did not recognise is a gap", KeyMedicationStatements,
			stmt + `,"dosage":[{"doseAndRate":[{"doseQuantity":{"value":5,"comparator":"\u003c","code":"mg"}}]}]}`, true, "-", gap("MedicationStatement")},
		{"days of the week are read", KeyMedicationStatements,
			stmt + `,"dosage":[{"timing":{"repeat":{"dayOfWeek":["mon","sun"]}}}]}`, true, "active", nil},
		{"an unknown day of the week is a gap", KeyMedicationStatements,
			stmt + `,"dosage":[{"timing":{"repeat":{"dayOfWeek":["mon","ma"]}}}]}`, true, "-", gap("MedicationStatement")},
		{"a null day of the week is a gap", KeyMedicationStatements,
			stmt + `,"dosage":[{"timing":{"repeat":{"dayOfWeek":[null]}}}]}`, true, "-", gap("MedicationStatement")},
		{"one dosage as an object where R4 says list is read", KeyMedicationStatements,
			stmt + `,"dosage":{"text":"1 dd"}}`, false, "active", nil},
		{"a frequency that is not an integer is a gap naming it", KeyMedicationStatements,
			stmt + `,"dosage":[{"timing":{"repeat":{"frequency":1.5}}}]}`, false, "-", gap("MedicationStatement.dosage.timing.repeat.frequency")},
		{"a contained member that is not a list is ignored", KeyMedicationStatements,
			stmt + `,"contained":{"resourceType":"Medication"}}`, true, "active", nil},
		{"an administration's known dose comparator is read", KeyMedicationAdministrations,
			admin + `,"dosage":{"dose":{"value":60,"comparator":"<","unit":"mg"}}}`, true, "completed", nil},
		{"an administration's unknown dose comparator is a gap", KeyMedicationAdministrations,
			admin + `,"dosage":{"dose":{"value":60,"comparator":"ca.","unit":"mg"}}}`, true, "-", gap("MedicationAdministration")},
		{"an administration's dose that is not an object is a gap naming it", KeyMedicationAdministrations,
			admin + `,"dosage":{"dose":"60 mg"}}`, false, "-", gap("MedicationAdministration.dosage.dose")},
		{"an administration's dosage as a list of one is read", KeyMedicationAdministrations,
			admin + `,"dosage":[{"dose":{"value":60,"unit":"mg"}}]}`, false, "completed", nil},
		{"an administration's dosage as a list of two is a gap naming it", KeyMedicationAdministrations,
			admin + `,"dosage":[{"dose":{"value":60,"unit":"mg"}},{"dose":{"value":30,"unit":"mg"}}]}`, false, "-", gap("MedicationAdministration.dosage")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(page("", `{"resource":`+tt.resource+`}`))
			var ok bool
			var err error
			switch tt.key {
			case KeyMedicationStatements:
				_, ok, err = decodeWholeBundle(tt.key, "MedicationStatement", body, allowedTypes[tt.key], "p1", &resources{}, (*resources).addStatement)
			case KeyMedicationAdministrations:
				_, ok, err = decodeWholeBundle(tt.key, "MedicationAdministration", body, allowedTypes[tt.key], "p1", &resources{}, (*resources).addAdministration)
			}
			if ok != tt.onePass || err != nil {
				t.Errorf("one pass: ok = %v, err = %v; want ok = %v", ok, err, tt.onePass)
			}
			for _, entryByEntry := range []bool{false, true} {
				entryByEntryOnly = entryByEntry
				res := &resources{}
				_, err := decodeValue(tt.key, body, "p1", res)
				entryByEntryOnly = false
				if err != nil {
					t.Fatalf("entry by entry %v: %v", entryByEntry, err)
				}
				var statuses []string
				for _, s := range res.medicationStatements {
					statuses = append(statuses, s.Status)
				}
				for _, a := range res.medicationAdministrations {
					statuses = append(statuses, a.Status)
				}
				var want []string
				if tt.status != "-" {
					want = []string{tt.status}
				}
				if diff := cmp.Diff(want, statuses); diff != "" {
					t.Errorf("entry by entry %v: statuses (-want +got):\n%s", entryByEntry, diff)
				}
				if diff := cmp.Diff(tt.gaps, res.gaps); diff != "" {
					t.Errorf("entry by entry %v: gaps (-want +got):\n%s", entryByEntry, diff)
				}
			}
		})
	}
}

// The members no rule reads are no longer decoded, so an enum code or JSON
// type samply rejected there no longer makes the whole resource a gap: the
// medication, its status, dates and dose are still read (see
// medicationStatement). Each case is one that samply rejected.
func TestMedicationMembersNoRuleReadsAreNotChecked(t *testing.T) {
	const (
		med   = `"medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"subject":{"reference":"Patient/p1"}`
		stmt  = `{"resourceType":"MedicationStatement","id":"x","status":"completed","effectiveDateTime":"2024-03-01",` + med
		admin = `{"resourceType":"MedicationAdministration","id":"x","status":"completed","effectiveDateTime":"2024-03-01",` + med
	)
	tests := []struct {
		name, key, resource string
	}{
		{"narrative status", KeyMedicationStatements, stmt + `,"text":{"status":"concept","div":"<div>x</div>"}}`},
		{"identifier use", KeyMedicationStatements, stmt + `,"identifier":[{"use":"primary","value":"1"}]}`},
		{"subject identifier use", KeyMedicationStatements, strings.Replace(stmt, `"reference":"Patient/p1"`, `"reference":"Patient/p1","identifier":{"use":"x"}`, 1) + `}`},
		{"a note that is not a list", KeyMedicationStatements, stmt + `,"note":"stopped"}`},
		{"dateAsserted that is a number", KeyMedicationStatements, stmt + `,"dateAsserted":20240301}`},
		{"dose range comparator", KeyMedicationStatements, stmt + `,"dosage":[{"doseAndRate":[{"doseRange":{"low":{"value":1,"comparator":"~"}}}]}]}`},
		{"timing bounds comparator", KeyMedicationStatements, stmt + `,"dosage":[{"timing":{"repeat":{"boundsDuration":{"value":1,"comparator":"~"}}}}]}`},
		{"timing event that is not a list", KeyMedicationStatements, stmt + `,"dosage":[{"timing":{"event":"2024-03-01"}}]}`},
		{"administration rate comparator", KeyMedicationAdministrations, admin + `,"dosage":{"rateQuantity":{"value":1,"comparator":"~"}}}`},
		{"administration performer that is not a list", KeyMedicationAdministrations, admin + `,"performer":{"actor":{"reference":"Practitioner/1"}}}`},
	}
	term := DefaultTerminology()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := json.RawMessage(tt.resource)
			var h entryHeader
			if err := unmarshal(raw, &h); err != nil {
				t.Fatal(err)
			}
			if _, gaps := samplyRecords(raw, &h, nil, term); len(gaps) != 1 {
				t.Fatalf("samply read it (gaps %v): the case shows nothing", gaps)
			}
			recs, gaps := smallRecords(t, tt.key, raw, &h, nil, term)
			if len(recs) != 1 || len(gaps) != 0 {
				t.Errorf("records %v, gaps %v; want one record and no gap", recs, gaps)
			}
		})
	}
}
