package hooks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/fhir/jsonscan"
	"github.com/fracturecds/fracturecds/rules"
)

// splitGatherer gathers the facts of split bodies, without a FHIR server.
var splitGatherer = fhir.NewGatherer(fhir.Options{})

// splitMatchesWhole checks that a body splitRequest read is valid JSON
// and reads as decodeWhole (the path it replaces) reads it, and that the
// prefetch values it decoded on the way give the facts the prefetch gives
// when decoded afterwards.
func splitMatchesWhole(t *testing.T, body []byte) (ok bool) {
	t.Helper()
	got, pre, ok := splitRequest(body)
	if !ok {
		return false
	}
	if !json.Valid(body) {
		t.Fatalf("splitRequest read invalid JSON %q", body)
	}
	want, err := decodeWhole(body)
	if err != nil {
		t.Fatalf("splitRequest read %q, which decodeWhole rejects: %v", body, err)
	}
	// Strict: a nil and an empty slice or map differ too.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("splitRequest reads %q otherwise than decodeWhole (-whole +split):\n%s", body, diff)
	}
	// The values decoded while splitting give what decoding the prefetch
	// afterwards gives: the same resources, or the same error.
	patient := "p1"
	var hc hookContext
	if json.Unmarshal(got.Context, &hc) == nil && hc.PatientID != "" {
		patient = strings.TrimPrefix(hc.PatientID, "Patient/")
	}
	in := fhir.Input{Hook: rules.PatientView, PatientID: patient, Prefetch: got.Prefetch, AsOf: benchAsOf}
	wantFacts, wantErr := splitGatherer.Facts(t.Context(), in)
	in.Predecoded = pre
	gotFacts, gotErr := splitGatherer.Facts(t.Context(), in)
	if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
		t.Fatalf("splitRequest(%q): facts error %v with the values decoded while splitting, %v without", body, gotErr, wantErr)
	}
	if diff := cmp.Diff(wantFacts, gotFacts, cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
		t.Fatalf("splitRequest(%q): facts differ with the values decoded while splitting (-without +with):\n%s", body, diff)
	}
	return true
}

// Every request the service is tested with, and every example, takes the
// fast path and reads as before.
func TestSplitRequestReadsEveryRequest(t *testing.T) {
	var bodies []reuseBody
	bodies = append(bodies, reuseBodies(t)...)
	for _, pattern := range []string{"../examples/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, reuseBody{name: f, data: data})
		}
	}
	if len(bodies) < 20 {
		t.Fatalf("only %d request bodies found", len(bodies))
	}
	for _, b := range bodies {
		if !json.Valid(b.data) {
			continue // a malformed-request fixture
		}
		if !splitMatchesWhole(t, b.data) {
			t.Errorf("%s: splitRequest did not read it", b.name)
		}
	}
}

