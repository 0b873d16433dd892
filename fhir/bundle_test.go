package fhir

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// The one-pass path is an optimisation: on every generated patient and
// every seed case it must give exactly the facts of the entry-by-entry
// path.
func TestOnePassReadsWhatEntryByEntryReads(t *testing.T) {
	asOf := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	bodies := map[string][]byte{
		"typical": fhirtest.Generate(fhirtest.Typical, 1, asOf),
		"heavy":   fhirtest.Generate(fhirtest.Heavy, 2, asOf),
		"n3000":   fhirtest.Generate(fhirtest.Sized(3000), 3, asOf),
	}
	for _, c := range fhirtest.LoadCases(t) {
		b, err := os.ReadFile(filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds", c.File))
		if err != nil {
			t.Fatal(err)
		}
		bodies[c.ID] = b
	}
	g := NewGatherer(Options{})
	// The facts, and the JSON kept for cards (MedicationRequests).
	facts := func(t *testing.T, body []byte) Result {
		t.Helper()
		res, err := g.Facts(context.Background(), inputOf(t, body, asOf))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			onePass := facts(t, body)
			entryByEntryOnly = true
			defer func() { entryByEntryOnly = false }()
			entryByEntry := facts(t, body)
			if len(onePass.Facts.Labs)+len(onePass.Facts.DXA)+len(onePass.Facts.Conditions) == 0 {
				t.Fatalf("no labs, DXA or conditions: nothing compared")
			}
			if diff := cmp.Diff(entryByEntry.Facts, onePass.Facts); diff != "" {
				t.Errorf("one pass differs from entry by entry (-entry +one):\n%s", diff)
			}
			if diff := cmp.Diff(entryByEntry.raw, onePass.raw); diff != "" {
				t.Errorf("one pass keeps other JSON than entry by entry (-entry +one):\n%s", diff)
			}
		})
	}
}

// The generated typical patient must take the one-pass path for every key
// that has one; otherwise the comparison above would compare the
// entry-by-entry path with itself.
func TestGeneratedKeysTakeTheOnePassPath(t *testing.T) {
	in := inputOf(t, fhirtest.Generate(fhirtest.Typical, 1, benchAsOf), benchAsOf)
	id, prefetch := in.PatientID, in.Prefetch
	check := func(key string, ok bool, err error) {
		t.Helper()
		if !ok || err != nil {
			t.Errorf("%s: one pass ok = %v, err = %v", key, ok, err)
		}
	}
	res := &resources{}
	_, ok, err := decodeWholeBundle(KeyLabs, "Observation", prefetch[KeyLabs], allowedTypes[KeyLabs], id, res, (*resources).addObservation)
	check(KeyLabs, ok, err)
	_, ok, err = decodeWholeBundle(KeyConditions, "Condition", prefetch[KeyConditions], allowedTypes[KeyConditions], id, res, (*resources).addCondition)
	check(KeyConditions, ok, err)
	_, ok, err = decodeWholeBundle(KeyMedicationStatements, "MedicationStatement", prefetch[KeyMedicationStatements], allowedTypes[KeyMedicationStatements], id, res, (*resources).addStatement)
	check(KeyMedicationStatements, ok, err)
	_, ok, err = decodeWholeBundle(KeyMedicationAdministrations, "MedicationAdministration", prefetch[KeyMedicationAdministrations], allowedTypes[KeyMedicationAdministrations], id, res, (*resources).addAdministration)
	check(KeyMedicationAdministrations, ok, err)
	_, ok, err = decodeWholeBundle(KeyServiceRequests, "ServiceRequest", prefetch[KeyServiceRequests], allowedTypes[KeyServiceRequests], id, res, (*resources).addServiceRequest)
	check(KeyServiceRequests, ok, err)
	_, ok, err = decodeWholeBundle(KeyMedicationRequests, "MedicationRequest", prefetch[KeyMedicationRequests], allowedTypes[KeyMedicationRequests], id, res, (*resources).addMedicationRequest)
	check(KeyMedicationRequests, ok, err)
	if len(res.observations) == 0 || len(res.conditions) == 0 || len(res.medicationStatements) == 0 || len(res.medicationAdministrations) == 0 || len(res.serviceRequests) == 0 || len(res.medicationRequests) == 0 || len(res.raw) == 0 {
		t.Errorf("one pass read %d observations, %d conditions, %d statements, %d administrations, %d service requests, %d medication requests (%d kept)",
			len(res.observations), len(res.conditions), len(res.medicationStatements), len(res.medicationAdministrations), len(res.serviceRequests), len(res.medicationRequests), len(res.raw))
	}
}

