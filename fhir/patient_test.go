package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// samplyDecodePatient is the oracle: decodePatient as it was when it
// decoded samply's r4.Patient (commit a8aec84), with its result returned
// instead of stored.
func samplyDecodePatient(body []byte, patientID string) (*r4.Patient, []rules.Gap, error) {
	var gaps []rules.Gap
	var h entryHeader
	if err := unmarshal(body, &h); err != nil {
		return nil, nil, fmt.Errorf("prefetch key %s: malformed resource: %w", KeyPatient, ErrInvalidInput)
	}
	if h.ResourceType == "OperationOutcome" {
		return nil, nil, fmt.Errorf("prefetch key %s: holds an OperationOutcome: %w", KeyPatient, errSearchFailed)
	}
	if h.ResourceType != "Patient" {
		return nil, nil, fmt.Errorf("prefetch key %s: holds %s, want a Patient: %w", KeyPatient, quoteType(h.ResourceType), ErrInvalidInput)
	}
	if id, ok := idOf(h); ok && id != patientID {
		return nil, nil, fmt.Errorf("prefetch key %s: %w", KeyPatient, errWrongPatient)
	}
	p, err := samplyAs[r4.Patient](body)
	if err != nil {
		var lenient struct {
			ID        *string `json:"id"`
			BirthDate *string `json:"birthDate"`
			Gender    string  `json:"gender"`
		}
		if unmarshal(body, &lenient) != nil {
			return nil, append(gaps, unreadable("Patient", refOf("Patient", h))), nil
		}
		p = r4.Patient{Id: lenient.ID, BirthDate: lenient.BirthDate}
		if g, gerr := decodeGender(lenient.Gender); gerr == nil {
			p.Gender = &g
		} else if lenient.Gender != "" {
			gaps = append(gaps, rules.Gap{Source: refOf("Patient", h), What: rules.Text{
				NL: "geslacht van de patiënt (geen FHIR-code)", EN: "patient gender (not a FHIR code)"}})
		}
	}
	return &p, gaps, nil
}

// patientOutcome is everything decodePatient decides, in one comparable
// shape: the error (its text and kind), the gaps, the members kept and the
// facts patientFacts makes of them.
type patientOutcome struct {
	Err                   string
	Invalid, Wrong, Retry bool
	Gaps                  []rules.Gap
	Kept                  bool
	ID, BirthDate, Gender *string
	Facts                 rules.Patient
}

func outcomeOf(p *patient, gaps []rules.Gap, err error, patientID string) patientOutcome {
	o := patientOutcome{Gaps: gaps, Facts: patientFacts(p, patientID)}
	if err != nil {
		o.Err = err.Error()
		o.Invalid, o.Wrong, o.Retry = isInvalid(err), isWrongPatient(err), isSearchFailed(err)
	}
	if p != nil {
		o.Kept, o.ID, o.BirthDate = true, p.ID, p.BirthDate
		if p.Gender != nil {
			g := p.Gender.Code()
			o.Gender = &g
		}
	}
	return o
}

func isInvalid(err error) bool      { return err != nil && errors.Is(err, ErrInvalidInput) }
func isSearchFailed(err error) bool { return err != nil && errors.Is(err, errSearchFailed) }

// comparePatient decodes body with decodePatient and with the oracle and
// reports any difference.
func comparePatient(t *testing.T, name string, body []byte, patientID string) patientOutcome {
	t.Helper()
	sp, sgaps, serr := samplyDecodePatient(body, patientID)
	var want patientOutcome
	if sp == nil {
		want = outcomeOf(nil, sgaps, serr, patientID)
	} else {
		want = outcomeOf(&patient{ID: sp.Id, BirthDate: sp.BirthDate, Gender: sp.Gender}, sgaps, serr, patientID)
	}
	res := &resources{}
	err := decodePatient(body, patientID, res)
	got := outcomeOf(res.patient, res.gaps, err, patientID)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (patient id %q): differs from the samply decode (-samply +small):\n%s\nbody: %s", name, patientID, diff, body)
	}
	return want
}

// patientsIn returns every JSON object with resourceType Patient in doc.
func patientsIn(doc []byte) []json.RawMessage {
	var out []json.RawMessage
	walkResources(doc, func(typ, _ string, raw json.RawMessage) {
		if typ == "Patient" {
			out = append(out, raw)
		}
	})
	return out
}

// The small Patient must decide exactly what samply's r4.Patient decided,
// for every Patient of the seed requests, the fhir fixtures and generated
// patients, with its own id and another as context.patientId.
func TestPatientDecodeReadsWhatSamplyRead(t *testing.T) {
	n := 0
	for name, doc := range corpusDocuments(t) {
		for _, raw := range patientsIn(doc) {
			var h entryHeader
			if err := unmarshal(raw, &h); err != nil {
				t.Fatalf("%s: header: %v", name, err)
			}
			id, _ := idOf(h)
			comparePatient(t, name, raw, id)
			comparePatient(t, name, raw, "someone-else")
			n++
		}
	}
	if n < 20 {
		t.Errorf("only %d Patients compared", n)
	}
	t.Logf("compared %d Patients", n)
}

