package fhir

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// exportAll lets cmp compare the unexported decoded types field by field.
var exportAll = cmp.Exporter(func(reflect.Type) bool { return true })

// fastMatchesUnmarshal decodes body with the hand-written Observation
// Bundle decoder and, when it accepts, fails t unless unmarshal accepts
// it too with the same result. It reports whether the decoder accepted.
func fastMatchesUnmarshal(t *testing.T, body []byte) bool {
	t.Helper()
	var got bundleOf[*observation]
	if !decodeBundleFast(body, &got) {
		return false
	}
	var want bundleOf[*observation]
	if err := unmarshal(body, &want); err != nil {
		t.Fatalf("decodeBundleFast accepts %q, unmarshal fails: %v", body, err)
	}
	if diff := cmp.Diff(want, got, exportAll); diff != "" {
		t.Fatalf("decodeBundleFast reads %q otherwise than unmarshal (-unmarshal +fast):\n%s", body, diff)
	}
	// An empty array and an absent one differ for encoding/json (a
	// non-nil, empty slice); cmp.Diff does not see it.
	if (want.Entry == nil) != (got.Entry == nil) || (want.Link == nil) != (got.Link == nil) {
		t.Fatalf("decodeBundleFast reads %q: nil entries/links differ from unmarshal", body)
	}
	return true
}

// Every Bundle of the corpus (seed requests, fixtures, generated
// patients), whatever its resources, reads as unmarshal reads it, and
// every Bundle of Observations takes the fast path.
func TestFastDecodeReadsWhatUnmarshalReads(t *testing.T) {
	var bundles, observationBundles, fast int
	for name, doc := range corpusDocuments(t) {
		walkResources(doc, func(typ, _ string, raw json.RawMessage) {
			if typ != "Bundle" {
				return
			}
			bundles++
			onlyObservations := !strings.Contains(string(raw), `"resourceType":"OperationOutcome"`)
			walkResources(raw, func(typ, _ string, _ json.RawMessage) {
				if typ != "Bundle" && typ != "Observation" {
					onlyObservations = false
				}
			})
			ok := fastMatchesUnmarshal(t, raw)
			if ok {
				fast++
			}
			if onlyObservations && strings.Contains(string(raw), `"Observation"`) {
				observationBundles++
				if !ok {
					t.Errorf("%s: a Bundle of Observations did not take the fast path", name)
				}
			}
		})
	}
	t.Logf("%d Bundles, %d of Observations; %d read by decodeBundleFast", bundles, observationBundles, fast)
	if observationBundles < 20 {
		t.Errorf("only %d Bundles of Observations in the corpus", observationBundles)
	}
}

