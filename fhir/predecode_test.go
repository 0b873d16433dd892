package fhir

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Gathering with the values the request reader decoded gives exactly what
// gathering without them gives, for every seed request and generated
// patient; and the reader does decode the keys it can, finding the end of
// each value.
func TestPredecodedGatherMatches(t *testing.T) {
	g := NewGatherer(Options{})
	predecoded := 0
	for name, doc := range corpusDocuments(t) {
		if !bytes.Contains(doc, []byte(`"hookInstance"`)) {
			continue // a fixture, not a request
		}
		in := inputOf(t, doc, benchAsOf)
		pre := new(Predecoded)
		for key, raw := range in.Prefetch {
			end, ok := pre.DecodeValue(key, raw, 0)
			if !ok {
				continue
			}
			predecoded++
			if end != len(raw) {
				t.Fatalf("%s: key %s: value ends at %d, DecodeValue says %d", name, key, len(raw), end)
			}
		}
		want, wantErr := g.gather(context.Background(), in)
		in.Predecoded = pre
		got, gotErr := g.gather(context.Background(), in)
		if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
			t.Fatalf("%s: error %v with the predecoded values, %v without", name, gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got, exportAll); diff != "" {
			t.Fatalf("%s: gathered otherwise with the predecoded values (-without +with):\n%s", name, diff)
		}
	}
	if predecoded < 40 {
		t.Errorf("only %d prefetch values were predecoded", predecoded)
	}
}

func TestPredecodedKeys(t *testing.T) {
	obs := []byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"o1"}}]} tail`)
	tests := []struct {
		name    string
		key     string
		body    []byte
		start   int
		wantEnd int
		wantOK  bool
	}{
		{"labs, at an offset, followed by more", KeyLabs, append([]byte(`{"labs":`), obs...), 8, 8 + len(obs) - len(" tail"), true},
		{"dxa", KeyDXA, obs, 0, len(obs) - len(" tail"), true},
		{"no decoder for the patient", KeyPatient, []byte(`{"resourceType":"Patient"}`), 0, 0, false},
		{"unknown key", "other", obs, 0, 0, false},
		{"refused: member in another case", KeyLabs, []byte(`{"Entry":[]}`), 0, 0, false},
		{"refused: invalid JSON", KeyConditions, []byte(`{"entry":[}`), 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := new(Predecoded)
			end, ok := p.DecodeValue(tt.key, tt.body, tt.start)
			if ok != tt.wantOK || ok && end != tt.wantEnd {
				t.Fatalf("DecodeValue = %d, %v; want %d, %v", end, ok, tt.wantEnd, tt.wantOK)
			}
			if (p.bundle(tt.key) != nil) != ok {
				t.Errorf("kept a value: %v, want %v", p.bundle(tt.key) != nil, ok)
			}
		})
	}
	// A key sent twice counts with its last value: a refused second one
	// drops the first.
	p := new(Predecoded)
	if _, ok := p.DecodeValue(KeyLabs, obs, 0); !ok {
		t.Fatal("first value refused")
	}
	if _, ok := p.DecodeValue(KeyLabs, []byte(`{"Entry":[]}`), 0); ok {
		t.Fatal("second value accepted")
	}
	if p.bundle(KeyLabs) != nil {
		t.Error("the first value of a key sent twice was kept after the second was refused")
	}
	var none *Predecoded
	if none.bundle(KeyLabs) != nil {
		t.Error("a nil Predecoded holds a value")
	}
}
