package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/rules"
)

func TestPrefetchStatesForEveryKey(t *testing.T) {
	// Each key in each of the four states, every other key null (known
	// empty, so nothing else is fetched). The server holds the same data
	// as the prefetch, so the result is the same; the request count shows
	// where it came from.
	states := []struct {
		name      string
		value     func(t *testing.T, key string) (json.RawMessage, bool)
		wantHits  int
		wantEmpty bool
	}{
		{name: "present", value: func(t *testing.T, key string) (json.RawMessage, bool) {
			return readTestdata(t, key+".json"), true
		}},
		{name: "null is known empty", wantEmpty: true, value: func(*testing.T, string) (json.RawMessage, bool) {
			return json.RawMessage("null"), true
		}},
		{name: "OperationOutcome is fetched", wantHits: 1, value: func(t *testing.T, _ string) (json.RawMessage, bool) {
			return readTestdata(t, "operation-outcome.json"), true
		}},
		{name: "absent is fetched", wantHits: 1, value: func(*testing.T, string) (json.RawMessage, bool) {
			return nil, false
		}},
	}
	for _, key := range prefetchKeys {
		for _, st := range states {
			t.Run(key+"/"+st.name, func(t *testing.T) {
				g := NewGatherer(Options{})
				f := newFakeFHIR(t, g)
				prefetch := nullPrefetch(key)
				if v, ok := st.value(t, key); ok {
					prefetch[key] = v
				}
				res, err := g.gather(context.Background(), f.input(prefetch))
				if err != nil {
					t.Fatalf("gather: %v", err)
				}
				want := keySummary(key)
				if st.wantEmpty {
					want = summary{}
				}
				if diff := cmp.Diff(want, summarize(res)); diff != "" {
					t.Errorf("resources (-want +got):\n%s", diff)
				}
				if got := f.hitsFor(key); got != st.wantHits {
					t.Errorf("server requests for %s = %d, want %d", key, got, st.wantHits)
				}
			})
		}
	}
}