// observationEdgeCases are hand-written Bundles around every case the
// decoder must read as unmarshal does or refuse.
var observationEdgeCases = []struct {
	name   string
	body   string
	wantOK bool
}{
	{"empty bundle", `{"resourceType":"Bundle"}`, true},
	{"null", `null`, true},
	{"whitespace", " {\n \"resourceType\" : \"Bundle\" , \"entry\" : [ ] }\n", true},
	{"empty entry list", `{"resourceType":"Bundle","entry":[]}`, true},
	{"null entry list", `{"resourceType":"Bundle","entry":null,"link":null}`, true},
	{"null entry and resource", `{"resourceType":"Bundle","entry":[null,{"resource":null},{"fullUrl":"x"}]}`, true},
	{"links", `{"resourceType":"Bundle","link":[{"relation":"self","url":"a"},null,{"relation":"next","url":"b?x=1&y=2"}],"entry":[]}`, true},
	{"search modes", `{"entry":[{"search":{"mode":"match"},"resource":{"resourceType":"Observation"}},{"search":null},{"search":{}}]}`, true},
	{"every field", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p1","display":"x"},"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"38483-4","display":"Creat"}],"text":"t"},"bodySite":{"coding":[{"code":"x"}]},"effectiveDateTime":"2024-01-02","effectivePeriod":{"start":"2024-01-01","end":"2024-01-03"},"effectiveInstant":"2024-01-02T10:00:00Z","issued":"2024-01-03T10:00:00+01:00","valueQuantity":{"value":1.50,"comparator":"<","unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"},"valueInteger":-3,"referenceRange":[{"low":{"value":0.5},"high":{"value":1e1}},null],"component":[{"code":{"coding":[{"code":"t"}]},"valueQuantity":{"value":-2.5},"valueInteger":0,"referenceRange":[]},null],"meta":{"x":[1,2,{"y":null}]},"text":{"div":"<div>\"q\"</div>"}}}]}`, true},
	{"nulls everywhere", `{"entry":[{"resource":{"resourceType":null,"id":null,"subject":null,"issue":null,"status":null,"code":null,"bodySite":null,"effectiveDateTime":null,"effectivePeriod":null,"valueQuantity":{"value":null,"unit":null},"valueInteger":null,"referenceRange":null,"component":null}}]}`, true},
	{"empty codings", `{"entry":[{"resource":{"code":{"coding":[]},"bodySite":{"coding":null}}}]}`, true},
	{"null coding element", `{"entry":[{"resource":{"code":{"coding":[null,{"system":null,"code":"x"}]}}}]}`, true},
	{"escaped and non-ASCII values", `{"entry":[{"resource":{"id":"a\u0062c","status":"fin\u0061l","valueQuantity":{"unit":"µg/L","code":"ug/L"},"code":{"coding":[{"code":"\ud800"}]}}}]}`, true},
	{"invalid UTF-8 in a value", "{\"entry\":[{\"resource\":{\"id\":\"a\xffb\"}}]}", true},
	{"operation outcome entry", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"x"},null]}}]}`, true},
	{"large integer", `{"entry":[{"resource":{"valueInteger":9007199254740993}}]}`, true},

	{"not an object", `[]`, false},
	{"trailing data", `{} x`, false},
	{"member in another case", `{"entry":[{"resource":{"Status":"final"}}]}`, false},
	{"bundle member in another case", `{"Entry":[]}`, false},
	{"member twice", `{"entry":[{"resource":{"status":"final","status":"amended"}}]}`, false},
	{"escaped member name", `{"entry":[{"resource":{"st\u0061tus":"final"}}]}`, false},
	{"non-ASCII member name", `{"entry":[{"resource":{"stätus":"final"}}]}`, false},
	{"string as number", `{"entry":[{"resource":{"valueQuantity":{"value":"1.5"}}}]}`, false},
	{"number as string", `{"entry":[{"resource":{"status":1}}]}`, false},
	{"fraction as integer", `{"entry":[{"resource":{"valueInteger":1.5}}]}`, false},
	{"exponent as integer", `{"entry":[{"resource":{"valueInteger":1e2}}]}`, false},
	{"integer overflow", `{"entry":[{"resource":{"valueInteger":99999999999999999999}}]}`, false},
	{"object as array", `{"entry":{"resource":{}}}`, false},
	{"array as object", `{"entry":[{"resource":[]}]}`, false},
	{"string as object", `{"entry":[{"resource":{"code":"x"}}]}`, false},
	{"bad JSON in a skipped member", `{"entry":[{"resource":{"meta":{"x":01}}}]}`, false},
	{"unterminated", `{"entry":[{"resource":{"status":"final"}}]`, false},
}

func TestFastDecodeEdges(t *testing.T) {
	for _, tt := range observationEdgeCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := fastMatchesUnmarshal(t, []byte(tt.body)); got != tt.wantOK {
				t.Errorf("decodeBundleFast accepted = %v, want %v", got, tt.wantOK)
			}
		})
	}
}

// Whatever decodeBundleFast accepts, unmarshal reads the same way; what it
// refuses goes to unmarshal, so refusing is always safe.
func FuzzFastDecode(f *testing.F) {
	for _, tt := range observationEdgeCases {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fastMatchesUnmarshal(t, body)
	})
}
