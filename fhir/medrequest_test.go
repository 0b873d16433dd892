package fhir

import (
	"encoding/json"
	"maps"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// The samply oracle for MedicationRequests: recordBuilder.request as it was
// when prefetch.go and draftorders.go decoded samply's r4.MedicationRequest
// (commit f4b597f), with dosageSummary(dosagesOf(...)) written as
// samplyDosageSummary, which TestMedicationDecodeReadsWhatSamplyRead
// proved to read the same.
func (b *recordBuilder) samplyRequest(r r4.MedicationRequest, kind rules.RecordKind) {
	ref := resourceRef("MedicationRequest", r.Id)
	if r.Status == statusEnteredInError {
		return
	}
	d, ok := b.resolve(ref, &r.MedicationCodeableConcept, r.MedicationReference.Reference)
	if !ok {
		return
	}
	dose := samplyDosageSummary(r.DosageInstruction, d.unitStrength())
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

// requestOutcome is what decoding one MedicationRequest leads to: the
// error, the records and gaps, and the JSON kept for cards.
type requestOutcome struct {
	Err     string
	Records []rules.MedicationRecord
	Gaps    []rules.Gap
	Raw     map[rules.Ref]json.RawMessage
}

// samplyRequestOutcome decodes one MedicationRequest as decodeEntry
// (draft false) or decodeDraftOrders (draft true) did with samply's type.
func samplyRequestOutcome(raw json.RawMessage, h *entryHeader, draft bool, meds map[string]r4.Medication, term *Terminology) requestOutcome {
	res := &resources{medications: maps.Clone(meds)}
	ref := refOf("MedicationRequest", *h)
	res.selections = []string{string(ref)}
	m, err := samplyAs[r4.MedicationRequest](raw)
	if err != nil {
		what := "MedicationRequest"
		if draft {
			what = "draft MedicationRequest"
		}
		return requestOutcome{Gaps: []rules.Gap{unreadable(what, ref)}}
	}
	keepRaw(res, ref, raw)
	b := recordBuilder{res: res, t: term}
	kind := rules.KindRequest
	if draft {
		kind = rules.KindDraftOrder
	}
	b.samplyRequest(m, kind)
	return requestOutcome{Records: b.records, Gaps: b.gaps, Raw: res.raw}
}

// smallRequestOutcome decodes body with today's code: as the
// medicationRequests key's value (a Bundle) or as context.draftOrders.
func smallRequestOutcome(body []byte, patientID string, draft bool, meds map[string]r4.Medication, term *Terminology, ref rules.Ref) requestOutcome {
	res := &resources{medications: maps.Clone(meds), selections: []string{string(ref)}}
	var err error
	if draft {
		err = decodeDraftOrders(body, patientID, res)
	} else {
		_, err = decodeValue(KeyMedicationRequests, body, patientID, res)
	}
	if err != nil {
		return requestOutcome{Err: err.Error()}
	}
	recs, gaps := medicationRecords(res, Input{}, term)
	return requestOutcome{Records: recs, Gaps: append(res.gaps, gaps...), Raw: res.raw}
}

// requestBundle wraps one resource in a Bundle entry, with whitespace
// around it, as a prefetch may send it.
func requestBundle(raw json.RawMessage) []byte {
	return []byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"x","resource": ` + string(raw) + "\n}]}")
}

// requestEdgeCases are hand-written MedicationRequests around every
// distinction the small type must keep with samply's: absent versus empty
// versus null, enum codes samply rejected in the members read (also
// escaped and null ones), JSON types samply rejected there, contained
// Medications, ids. Each reads the same as with samply.
var requestEdgeCases = []string{
	// Dose comparators and days of the week (dosage.valid).
	`{"resourceType":"MedicationRequest","id":"r1","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"authoredOn":"2024-01-01","dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":10,"comparator":"~","code":"mg"}}]}]}`,
	`{"resourceType":"MedicationRequest","id":"r2","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"authoredOn":"2024-01-01","dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"doseAndRate":[{"doseQuantity":{"value":10,"comparator":"\u003c","code":"mg"}}]}]}`,
	`{"resourceType":"MedicationRequest","id":"r3","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"L04AX03"}]},"dosageInstruction":[{"timing":{"repeat":{"dayOfWeek":["mon","maandag"]}}}]}`,
	`{"resourceType":"MedicationRequest","id":"r4","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"L04AX03"}]},"dosageInstruction":[{"timing":{"repeat":{"dayOfWeek":[null]}}}]}`,
	`{"resourceType":"MedicationRequest","id":"r5","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"L04AX03"}]},"authoredOn":"2024-02-01","dosageInstruction":[{"timing":{"repeat":{"dayOfWeek":["mon"]}},"doseAndRate":[{"doseQuantity":{"value":15,"code":"mg"}}]}]}`,
	// Timing events and codes.
	`{"resourceType":"MedicationRequest","id":"e1","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"dosageInstruction":[{"timing":{"event":["2024-07-01"]}}],"dispenseRequest":{"validityPeriod":{"start":"2024-06-01"}}}`,
	`{"resourceType":"MedicationRequest","id":"e2","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"dosageInstruction":[{"timing":{"event":[null,"2024-07-01"]}}],"dispenseRequest":{"validityPeriod":{"start":"2024-06-01"}}}`,
	`{"resourceType":"MedicationRequest","id":"e3","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"dosageInstruction":[{"timing":{"event":"2024-07-01"}}]}`,
	`{"resourceType":"MedicationRequest","id":"e4","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"dosageInstruction":[{"timing":{"event":["juli"]}}]}`,
	`{"resourceType":"MedicationRequest","id":"e5","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosageInstruction":[{"timing":{"code":{"coding":[{"code":null},{"code":"bid"}]}},"doseAndRate":[{"doseQuantity":{"value":2,"unit":"tablet"}}]},{"timing":null}]}`,
	`{"resourceType":"MedicationRequest","id":"e6","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosageInstruction":[{"sequence":1,"route":{"text":"oraal"},"timing":{"repeat":{"frequency":"2"}}}]}`,
	`{"resourceType":"MedicationRequest","id":"e7","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosageInstruction":{"text":"1 dd"}}`,
	`{"resourceType":"MedicationRequest","id":"e8","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosageInstruction":[]}`,
	// Dispense request: validity, supply, repeats.
	`{"resourceType":"MedicationRequest","id":"d1","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"authoredOn":"2024-01-01","dispenseRequest":{"expectedSupplyDuration":{"value":28,"unit":"days"},"numberOfRepeatsAllowed":2}}`,
	`{"resourceType":"MedicationRequest","id":"d2","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"authoredOn":"2024-01-01","dispenseRequest":{"validityPeriod":{"start":"2024-01-01","end":""},"expectedSupplyDuration":{"value":28,"code":"d"}}}`,
	`{"resourceType":"MedicationRequest","id":"d3","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"dispenseRequest":{"validityPeriod":{"start":"2024-01-01","end":null},"expectedSupplyDuration":{"value":28,"code":"d"}}}`,
	`{"resourceType":"MedicationRequest","id":"d4","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"dispenseRequest":{"validityPeriod":{"start":"2024-01-01","end":"2024-07-01"},"numberOfRepeatsAllowed":-1}}`,
	`{"resourceType":"MedicationRequest","id":"d5","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"dispenseRequest":{"validityPeriod":{"start":20240101}}}`,
	`{"resourceType":"MedicationRequest","id":"d6","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"dispenseRequest":{"numberOfRepeatsAllowed":"2"}}`,
	`{"resourceType":"MedicationRequest","id":"d7","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"authoredOn":"2024-01-01","dispenseRequest":{"expectedSupplyDuration":{"value":28,"unit":"days","comparator":"ongeveer"}}}`,
	`{"resourceType":"MedicationRequest","id":"d8","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"authoredOn":"2024-01-01","dispenseRequest":{"expectedSupplyDuration":{"value":28,"unit":"days","comparator":"<"}}}`,
	`{"resourceType":"MedicationRequest","id":"d9","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"dispenseRequest":null,"authoredOn":null}`,
	`{"resourceType":"MedicationRequest","id":"d10","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]},"dispenseRequest":{"validityPeriod":{"end":"2024-13-01"}},"authoredOn":""}`,
	// Status, doNotPerform, dates, intent.
	`{"resourceType":"MedicationRequest","id":"s1","status":"entered-in-error","intent":"order","medicationReference":{"reference":"Medication/unknown"}}`,
	`{"resourceType":"MedicationRequest","id":"s2","status":"onbekend","intent":"plan","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"authoredOn":"gisteren"}`,
	`{"resourceType":"MedicationRequest","id":"s3","status":5,"intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}`,
	`{"resourceType":"MedicationRequest","id":"s4","intent":"bogus","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"doNotPerform":true}`,
	`{"resourceType":"MedicationRequest","id":"s5","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"doNotPerform":"yes"}`,
	`{"resourceType":"MedicationRequest","id":"s6","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"doNotPerform":null,"authoredOn":"2024-05"}`,
	// medication[x], contained, ids, subject.
	`{"resourceType":"MedicationRequest","id":"m1","status":"active","intent":"order","medicationCodeableConcept":{"text":""}}`,
	`{"resourceType":"MedicationRequest","id":"m2","status":"active","intent":"order","medicationReference":{"reference":" "}}`,
	`{"resourceType":"MedicationRequest","id":"m3","status":"active","intent":"order","medicationReference":{"reference":"Medication/known"},"authoredOn":"2024-01-01"}`,
	`{"resourceType":"MedicationRequest","id":"m4","status":"active","intent":"order","medicationReference":{"reference":"#z"},"contained":[{"resourceType":"Medication","id":"z","code":{"text":"Aclasta 5 mg"},"ingredient":[{"itemCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA08"}]},"strength":{"numerator":{"value":5,"unit":"mg"}}}]}]}`,
	`{"resourceType":"MedicationRequest","id":"m5","status":"active","intent":"order","medicationReference":{"reference":"#z"},"contained":{"resourceType":"Medication","id":"z"}}`,
	`{"resourceType":"MedicationRequest","id":"m6","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04","userSelected":"yes"}]}}`,
	`{"resourceType":"MedicationRequest","id":"m7","status":"active","intent":"order","medicationCodeableConcept":null,"medicationReference":null}`,
	`{"resourceType":"MedicationRequest","id":"m8","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"H02AB06"}]},"dosageInstruction":[{"route":{"coding":{"code":"x"}}}]}`,
	`{"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}`,
	`{"resourceType":"MedicationRequest","id":"../x","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}`,
	`{"resourceType":"MedicationRequest","id":7,"status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}`,
	`{"resourceType":"MedicationRequest","id":null,"status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}`,
	`{"resourceType":"MedicationRequest","id":"p1","subject":{"reference":"Patient/p1"},"patient":{"reference":"Patient/p1"},"status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}`,
	` {"resourceType":"MedicationRequest","id":"w1","subject":null,"status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]}}	`,
}

// requestCorpus returns every MedicationRequest of the corpus documents
// and the edge cases, by document, with the Medications it may reference.
func requestCorpus(t *testing.T) map[string]resourceCorpus {
	t.Helper()
	docs := corpusDocuments(t)
	docs["edge cases"] = []byte("[" + strings.Join(append(requestEdgeCases, knownMedication), ",") + "]")
	out := map[string]resourceCorpus{}
	for name, doc := range docs {
		out[name] = collectResources(t, doc)
	}
	return out
}

// The small request type must read exactly the records, gaps and kept JSON
// that samply's type read, for every MedicationRequest of the seed
// requests, the fhir fixtures, generated patients and the edge cases: in
// one pass with its Bundle, entry by entry, and as a draft order.
func TestMedicationRequestDecodeReadsWhatSamplyRead(t *testing.T) {
	terms := map[string]*Terminology{"default": DefaultTerminology(), "with local codes": testTerminology(t)}
	counts := map[string]int{}
	for name, c := range requestCorpus(t) {
		for _, raw := range c.requests {
			var h entryHeader
			if err := unmarshal(raw, &h); err != nil {
				t.Fatalf("%s: header: %v", name, err)
			}
			pid := patientOf(&h)
			if pid == "" {
				pid = "p1"
			}
			ref := refOf("MedicationRequest", h)
			body := requestBundle(raw)
			// Whether the one pass read it, or left it to entry by entry.
			if _, ok, _ := decodeWholeBundle(KeyMedicationRequests, "MedicationRequest", body, allowedTypes[KeyMedicationRequests], pid, &resources{}, (*resources).addMedicationRequest); ok {
				counts["one pass"]++
			}
			draftBody := []byte(`{"resourceType":"Bundle","entry":[{"resource":` + string(raw) + `}]}`)
			for termName, term := range terms {
				for _, path := range []struct {
					name         string
					draft, entry bool
				}{{"one pass", false, false}, {"entry by entry", false, true}, {"draft order", true, false}} {
					want := samplyRequestOutcome(raw, &h, path.draft, c.medications, term)
					entryByEntryOnly = path.entry
					b := body
					if path.draft {
						b = draftBody
					}
					got := smallRequestOutcome(b, pid, path.draft, c.medications, term, ref)
					entryByEntryOnly = false
					if toleratedOnly(want.Gaps, len(got.Records) > 0 && got.Err == "") {
						counts["tolerated"]++
						continue
					}
					if diff := cmp.Diff(want, got, withoutElement); diff != "" {
						t.Errorf("%s (%s, %s): differs from samply's (-samply +small):\n%s\nresource: %s", name, termName, path.name, diff, raw)
					}
					if len(want.Records) > 0 {
						counts["records"]++
					}
					if len(want.Gaps) > 0 {
						counts["gaps"]++
					}
					if len(want.Raw) > 0 {
						counts["raw"]++
					}
				}
			}
			counts["MedicationRequest"]++
		}
	}
	for _, k := range []string{"MedicationRequest", "one pass", "records", "gaps", "raw"} {
		if counts[k] < 10 {
			t.Errorf("only %d %s compared", counts[k], k)
		}
	}
	t.Logf("compared: %v", counts)
}

// The one pass over a medicationRequests Bundle must end as the entry-by-
// entry path ends: the same error for data about another patient (also
// named only in a "patient" member, which only that path checks), a failed
// search, a resource type the key cannot hold; the same requests, gaps
// and kept JSON otherwise.
func TestMedicationRequestOnePassChecksAsEntryByEntry(t *testing.T) {
	mr := func(id, extra string) string {
		return `{"resource":{"resourceType":"MedicationRequest","id":"` + id + `","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"authoredOn":"2024-01-01"` + extra + `}}`
	}
	tests := []struct {
		name    string
		body    string
		onePass bool   // the one pass reads it itself
		wantErr string // "" for none
		wantN   int    // requests read (before an error, which discards them)
	}{
		{"two requests", page("", mr("a", `,"subject":{"reference":"Patient/p1"}`), mr("b", "")), true, "", 2},
		{"another patient's subject", page("", mr("a", `,"subject":{"reference":"Patient/p2"}`)), true, "data about another patient", 0},
		{"another patient in a patient member", page("", mr("a", `,"subject":{"reference":"Patient/p1"},"patient":{"reference":"Patient/p2"}`)), true, "data about another patient", 0},
		{"a null patient member", page("", mr("a", `,"patient":null`)), true, "", 1},
		{"a subject that is not an object", page("", mr("a", `,"subject":"Patient/p1"`)), false, "malformed subject reference", 0},
		{"an error outcome", page("", mr("a", ""), `{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"error"}]}}`), true, "search reported an error", 1},
		{"a warning outcome", page("", mr("a", ""), `{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"warning"}]}}`), true, "", 1},
		{"an outcome entry", page("", mr("a", ""), `{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"error"}]},"search":{"mode":"outcome"}}`), true, "search reported an error", 1},
		{"an included Medication", page("", mr("a", ""), `{"resource":{"resourceType":"Medication","id":"m1"},"search":{"mode":"include"}}`), false, "", 1},
		{"an Observation", page("", mr("a", ""), observationEntry("o1")), true, "holds resourceType Observation", 1},
		{"an entry without a resource", page("", mr("a", ""), `{"fullUrl":"x"}`, `{"resource":null}`), true, "", 1},
		{"one bad entry is a gap", page("", mr("a", ""), mr("b", `,"dosageInstruction":[{"timing":{"repeat":{"frequency":"twice"}}}]`)), false, "", 1},
		{"one dosage as an object is read", page("", mr("a", ""), mr("b", `,"dosageInstruction":{"text":"1 dd"}`)), false, "", 2},
		{"an invalid code is a gap", page("", mr("a", ""), mr("b", `,"dosageInstruction":[{"timing":{"repeat":{"dayOfWeek":["ma"]}}}]`)), true, "", 1},
		{"not a Bundle", `{"resourceType":"MedicationRequest","id":"a"}`, true, "want a Bundle", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := func(entry bool) (requestOutcome, int) {
				entryByEntryOnly = entry
				defer func() { entryByEntryOnly = false }()
				res := &resources{}
				_, err := decodeValue(KeyMedicationRequests, []byte(tt.body), "p1", res)
				o := requestOutcome{Gaps: res.gaps, Raw: res.raw}
				if err != nil {
					o.Err = err.Error()
				}
				o.Records, _ = medicationRecords(res, Input{}, DefaultTerminology())
				return o, len(res.medicationRequests)
			}
			one, n := run(false)
			entry, _ := run(true)
			if diff := cmp.Diff(entry, one); diff != "" {
				t.Errorf("one pass differs from entry by entry (-entry +one):\n%s", diff)
			}
			if !strings.Contains(one.Err, tt.wantErr) || (tt.wantErr == "") != (one.Err == "") {
				t.Errorf("error %q, want %q", one.Err, tt.wantErr)
			}
			if n != tt.wantN {
				t.Errorf("read %d requests, want %d", n, tt.wantN)
			}
			_, ok, _ := decodeWholeBundle(KeyMedicationRequests, "MedicationRequest", []byte(tt.body), allowedTypes[KeyMedicationRequests], "p1", &resources{}, (*resources).addMedicationRequest)
			if ok != tt.onePass {
				t.Errorf("one pass ok = %v, want %v", ok, tt.onePass)
			}
		})
	}
}

// Members no rule reads are no longer decoded, so a code or JSON type
// samply rejected there no longer makes a prefetched request a gap (see
// medicationRequest). Each case is one samply rejected; a draft order is
// read the same way (the sandbox's draft orders carry a category object).
func TestMedicationRequestMembersNoRuleReadsAreNotChecked(t *testing.T) {
	base := `"resourceType":"MedicationRequest","id":"n","status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BX04"}]},"authoredOn":"2024-01-01"`
	tests := []struct{ name, extra string }{
		{"priority", `"priority":"spoed"`},
		{"intent of the wrong type", `"intent":5`},
		{"identifier.use", `"identifier":[{"use":"bogus","value":"1"}]`},
		{"text.status", `"text":{"status":"bogus","div":"<div/>"}`},
		{"dispenseRequest.quantity comparator", `"dispenseRequest":{"quantity":{"value":1,"comparator":"ca."}}`},
		{"doseRange comparator", `"dosageInstruction":[{"doseAndRate":[{"doseRange":{"low":{"value":1,"comparator":"ca."}}}]}]`},
		{"timing bounds comparator", `"dosageInstruction":[{"timing":{"repeat":{"boundsDuration":{"value":1,"comparator":"ca."}}}}]`},
		{"medicationReference.identifier.use", `"medicationReference":{"identifier":{"use":"bogus"}}`},
	}
	term := DefaultTerminology()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := json.RawMessage(`{` + base + `,` + tt.extra + `}`)
			var h entryHeader
			if err := unmarshal(raw, &h); err != nil {
				t.Fatal(err)
			}
			if got := samplyRequestOutcome(raw, &h, false, nil, term); len(got.Gaps) != 1 || len(got.Records) != 0 {
				t.Fatalf("samply read it (%+v): the case shows nothing", got)
			}
			got := smallRequestOutcome(requestBundle(raw), "p1", false, nil, term, "MedicationRequest/n")
			if got.Err != "" || len(got.Gaps) != 0 || len(got.Records) != 1 || len(got.Raw) != 1 {
				t.Errorf("prefetched: %+v, want one record, its JSON and no gap", got)
			}
			draft := smallRequestOutcome([]byte(`{"resourceType":"Bundle","entry":[{"resource":`+string(raw)+`}]}`), "p1", true, nil, term, "MedicationRequest/n")
			if draft.Err != "" || len(draft.Gaps) != 0 || len(draft.Records) != 1 || len(draft.Raw) != 1 {
				t.Errorf("draft order: %+v, want one record, its JSON and no gap", draft)
			}
		})
	}
}