func TestPrefetchWithoutServer(t *testing.T) {
	tests := []struct {
		name     string
		prefetch map[string]json.RawMessage
		want     summary
		wantErr  error
	}{
		{
			name:     "all keys present needs no server",
			prefetch: allPrefetched(t),
			want:     fullSummary,
		},
		{
			name:     "all keys null needs no server",
			prefetch: nullPrefetch(),
			want:     summary{},
		},
		{
			name:     "absent patient key without server",
			prefetch: nullPrefetch(KeyPatient),
			wantErr:  ErrDataUnavailable,
		},
		{
			name: "absent search key without server",
			prefetch: func() map[string]json.RawMessage {
				p := allPrefetched(t)
				delete(p, KeyServiceRequests)
				return p
			}(),
			wantErr: ErrDataUnavailable,
		},
		{
			name: "next link without server keeps the page and reports a gap",
			prefetch: func() map[string]json.RawMessage {
				p := nullPrefetch(KeyLabs)
				p[KeyLabs] = json.RawMessage(page("https://ehr.example/fhir/Observation?page=2", observationEntry("lab-1")))
				return p
			}(),
			want: summary{Observations: []string{"lab-1"}, Gaps: []rules.Gap{incomplete(KeyLabs)}},
		},
		{
			name: "keys the service does not use are ignored",
			prefetch: func() map[string]json.RawMessage {
				p := nullPrefetch()
				p["somethingElse"] = json.RawMessage(`"not even an object"`)
				return p
			}(),
			want: summary{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{PatientID: testPatient, Prefetch: tc.prefetch}
			res, err := NewGatherer(Options{}).gather(context.Background(), in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, summarize(res)); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrefetchNextLinkIsFollowedWithToken(t *testing.T) {
	g := NewGatherer(Options{})
	f := newFakeFHIR(t, g)
	f.set(KeyLabs, "unused page 0", page("__NEXT__", observationEntry("lab-2")), page("", observationEntry("lab-3")))
	prefetch := nullPrefetch(KeyLabs)
	prefetch[KeyLabs] = json.RawMessage(page(f.srv.URL+"/fhir/_page?key=labs&n=1", observationEntry("lab-1")))
	res, err := g.gather(context.Background(), f.input(prefetch))
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	if diff := cmp.Diff(summary{Observations: []string{"lab-1", "lab-2", "lab-3"}}, summarize(res)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
}

// allPrefetched returns the testdata of every key as a prefetch.
func allPrefetched(t *testing.T) map[string]json.RawMessage {
	p := map[string]json.RawMessage{}
	for _, key := range prefetchKeys {
		p[key] = readTestdata(t, key+".json")
	}
	return p
}

func TestPrefetchInvalidInput(t *testing.T) {
	bundle := func(entries ...string) json.RawMessage { return json.RawMessage(page("", entries...)) }
	tests := []struct {
		name    string
		key     string
		value   json.RawMessage
		wantMsg string
	}{
		{name: "patient key holding a Bundle", key: KeyPatient, value: readTestdata(t, "conditions.json"), wantMsg: "want a Patient"},
		{name: "patient key holding an Observation", key: KeyPatient, value: json.RawMessage(`{"resourceType":"Observation","id":"p1"}`), wantMsg: "want a Patient"},
		{name: "patient with another id", key: KeyPatient, value: json.RawMessage(`{"resourceType":"Patient","id":"p2"}`), wantMsg: "another patient"},
		{name: "search key holding a Patient", key: KeyConditions, value: readTestdata(t, "patient.json"), wantMsg: "want a Bundle"},
		{name: "Condition inside dxa", key: KeyDXA, value: readTestdata(t, "conditions.json"), wantMsg: "dxa: holds resourceType Condition"},
		{name: "Observation inside medicationRequests", key: KeyMedicationRequests, value: bundle(observationEntry("o1")), wantMsg: "holds resourceType Observation"},
		{name: "Condition about another patient", key: KeyConditions, value: readTestdata(t, "conditions-wrong-patient.json"), wantMsg: "another patient"},
		{
			name:    "Observation about a Group",
			key:     KeyLabs,
			value:   bundle(`{"resource":{"resourceType":"Observation","id":"o1","status":"final","code":{},"subject":{"reference":"Group/g1"}}}`),
			wantMsg: "another patient",
		},
		{
			name:    "MedicationStatement about another patient by absolute URL",
			key:     KeyMedicationStatements,
			value:   bundle(`{"resource":{"resourceType":"MedicationStatement","id":"m","status":"active","subject":{"reference":"https://ehr.example/fhir/Patient/p2"}}}`),
			wantMsg: "another patient",
		},
		{
			name:    "Observation about another patient",
			key:     KeyLabs,
			value:   bundle(observationEntry("o1"), `{"resource":{"resourceType":"Observation","id":"o2","status":"final","subject":{"reference":"Patient/p2"}}}`),
			wantMsg: "another patient",
		},
		{
			// Read entry by entry: the malformed subject does not fit the
			// one-pass observation.
			name:    "Observation with a malformed subject",
			key:     KeyLabs,
			value:   bundle(observationEntry("o1"), `{"resource":{"resourceType":"Observation","id":"o2","status":"final","subject":"Patient/p1"}}`),
			wantMsg: "malformed subject reference",
		},
		{
			name:    "Condition inside labs, read entry by entry",
			key:     KeyLabs,
			value:   bundle(`{"resource":{"resourceType":"Observation","id":"o1","valueInteger":"x"}}`, `{"resource":{"resourceType":"Condition","id":"c1"}}`),
			wantMsg: "labs: holds resourceType Condition",
		},
		{name: "not a JSON object", key: KeyLabs, value: json.RawMessage(`[1,2]`), wantMsg: "not a JSON object"},
		{name: "entry is not an array", key: KeyLabs, value: json.RawMessage(`{"resourceType":"Bundle","entry":{}}`), wantMsg: "malformed Bundle"},
		{name: "resourceType that is not a type name is not echoed", key: KeyLabs, value: json.RawMessage(`{"resourceType":"<script>"}`), wantMsg: "unknown resourceType"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefetch := nullPrefetch(tc.key)
			prefetch[tc.key] = tc.value
			in := Input{PatientID: testPatient, Prefetch: prefetch}
			_, err := NewGatherer(Options{}).gather(context.Background(), in)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error = %v, want ErrInvalidInput", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
		})
	}
}

func TestPrefetchTolerance(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		value json.RawMessage
		want  summary
	}{
		{
			name:  "undecodable entry becomes a gap, the rest is kept",
			key:   KeyLabs,
			value: readTestdata(t, "labs-undecodable.json"),
			want: summary{
				Observations: []string{"egfr-1"},
				Gaps:         []rules.Gap{unreadable("Observation", "Observation/bad-status")},
			},
		},
		{
			name:  "Patient with an unknown gender code is kept, the gender becomes a gap",
			key:   KeyPatient,
			value: json.RawMessage(`{"resourceType":"Patient","id":"p1","gender":"F"}`),
			want: summary{Patient: "p1", Gaps: []rules.Gap{{Source: "Patient/p1", What: rules.Text{
				NL: "geslacht van de patiënt (geen FHIR-code)", EN: "patient gender (not a FHIR code)"}}}},
		},
		{
			name:  "Patient that is not even leniently readable becomes a gap",
			key:   KeyPatient,
			value: json.RawMessage(`{"resourceType":"Patient","id":"p1","birthDate":1950}`),
			want:  summary{Gaps: []rules.Gap{unreadable("Patient", "Patient/p1")}},
		},
		{
			name:  "entry whose resource is not an object becomes a gap",
			key:   KeyLabs,
			value: json.RawMessage(page("", `{"resource":"text"}`)),
			want:  summary{Gaps: []rules.Gap{unreadable("resource in labs", "")}},
		},
		{
			name:  "unknown fields and extensions are tolerated",
			key:   KeyConditions,
			value: readTestdata(t, "conditions.json"),
			want:  summary{Conditions: []string{"c-1"}},
		},
		{
			name:  "Bundle without type and subject with history is accepted",
			key:   KeyDXA,
			value: readTestdata(t, "dxa.json"),
			want:  summary{Observations: []string{"dxa-1"}},
		},
		{
			name: "contained Medication of a statement is kept for its #reference",
			key:  KeyMedicationStatements,
			value: json.RawMessage(page("",
				`{"resource":{"resourceType":"MedicationStatement","id":"ms-2","status":"active","contained":[{"resourceType":"Medication","id":"m1"}],"medicationReference":{"reference":"#m1"},"subject":{"reference":"Patient/p1"}}}`)),
			want: summary{MedicationStatements: []string{"ms-2"}, Medications: []string{"MedicationStatement/ms-2#m1"}},
		},
		{
			name: "contained spelled with a JSON escape is kept too",
			key:  KeyMedicationStatements,
			value: json.RawMessage(page("",
				`{"resource":{"resourceType":"MedicationStatement","id":"ms-3","status":"active","contain\u0065d":[{"resourceType":"Medication","id":"m1"}],"medicationReference":{"reference":"#m1"},"subject":{"reference":"Patient/p1"}}}`)),
			want: summary{MedicationStatements: []string{"ms-3"}, Medications: []string{"MedicationStatement/ms-3#m1"}},
		},
		{
			name: "Observation that does not fit its struct becomes a gap naming the element, the rest is kept",
			key:  KeyLabs,
			value: json.RawMessage(page("",
				observationEntry("o1"),
				`{"resource":{"resourceType":"Observation","id":"o2","status":"final","valueInteger":"three","subject":{"reference":"Patient/p1"}}}`,
				`{"resource":{"resourceType":"Observation","id":7,"status":"final"}}`,
				`{"resource":{"resourceType":"Observation","id":"o4","status":"final","valueQuantity":{"value":1,"comparator":"~"}}}`,
				observationEntry("o5"))),
			want: summary{
				Observations: []string{"o1", "o5"},
				Gaps:         []rules.Gap{unreadable("Observation.valueInteger", "Observation/o2"), unreadable("Observation.id", ""), unreadable("Observation", "Observation/o4")},
			},
		},
		{
			name: "Observation with an unknown comparator becomes a gap in one pass too",
			key:  KeyDXA,
			value: json.RawMessage(page("",
				`{"resource":{"resourceType":"Observation","id":"o4","status":"final","valueQuantity":{"value":1,"comparator":"~"}}}`,
				observationEntry("o5"))),
			want: summary{Observations: []string{"o5"}, Gaps: []rules.Gap{unreadable("Observation", "Observation/o4")}},
		},
		{
			name:  "Observation without status is kept",
			key:   KeyLabs,
			value: json.RawMessage(page("", `{"resource":{"resourceType":"Observation","id":"o-ns","code":{},"subject":{"reference":"Patient/p1"}}}`)),
			want:  summary{Observations: []string{"o-ns"}},
		},
		{
			name:  "empty Bundle",
			key:   KeyConditions,
			value: json.RawMessage(`{"resourceType":"Bundle","type":"searchset","total":0}`),
			want:  summary{},
		},
		{
			name: "unresolvable subject references are accepted",
			key:  KeyConditions,
			value: json.RawMessage(page("",
				`{"resource":{"resourceType":"Condition","id":"a","subject":{"reference":"urn:uuid:0b1e"}}}`,
				`{"resource":{"resourceType":"Condition","id":"b","subject":{"identifier":{"value":"x"}}}}`,
				`{"fullUrl":"https://ehr.example/fhir/Condition/deleted"}`)),
			want: summary{Conditions: []string{"a", "b"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefetch := nullPrefetch(tc.key)
			prefetch[tc.key] = tc.value
			in := Input{PatientID: testPatient, Prefetch: prefetch}
			res, err := NewGatherer(Options{}).gather(context.Background(), in)
			if err != nil {
				t.Fatalf("gather: %v", err)
			}
			if diff := cmp.Diff(tc.want, summarize(res)); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrefetchKeepsMedicationRequestJSON(t *testing.T) {
	raw := readTestdata(t, "medicationRequests.json")
	res := &resources{}
	if _, err := decodeValue(KeyMedicationRequests, raw, testPatient, res); err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(res.raw["MedicationRequest/mr-1"], &got); err != nil {
		t.Fatal(err)
	}
	var b struct {
		Entry []struct{ Resource any }
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	want = b.Entry[0].Resource
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kept JSON (-want +got):\n%s", diff)
	}
}

func FuzzDecodePrefetch(f *testing.F) {
	for _, name := range []string{"patient.json", "conditions.json", "labs.json", "labs-undecodable.json", "operation-outcome.json", "draft-orders.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`null`))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":null},{"resource":{"resourceType":"Observation","subject":{"reference":"/"}}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","link":[{"relation":"next","url":"::"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, key := range prefetchKeys {
			res := &resources{}
			state, err := classify(key, data)
			if err != nil || state != statePresent {
				continue
			}
			_, _ = decodeValue(key, data, testPatient, res)
		}
		_ = decodeDraftOrders(data, testPatient, &resources{})
	})
}