// A statement Bundle with an included Medication is read entry by entry:
// the one pass holds statements only.
func TestOnePassLeavesMixedBundlesToEntryByEntry(t *testing.T) {
	body := []byte(page("",
		`{"resource":{"resourceType":"MedicationStatement","id":"ms-1","status":"active","medicationReference":{"reference":"Medication/m1"},"subject":{"reference":"Patient/p1"}}}`,
		`{"resource":{"resourceType":"Medication","id":"m1","status":"active","code":{"coding":[{"system":"http://www.whocc.no/atc","code":"M05BA04"}]}},"search":{"mode":"include"}}`))
	res := &resources{}
	if _, ok, err := decodeWholeBundle(KeyMedicationStatements, "MedicationStatement", body, allowedTypes[KeyMedicationStatements], "p1", res, (*resources).addStatement); ok || err != nil {
		t.Fatalf("ok = %v, err = %v; want the entry-by-entry path", ok, err)
	}
	if len(res.medicationStatements) != 0 {
		t.Fatalf("the abandoned one pass left %d statements behind", len(res.medicationStatements))
	}
	res = &resources{}
	if _, err := decodeValue(KeyMedicationStatements, body, "p1", res); err != nil {
		t.Fatal(err)
	}
	if len(res.medicationStatements) != 1 || len(res.medications) != 1 {
		t.Errorf("read %d statements and %d medications, want 1 and 1", len(res.medicationStatements), len(res.medications))
	}
}

// decodeEntry decodes one entry resource as the key's Bundle decodes it,
// for the tests that compare the small structs with samply's types one
// resource at a time.
func decodeEntry(key string, raw json.RawMessage, _ *entryHeader, _ map[string]bool, patientID string, res *resources) error {
	body := `{"resourceType":"Bundle","entry":[{"resource":` + string(raw) + `}]}`
	_, err := decodeValue(key, []byte(body), patientID, res)
	return err
}

// withoutElement compares gaps as samply's decoding could state them: an
// unreadable resource, without the element that decodeResource names
// (samply's errors named none).
var withoutElement = cmp.Transformer("withoutElement", func(g rules.Gap) rules.Gap {
	cut := func(s, suffix string) string {
		what, ok := strings.CutSuffix(s, suffix)
		if !ok {
			return s
		}
		typ, _, _ := strings.Cut(what, ".")
		return typ + suffix
	}
	g.What.EN = cut(g.What.EN, " could not be read")
	g.What.NL = cut(g.What.NL, " kon niet worden gelezen")
	return g
})

// toleratedOnly reports whether samply's type set the resource aside
// (one unreadable gap) where the small struct reads it: a shape
// decodeResource tolerates (one object where R4 says array, and the
// reverse).
func toleratedOnly(samplyGaps []rules.Gap, smallRead bool) bool {
	return smallRead && len(samplyGaps) == 1 && strings.HasSuffix(samplyGaps[0].What.EN, " could not be read")
}

// samplyAs decodes raw into samply's type T as the code before
// decodeResource did: goccy/go-json alone, no shape tolerated.
func samplyAs[T any](raw []byte) (T, error) {
	var v T
	err := unmarshal(raw, &v)
	return v, err
}