// Edge cases around every distinction decodePatient keeps, each compared
// with the samply decode and pinned to its outcome.
func TestPatientDecodeEdgeCases(t *testing.T) {
	str := func(s string) *string { return &s }
	gap := func(ref rules.Ref) []rules.Gap { return []rules.Gap{unreadable("Patient", ref)} }
	genderGap := []rules.Gap{{Source: "Patient/p1", What: rules.Text{
		NL: "geslacht van de patiënt (geen FHIR-code)", EN: "patient gender (not a FHIR code)"}}}
	tests := []struct {
		name, body string
		// want is checked on the fields below; Err only by its kind.
		wantKept               bool
		wantID, wantBirth      *string
		wantGender             *string
		wantGaps               []rules.Gap
		wantInvalid, wantWrong bool
		wantRetry              bool
	}{
		{name: "complete", body: `{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-03-04","name":[{"use":"official","family":"Jansen"}]}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("1950-03-04"), wantGender: str("female")},
		{name: "unknown gender", body: `{"resourceType":"Patient","id":"p1","gender":"F","birthDate":"1950-03-04"}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("1950-03-04"), wantGaps: genderGap},
		{name: "empty gender", body: `{"resourceType":"Patient","id":"p1","gender":"","birthDate":"1950"}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("1950")},
		{name: "null gender", body: `{"resourceType":"Patient","id":"p1","gender":null,"birthDate":"1950"}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("1950")},
		{name: "escaped gender", body: `{"resourceType":"Patient","id":"p1","gender":"\u006dale"}`,
			wantKept: true, wantID: str("p1"), wantGender: str("male")},
		{name: "an escape in the code is not unescaped twice", body: `{"resourceType":"Patient","id":"p1","gender":"\\u006dale"}`,
			wantKept: true, wantID: str("p1"), wantGaps: genderGap},
		{name: "gender not a string", body: `{"resourceType":"Patient","id":"p1","gender":1,"birthDate":"1950"}`,
			wantGaps: gap("Patient/p1")},
		{name: "unknown gender and another bad code", body: `{"resourceType":"Patient","id":"p1","gender":"M","telecom":[{"system":"pager"}]}`,
			wantKept: true, wantID: str("p1"), wantGaps: []rules.Gap{{Source: "Patient/p1", What: genderGap[0].What}}},
		{name: "a bad code elsewhere keeps the rest", body: `{"resourceType":"Patient","id":"p1","gender":"male","birthDate":"1950-03","name":[{"use":"bijnaam"}]}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("1950-03"), wantGender: str("male")},
		{name: "missing birthDate", body: `{"resourceType":"Patient","id":"p1","gender":"male"}`,
			wantKept: true, wantID: str("p1"), wantGender: str("male")},
		{name: "partial birthDate YYYY", body: `{"resourceType":"Patient","id":"p1","birthDate":"1948"}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("1948")},
		{name: "partial birthDate YYYY-MM", body: `{"resourceType":"Patient","id":"p1","birthDate":"1948-07"}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("1948-07")},
		{name: "unreadable birthDate string is kept", body: `{"resourceType":"Patient","id":"p1","birthDate":"4 juli 1948"}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("4 juli 1948")},
		{name: "birthDate not a string", body: `{"resourceType":"Patient","id":"p1","birthDate":19480704}`,
			wantGaps: gap("Patient/p1")},
		{name: "null birthDate", body: `{"resourceType":"Patient","id":"p1","birthDate":null}`,
			wantKept: true, wantID: str("p1")},
		{name: "deceased", body: `{"resourceType":"Patient","id":"p1","gender":"male","birthDate":"1930","deceasedDateTime":"2024-01-01"}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("1930"), wantGender: str("male")},
		{name: "deceased of the wrong type", body: `{"resourceType":"Patient","id":"p1","birthDate":"1930","deceasedBoolean":"yes"}`,
			wantKept: true, wantID: str("p1"), wantBirth: str("1930")},
		{name: "no id", body: `{"resourceType":"Patient","birthDate":"1930"}`,
			wantKept: true, wantBirth: str("1930")},
		{name: "id not a string", body: `{"resourceType":"Patient","id":1,"birthDate":"1930"}`,
			wantGaps: gap("")},
		{name: "invalid id is kept", body: `{"resourceType":"Patient","id":"p 1","birthDate":"1930"}`,
			wantKept: true, wantID: str("p 1"), wantBirth: str("1930")},
		{name: "other id", body: `{"resourceType":"Patient","id":"p2","birthDate":"1930"}`,
			wantInvalid: true, wantWrong: true},
		{name: "wrong type", body: `{"resourceType":"Person","id":"p1"}`, wantInvalid: true},
		{name: "no type", body: `{"id":"p1"}`, wantInvalid: true},
		{name: "operation outcome", body: `{"resourceType":"OperationOutcome","issue":[{"severity":"error"}]}`, wantRetry: true},
		{name: "malformed", body: `{"resourceType":"Patient","id":"p1",}`, wantInvalid: true},
		{name: "issue not a list", body: `{"resourceType":"Patient","id":"p1","issue":5}`, wantInvalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := comparePatient(t, tt.name, []byte(tt.body), "p1")
			want := patientOutcome{
				Err: got.Err, Invalid: tt.wantInvalid, Wrong: tt.wantWrong, Retry: tt.wantRetry,
				Gaps: tt.wantGaps, Kept: tt.wantKept, ID: tt.wantID, BirthDate: tt.wantBirth, Gender: tt.wantGender,
				Facts: got.Facts,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if (got.Err != "") != (tt.wantInvalid || tt.wantRetry) {
				t.Errorf("error %q, want one: %v", got.Err, tt.wantInvalid || tt.wantRetry)
			}
		})
	}
}