func TestSplitRequestEdges(t *testing.T) {
	deep := func(n int) string {
		return `{"hook":"patient-view","extension":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	tests := []struct {
		name   string
		body   string
		wantOK bool
	}{
		{"empty object", `{}`, true},
		{"whitespace around", " \t\r\n{ \"hook\" : \"patient-view\" }\n ", true},
		{"all members", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","fhirServer":"https://ehr.example/fhir","fhirAuthorization":{"access_token":"t","token_type":"Bearer","expires_in":300,"scope":"patient/*.read","subject":"s"},"context":{"userId":"Practitioner/1","patientId":"1"},"prefetch":{"patient":{"resourceType":"Patient","id":"1"},"labs":null}}`, true},
		{"prefetch null", `{"prefetch":null}`, true},
		{"prefetch empty", `{"prefetch":{}}`, true},
		{"prefetch key twice keeps the last", `{"prefetch":{"a":1,"a":[2, 3]}}`, true},
		{"context null", `{"context":null}`, true},
		{"null strings", `{"hook":null,"hookInstance":null,"fhirServer":null,"fhirAuthorization":null}`, true},
		{"escapes in values", `{"hook":"patient\u002dview","context":{"a":"\"\\\/\b\f\n\r\t\u00e9"},"prefetch":{"p":"\ud83d\ude00"}}`, true},
		{"invalid UTF-8 in a value", "{\"hook\":\"x\xff\",\"prefetch\":{\"p\":\"\xc3\"}}", true},
		{"unknown members of every kind", `{"extension":{"a":[1,-2.5e+3,0,0.1,1E5,true,false,null,"s",{}]},"x":[]}`, true},
		{"nesting within the limit", deep(jsonscan.MaxDepth - 1), true},

		{"not an object", `[]`, false},
		{"empty body", ``, false},
		{"byte order mark", "\xef\xbb\xbf{}", false},
		{"trailing data", `{} {}`, false},
		{"trailing comma", `{"hook":"patient-view",}`, false},
		{"missing colon", `{"hook" "patient-view"}`, false},
		{"unterminated", `{"hook":"patient-view"`, false},
		{"member in another case", `{"Hook":"patient-view"}`, false},
		{"member in upper case", `{"PREFETCH":{}}`, false},
		{"member twice", `{"hook":"patient-view","hook":"order-sign"}`, false},
		{"prefetch twice", `{"prefetch":{"a":1},"prefetch":{"b":2}}`, false},
		{"escaped member name", `{"ho\u006fk":"patient-view"}`, false},
		{"non-ASCII member name", `{"hoo` + "\u212a" + `":"x"}`, false},
		{"escaped prefetch key", `{"prefetch":{"p\u0061tient":{}}}`, false},
		{"hook not a string", `{"hook":1}`, false},
		{"fhirAuthorization not an object", `{"fhirAuthorization":"t"}`, false},
		{"prefetch not an object", `{"prefetch":[]}`, false},
		{"control character in a string", "{\"x\":\"a\tb\"}", false},
		{"bad escape", `{"x":"\x41"}`, false},
		{"short unicode escape", `{"x":"\u12"}`, false},
		{"leading zero", `{"x":01}`, false},
		{"bare minus", `{"x":-}`, false},
		{"fraction without digits", `{"x":1.}`, false},
		{"exponent without digits", `{"x":1e}`, false},
		{"plus sign", `{"x":+1}`, false},
		{"misspelt literal", `{"x":nul}`, false},
		{"literal with tail", `{"x":truex}`, false},
		{"unclosed array", `{"x":[1,2}`, false},
		{"too deep", deep(jsonscan.MaxDepth + 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitMatchesWhole(t, []byte(tt.body)); got != tt.wantOK {
				t.Errorf("splitRequest(%q) ok = %v, want %v", tt.body, got, tt.wantOK)
			}
		})
	}
}

// Whatever splitRequest accepts is valid JSON that decodeWhole reads the
// same way; what it refuses goes to decodeWhole, so refusing is always
// safe.
func FuzzSplitRequest(f *testing.F) {
	for _, b := range []string{
		`{}`, `{"hook":"patient-view","prefetch":{"a":{"b":[1,2.5,"c",null,true]}}}`,
		`{"hookInstance":"x","context":{"userId":"Practitioner/1"},"fhirAuthorization":{"access_token":"t"}}`,
		`{"prefetch":{"a":1,"a":2}}`, `{"x":"\u00e9\n"}`, `{"Hook":"x"}`, `{"prefetch":null}`,
		// Values of keys with a hand-written decoder, which are decoded
		// while splitting.
		`{"prefetch":{"labs":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","status":"final","valueQuantity":{"value":1.5}}}]},"dxa":null}}`,
		`{"prefetch":{"conditions":{"entry":[{"resource":{"code":{"coding":[{"code":"x"}]},"abatementAge":{}}}]},"medicationStatements":{"entry":[{"resource":{"dosage":[{"timing":{"repeat":{"dayOfWeek":["mon"]}}}]}}]}}}`,
		`{"prefetch":{"labs":{"Entry":[]},"labs":{"entry":[]}}}`,
	} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		splitMatchesWhole(t, body)
	})
}

// BenchmarkDecodeRequest compares the request decoding of a typical body
// on the fast path with the path it replaced.
func BenchmarkDecodeRequest(b *testing.B) {
	body := fhirtest.Generate(fhirtest.Typical, 1, benchAsOf)
	b.Run("split", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := splitRequest(body); !ok {
				b.Fatal("not split")
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeWhole(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The prefetch values decoded while splitting give the same facts as
// decoding them afterwards, for every seed request and generated patient.
func TestSplitPredecodedFactsMatch(t *testing.T) {
	g := fhir.NewGatherer(fhir.Options{})
	for _, b := range reuseBodies(t) {
		req, err := decodeRequest(b.data, b.hook)
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if req.pre.Len() == 0 {
			t.Errorf("%s: no prefetch value was decoded while splitting", b.name)
			continue
		}
		in := req.input(benchAsOf)
		got, err := g.Facts(t.Context(), in)
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		in.Predecoded = nil
		want, err := g.Facts(t.Context(), in)
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		if diff := cmp.Diff(want, got, cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
			t.Errorf("%s: facts differ with the predecoded values (-without +with):\n%s", b.name, diff)
		}
	}
}
